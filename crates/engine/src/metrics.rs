//! Evaluation metrics with scikit-learn / SciPy semantics, and the GLUE metric of each task
//! (what `evaluate.load("glue", task)` computes).
//!
//! Classification metrics take class ids; `f1`, `precision` and `recall` are binary with class 1
//! positive (sklearn's default `average="binary"`), and return 0 where sklearn's
//! `zero_division` does. Values are f64 so they print like Python's.

use crate::{Error, Result};
use std::collections::BTreeMap;

/// Named metric values (`accuracy`, `f1`, `eval_loss`, ...), sorted by name.
pub type Metrics = BTreeMap<String, f64>;

fn check_lengths(what: &str, a: usize, b: usize) -> Result<()> {
    if a != b {
        return Err(Error::Invalid(format!(
            "{what}: {a} predictions but {b} labels"
        )));
    }
    if a == 0 {
        return Err(Error::Invalid(format!("{what}: no examples")));
    }
    Ok(())
}

/// Fraction of predictions equal to the label.
pub fn accuracy(predictions: &[usize], labels: &[usize]) -> Result<f64> {
    check_lengths("accuracy", predictions.len(), labels.len())?;
    let correct = predictions
        .iter()
        .zip(labels)
        .filter(|(p, l)| p == l)
        .count();
    Ok(correct as f64 / labels.len() as f64)
}

/// True positives, false positives, false negatives for class 1.
fn binary_counts(predictions: &[usize], labels: &[usize]) -> (f64, f64, f64) {
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for (&p, &l) in predictions.iter().zip(labels) {
        match (p == 1, l == 1) {
            (true, true) => tp += 1.0,
            (true, false) => fp += 1.0,
            (false, true) => fn_ += 1.0,
            (false, false) => {}
        }
    }
    (tp, fp, fn_)
}

fn ratio_or_zero(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// tp / (tp + fp), class 1 positive.
pub fn precision(predictions: &[usize], labels: &[usize]) -> Result<f64> {
    check_lengths("precision", predictions.len(), labels.len())?;
    let (tp, fp, _) = binary_counts(predictions, labels);
    Ok(ratio_or_zero(tp, tp + fp))
}

/// tp / (tp + fn), class 1 positive.
pub fn recall(predictions: &[usize], labels: &[usize]) -> Result<f64> {
    check_lengths("recall", predictions.len(), labels.len())?;
    let (tp, _, fn_) = binary_counts(predictions, labels);
    Ok(ratio_or_zero(tp, tp + fn_))
}

/// Harmonic mean of precision and recall, as 2tp / (2tp + fp + fn) (sklearn's formula).
pub fn f1(predictions: &[usize], labels: &[usize]) -> Result<f64> {
    check_lengths("f1", predictions.len(), labels.len())?;
    let (tp, fp, fn_) = binary_counts(predictions, labels);
    Ok(ratio_or_zero(2.0 * tp, 2.0 * tp + fp + fn_))
}

/// `counts[true][predicted]`, as sklearn's `confusion_matrix(labels, predictions)`.
/// Ids at or above `num_labels` are an error.
pub fn confusion_matrix(
    predictions: &[usize],
    labels: &[usize],
    num_labels: usize,
) -> Result<Vec<Vec<u64>>> {
    check_lengths("confusion matrix", predictions.len(), labels.len())?;
    let mut counts = vec![vec![0u64; num_labels]; num_labels];
    for (&p, &l) in predictions.iter().zip(labels) {
        if p >= num_labels || l >= num_labels {
            return Err(Error::Invalid(format!(
                "confusion matrix: class id {} out of range for {num_labels} labels",
                p.max(l)
            )));
        }
        counts[l][p] += 1;
    }
    Ok(counts)
}

/// Matthews correlation coefficient, multi-class (sklearn's generalisation); 0 when a
/// marginal is constant, as sklearn returns.
pub fn matthews_corrcoef(predictions: &[usize], labels: &[usize]) -> Result<f64> {
    check_lengths("matthews correlation", predictions.len(), labels.len())?;
    let k = predictions.iter().chain(labels).max().map_or(0, |m| m + 1);
    let c = confusion_matrix(predictions, labels, k)?;
    let n = labels.len() as f64;
    let t_sum: Vec<f64> = (0..k).map(|i| c[i].iter().sum::<u64>() as f64).collect();
    let p_sum: Vec<f64> = (0..k)
        .map(|j| c.iter().map(|row| row[j]).sum::<u64>() as f64)
        .collect();
    let correct: f64 = (0..k).map(|i| c[i][i] as f64).sum();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let cov_tp = correct * n - dot(&t_sum, &p_sum);
    let cov_pp = n * n - dot(&p_sum, &p_sum);
    let cov_tt = n * n - dot(&t_sum, &t_sum);
    if cov_pp * cov_tt == 0.0 {
        return Ok(0.0);
    }
    Ok(cov_tp / (cov_tt * cov_pp).sqrt())
}

/// Pearson correlation; NaN when either side is constant (SciPy warns and returns NaN).
pub fn pearson(x: &[f64], y: &[f64]) -> Result<f64> {
    check_lengths("pearson", x.len(), y.len())?;
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return Ok(f64::NAN);
    }
    Ok((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// 1-based ranks, ties given the mean of their ranks (SciPy's `rankdata(method="average")`).
pub fn rank_average(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]] == x[order[start]] {
            end += 1;
        }
        // Positions start..end (0-based) share the mean of ranks start+1..=end.
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = mean_rank;
        }
        start = end;
    }
    ranks
}

