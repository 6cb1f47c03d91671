"""Reference for `wick inspect MRPC --json`: what Python `datasets` shows for GLUE MRPC.

`load_dataset("glue", "mrpc")` needs the Hub; offline, this builds the same `DatasetDict` from
the GLUE MRPC TSV folder (read as plain TSV, `QUOTE_NONE`, as the GLUE loader reads it) with the
Hub's features (`nyu-mll/glue`, config `mrpc`: sentence1, sentence2, label as ClassLabel
not_equivalent/equivalent, idx as int32), and writes, per split, what `datasets` reports:
`num_rows`, `features.to_dict()` and the first row `ds[0]`.

Usage: python3 tests/reference/make_inspect.py [MRPC_DIR]
"""

import csv
import json
import os
import sys

import datasets
from datasets import ClassLabel, Dataset, DatasetDict, Features, Value
from test_data import mrpc_tsv_dir

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES = Features(
    {
        "sentence1": Value("string"),
        "sentence2": Value("string"),
        "label": ClassLabel(names=["not_equivalent", "equivalent"]),
        "idx": Value("int32"),
    }
)


def read_split(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    columns = {
        "sentence1": [r[3] for r in rows],
        "sentence2": [r[4] for r in rows],
        "label": [int(r[0]) for r in rows],
        "idx": list(range(len(rows))),
    }
    return Dataset.from_dict(columns, features=FEATURES)


def main():
    mrpc_dir = sys.argv[1] if len(sys.argv) > 1 else mrpc_tsv_dir()
    raw = DatasetDict(
        train=read_split(os.path.join(mrpc_dir, "train.tsv")),
        validation=read_split(os.path.join(mrpc_dir, "dev.tsv")),
    )
    print(raw, file=sys.stderr)
    out = {
        name: {"num_rows": ds.num_rows, "features": ds.features.to_dict(), "first_row": ds[0]}
        for name, ds in raw.items()
    }
    assert out["train"]["num_rows"] == 3668 and out["validation"]["num_rows"] == 408
    path = os.path.join(HERE, "inspect_mrpc.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {path} (datasets {datasets.__version__})")


if __name__ == "__main__":
    main()
