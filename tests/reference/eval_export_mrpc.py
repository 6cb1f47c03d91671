"""Load a model `wick train` exported and evaluate it on MRPC's validation split in Python.

    python3 tests/reference/eval_export_mrpc.py OUT --data MRPC_DIR \
        [--wick-log LOG_JSONL] [--result-json FILE]

Checks what a user of the export does: `AutoModelForSequenceClassification.from_pretrained(OUT)`
and `AutoTokenizer.from_pretrained(OUT)` load it with no missing, unexpected or mismatched keys,
and `Trainer.predict` on the validation split gives accuracy and F1. With `--wick-log` (the
`--log-json` of `wick train`), they must equal Wick's own last evaluation (the same model on
the same rows: a difference means the export or the engine is wrong). Exits 1 otherwise.
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                          Trainer, TrainingArguments)

sys.path.insert(0, os.path.dirname(__file__))
from trainer_mrpc import Pairs, read_glue_tsv  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--data", required=True)
    p.add_argument("--wick-log")
    p.add_argument("--result-json")
    a = p.parse_args()

    model, info = AutoModelForSequenceClassification.from_pretrained(a.out, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v}
    tokenizer = AutoTokenizer.from_pretrained(a.out)
    dev = Pairs(read_glue_tsv(os.path.join(a.data, "dev.tsv")), tokenizer)
    args = TrainingArguments(output_dir=tempfile.mkdtemp(prefix="eval_export_mrpc-"), report_to=[], disable_tqdm=True)
    trainer = Trainer(model=model, args=args, data_collator=DataCollatorWithPadding(tokenizer))
    pred = trainer.predict(dev)
    predictions = np.argmax(pred.predictions, axis=-1)
    result = {
        "accuracy": accuracy_score(pred.label_ids, predictions),
        "f1": f1_score(pred.label_ids, predictions),
        "eval_loss": pred.metrics["test_loss"],
        "id2label": model.config.id2label,
        "loading_problems": problems,
    }
    failures = [f"loading: {problems}"] if problems else []
    if a.wick_log:
        with open(a.wick_log) as f:
            evals = [json.loads(line) for line in f if '"evaluation"' in line]
        wick = evals[-1]["metrics"]
        result["wick"] = {k: wick[f"eval_{k}"] for k in ("accuracy", "f1", "loss")}
        # Same model, same rows: the metrics agree exactly unless an argmax flips on a tie.
        if abs(wick["eval_accuracy"] - result["accuracy"]) > 1.5 / len(dev) or \
                abs(wick["eval_loss"] - result["eval_loss"]) > 1e-3:
            failures.append(f"Python evaluates the export to {result}, Wick said {result['wick']}")
    print(json.dumps(result, indent=1))
    if a.result_json:
        with open(a.result_json, "w") as f:
            json.dump(result, f, indent=1)
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    print("export OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