/// Spearman rank correlation: Pearson of the average ranks (handles ties as SciPy does).
pub fn spearman(x: &[f64], y: &[f64]) -> Result<f64> {
    check_lengths("spearman", x.len(), y.len())?;
    pearson(&rank_average(x), &rank_average(y))
}

/// Row-wise argmax of row-major `[n, num_labels]` logits (first maximum on ties, as NumPy).
pub fn argmax_rows(logits: &[f32], num_labels: usize) -> Vec<usize> {
    logits
        .chunks(num_labels.max(1))
        .map(|row| {
            let mut best = 0;
            for (j, v) in row.iter().enumerate() {
                if *v > row[best] {
                    best = j;
                }
            }
            best
        })
        .collect()
}

/// Labels stored as f32 (`Batch::labels`) back to class ids; a label that is not a class id
/// (e.g. -1 of GLUE's unlabelled test split) is an error.
pub fn class_ids(labels: &[f32], num_labels: usize) -> Result<Vec<usize>> {
    labels
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            if l >= 0.0 && l.fract() == 0.0 && (l as usize) < num_labels {
                Ok(l as usize)
            } else {
                Err(Error::Invalid(format!(
                    "label {l} of row {i} is not a class id below {num_labels}"
                )))
            }
        })
        .collect()
}

