"""The course's chapter 3 with Python's Trainer, for `wick train` to be compared against.

    python3 tests/reference/trainer_mrpc.py --model MODEL_DIR --data MRPC_DIR \
        [--epochs 3] [--max-steps N] [--batch-size 8] [--lr 5e-5] [--seed 42] \
        [--log-json FILE] [--result-json FILE]

MRPC is read from the GLUE TSVs (no quoting, BOM), tokenized with `truncation=True`, padded per
batch by `DataCollatorWithPadding`; the model is `AutoModelForSequenceClassification` with
`num_labels=2`; `TrainingArguments` keeps transformers' defaults except `eval_strategy="epoch"`
(as in the course). Prints the log history, the validation accuracy/F1 and the speed, and writes
them as JSON when asked. Takes many minutes on a CPU.
"""
import argparse
import csv
import json
import os
import sys
import tempfile
import time

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score
from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                          Trainer, TrainerCallback, TrainingArguments, set_seed)

LABELS = ["not_equivalent", "equivalent"]


def read_glue_tsv(path):
    """GLUE's MRPC layout: BOM, header, 5 tab-separated fields, no quoting."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [{"sentence1": r[3], "sentence2": r[4], "label": int(r[0])} for r in rows[1:]]


class Pairs(torch.utils.data.Dataset):
    def __init__(self, rows, tokenizer):
        enc = tokenizer([r["sentence1"] for r in rows], [r["sentence2"] for r in rows], truncation=True)
        self.items = [{k: enc[k][i] for k in enc} | {"labels": rows[i]["label"]} for i in range(len(rows))]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


class JsonLog(TrainerCallback):
    def __init__(self, path):
        self.file = open(path, "w") if path else None

    def on_log(self, args, state, control, logs=None, **kwargs):
        record = {"step": state.global_step, **(logs or {})}
        print(json.dumps(record), flush=True)
        if self.file:
            self.file.write(json.dumps(record) + "\n")
            self.file.flush()


def compute_metrics(pred):
    predictions = np.argmax(pred.predictions, axis=-1)
    return {"accuracy": accuracy_score(pred.label_ids, predictions),
            "f1": f1_score(pred.label_ids, predictions)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=float, default=3.0)
    p.add_argument("--max-steps", type=int, default=-1)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--output-dir", default=None)  # default: a fresh temporary folder
    p.add_argument("--log-json")
    p.add_argument("--result-json")
    a = p.parse_args()

    set_seed(a.seed)
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    model = AutoModelForSequenceClassification.from_pretrained(
        a.model, num_labels=2, id2label=dict(enumerate(LABELS)), label2id={n: i for i, n in enumerate(LABELS)})
    train = Pairs(read_glue_tsv(os.path.join(a.data, "train.tsv")), tokenizer)
    dev = Pairs(read_glue_tsv(os.path.join(a.data, "dev.tsv")), tokenizer)
    args = TrainingArguments(
        output_dir=a.output_dir or tempfile.mkdtemp(prefix="trainer_mrpc-"), eval_strategy="epoch", save_strategy="no", num_train_epochs=a.epochs,
        max_steps=a.max_steps, per_device_train_batch_size=a.batch_size, learning_rate=a.lr,
        seed=a.seed, logging_steps=50, report_to=[], disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=dev,
                      data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=compute_metrics,
                      callbacks=[JsonLog(a.log_json)])
    start = time.time()
    out = trainer.train()
    wall = time.time() - start
    pred = trainer.predict(dev)
    predictions = np.argmax(pred.predictions, axis=-1)
    result = {
        "accuracy": accuracy_score(pred.label_ids, predictions),
        "f1": f1_score(pred.label_ids, predictions),
        "train_loss": out.training_loss,
        "train_runtime": out.metrics["train_runtime"],
        "train_samples_per_second": out.metrics["train_samples_per_second"],
        "wall_seconds": wall,
        "steps": out.global_step,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(result, indent=1))
    if a.result_json:
        with open(a.result_json, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
