"""Expected metric values from scikit-learn and SciPy for `metrics.rs` (run by hand:
`python3 tests/reference/metrics_sklearn.py`; writes metrics_sklearn.json next to it).

Cases: random binary and 3-class predictions, constant predictions (zero division), and
regression scores with many ties (Spearman's average ranks)."""
import json
import os

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score, matthews_corrcoef,
                             precision_score, recall_score)

rng = np.random.default_rng(0)
cases = []


def classification(name, preds, labels, k):
    preds, labels = [int(x) for x in preds], [int(x) for x in labels]
    case = {"name": name, "kind": "classification", "num_labels": k, "predictions": preds,
            "labels": labels,
            "accuracy": accuracy_score(labels, preds),
            "matthews_correlation": float(matthews_corrcoef(labels, preds)),
            "confusion_matrix": confusion_matrix(labels, preds, labels=list(range(k))).tolist()}
    if k == 2:
        case.update(f1=f1_score(labels, preds, zero_division=0),
                    precision=precision_score(labels, preds, zero_division=0),
                    recall=recall_score(labels, preds, zero_division=0))
    cases.append(case)


labels = rng.integers(0, 2, 408)
flip = rng.random(408) < 0.2
classification("binary_408", np.where(flip, 1 - labels, labels), labels, 2)
classification("binary_all_positive", np.ones(50), rng.integers(0, 2, 50), 2)
classification("binary_all_negative", np.zeros(50), rng.integers(0, 2, 50), 2)
labels3 = rng.integers(0, 3, 300)
classification("three_class_300", np.where(rng.random(300) < 0.4, rng.integers(0, 3, 300), labels3),
               labels3, 3)

x = rng.normal(size=200).round(1)  # rounding makes ties
y = (x + rng.normal(scale=0.7, size=200)).round(0)
cases.append({"name": "regression_ties", "kind": "regression", "predictions": x.tolist(),
              "labels": y.tolist(), "pearson": float(pearsonr(x, y)[0]),
              "spearmanr": float(spearmanr(x, y)[0])})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics_sklearn.json")
with open(out, "w") as f:
    json.dump({"generator": "tests/reference/metrics_sklearn.py", "cases": cases}, f)
print(f"wrote {out}: {len(cases)} cases")