/// What `evaluate.load("glue", task).compute(...)` reports for a task's predictions.
/// `logits` is row-major `[n, num_labels]`; `num_labels == 1` is regression (STS-B).
/// Unknown tasks (own data sets) get accuracy (+ F1 when binary), or Pearson/Spearman for
/// regression.
pub fn glue_metrics(
    task: &str,
    logits: &[f32],
    num_labels: usize,
    labels: &[f32],
) -> Result<Metrics> {
    let mut out = Metrics::new();
    if num_labels == 0 || logits.len() != labels.len() * num_labels {
        return Err(Error::Invalid(format!(
            "metrics: {} logits for {} labels and num_labels {num_labels}",
            logits.len(),
            labels.len()
        )));
    }
    if num_labels == 1 {
        let x: Vec<f64> = logits.iter().map(|&v| v as f64).collect();
        let y: Vec<f64> = labels.iter().map(|&v| v as f64).collect();
        out.insert("pearson".into(), pearson(&x, &y)?);
        out.insert("spearmanr".into(), spearman(&x, &y)?);
        return Ok(out);
    }
    let predictions = argmax_rows(logits, num_labels);
    let labels = class_ids(labels, num_labels)?;
    match task {
        "cola" => {
            out.insert(
                "matthews_correlation".into(),
                matthews_corrcoef(&predictions, &labels)?,
            );
        }
        "mrpc" | "qqp" => {
            out.insert("accuracy".into(), accuracy(&predictions, &labels)?);
            out.insert("f1".into(), f1(&predictions, &labels)?);
        }
        "sst2" | "mnli" | "mnli_matched" | "mnli_mismatched" | "qnli" | "rte" | "wnli" | "ax" => {
            out.insert("accuracy".into(), accuracy(&predictions, &labels)?);
        }
        _ => {
            out.insert("accuracy".into(), accuracy(&predictions, &labels)?);
            if num_labels == 2 {
                out.insert("f1".into(), f1(&predictions, &labels)?);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    // Hand-derived: p = [1,1,0,1,0,0,1,0], y = [1,0,0,1,1,0,1,0] -> tp 3, fp 1, fn 1, tn 3.
    const P: [usize; 8] = [1, 1, 0, 1, 0, 0, 1, 0];
    const Y: [usize; 8] = [1, 0, 0, 1, 1, 0, 1, 0];

    #[test]
    fn binary_metrics_by_hand() {
        assert!(close(accuracy(&P, &Y).unwrap(), 6.0 / 8.0));
        assert!(close(precision(&P, &Y).unwrap(), 0.75));
        assert!(close(recall(&P, &Y).unwrap(), 0.75));
        assert!(close(f1(&P, &Y).unwrap(), 0.75));
        // mcc = (tp*tn - fp*fn) / sqrt(4*4*4*4) = (9 - 1) / 16
        assert!(close(matthews_corrcoef(&P, &Y).unwrap(), 0.5));
        assert_eq!(
            confusion_matrix(&P, &Y, 2).unwrap(),
            vec![vec![3, 1], vec![1, 3]]
        );
    }

    #[test]
    fn zero_division_and_constant_marginals_give_zero() {
        let none = [0, 0, 0];
        assert_eq!(f1(&none, &[0, 1, 0]).unwrap(), 0.0);
        assert_eq!(precision(&none, &[0, 1, 0]).unwrap(), 0.0);
        assert_eq!(matthews_corrcoef(&none, &[0, 1, 0]).unwrap(), 0.0);
        assert!(pearson(&[1.0, 1.0], &[1.0, 2.0]).unwrap().is_nan());
    }

    #[test]
    fn mismatched_or_empty_inputs_are_errors() {
        assert!(matches!(accuracy(&[1], &[1, 0]), Err(Error::Invalid(_))));
        assert!(matches!(f1(&[], &[]), Err(Error::Invalid(_))));
        assert!(confusion_matrix(&[2], &[0], 2).is_err());
        assert!(class_ids(&[-1.0], 2).is_err());
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            rank_average(&[10.0, 20.0, 20.0, 5.0]),
            vec![2.0, 3.5, 3.5, 1.0]
        );
        // Perfect monotone relation, with ties on both sides in the same places.
        let s = spearman(&[1.0, 2.0, 2.0, 3.0], &[10.0, 20.0, 20.0, 30.0]).unwrap();
        assert!(close(s, 1.0));
    }

    #[test]
    fn pearson_by_hand() {
        // x = [1,2,3], y = [1,3,2]: cov 0.5*2=1 over sqrt(2*2) -> 0.5
        assert!(close(
            pearson(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0]).unwrap(),
            0.5
        ));
    }

    #[test]
    fn glue_metric_names_per_task() {
        let logits = [0.1f32, 0.9, 0.8, 0.2, 0.3, 0.7];
        let labels = [1.0f32, 1.0, 1.0];
        let m = glue_metrics("mrpc", &logits, 2, &labels).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["accuracy", "f1"]);
        assert!(close(m["accuracy"], 2.0 / 3.0) && close(m["f1"], 0.8));
        let m = glue_metrics("cola", &logits, 2, &labels).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["matthews_correlation"]);
        let m = glue_metrics("rte", &logits, 2, &labels).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["accuracy"]);
        let m = glue_metrics("stsb", &[1.0, 2.0, 3.0], 1, &[1.0, 3.0, 2.0]).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["pearson", "spearmanr"]);
        assert!(glue_metrics("mrpc", &logits, 2, &[1.0]).is_err());
    }

    /// Every case of `tests/reference/metrics_sklearn.json` (scikit-learn / SciPy values).
    #[test]
    fn agrees_with_sklearn_and_scipy() {
        let file = include_str!("../../../tests/reference/metrics_sklearn.json");
        let json: serde_json::Value = serde_json::from_str(file).unwrap();
        let cases = json["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 5);
        let near = |name: &str, key: &str, got: f64, want: &serde_json::Value| {
            let want = want.as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-12,
                "{name} {key}: {got} vs sklearn {want}"
            );
        };
        for case in cases {
            let name = case["name"].as_str().unwrap();
            if case["kind"] == "regression" {
                let x: Vec<f64> = serde_json::from_value(case["predictions"].clone()).unwrap();
                let y: Vec<f64> = serde_json::from_value(case["labels"].clone()).unwrap();
                near(name, "pearson", pearson(&x, &y).unwrap(), &case["pearson"]);
                near(
                    name,
                    "spearmanr",
                    spearman(&x, &y).unwrap(),
                    &case["spearmanr"],
                );
                continue;
            }
            let p: Vec<usize> = serde_json::from_value(case["predictions"].clone()).unwrap();
            let y: Vec<usize> = serde_json::from_value(case["labels"].clone()).unwrap();
            let k = case["num_labels"].as_u64().unwrap() as usize;
            near(
                name,
                "accuracy",
                accuracy(&p, &y).unwrap(),
                &case["accuracy"],
            );
            near(
                name,
                "mcc",
                matthews_corrcoef(&p, &y).unwrap(),
                &case["matthews_correlation"],
            );
            let cm: Vec<Vec<u64>> =
                serde_json::from_value(case["confusion_matrix"].clone()).unwrap();
            assert_eq!(confusion_matrix(&p, &y, k).unwrap(), cm, "{name}");
            if k == 2 {
                near(name, "f1", f1(&p, &y).unwrap(), &case["f1"]);
                near(
                    name,
                    "precision",
                    precision(&p, &y).unwrap(),
                    &case["precision"],
                );
                near(name, "recall", recall(&p, &y).unwrap(), &case["recall"]);
            }
        }
    }
}
