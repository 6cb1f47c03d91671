"""Check a folder written by Wick's `export::save_pretrained` with Python transformers.

    python3 tests/reference/check_export.py OUT LOGITS_JSON

LOGITS_JSON (written by the Rust test or `wick`): {"input_ids": [[...]], "token_type_ids":
[[...]], "attention_mask": [[...]], "logits": [[...]], "pairs": [["s1", "s2"], ...]} with
padded rows. Checks that
- `AutoModelForSequenceClassification.from_pretrained(OUT)` loads with no missing, unexpected or
  mismatched keys and the label names of config.json;
- its logits (eval mode) equal Wick's within 1e-4;
- `AutoTokenizer.from_pretrained(OUT)` encodes the pairs to the same ids.
Prints "export OK" and exits 0, or says what differs and exits 1.
"""
import json
import sys

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def main(out, logits_json):
    with open(logits_json) as f:
        ref = json.load(f)
    problems = []
    model, info = AutoModelForSequenceClassification.from_pretrained(out, output_loading_info=True)
    for key in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        if info.get(key):
            problems.append(f"{key}: {sorted(map(str, info[key]))}")
    with open(f"{out}/config.json") as f:
        config = json.load(f)
    if model.config.num_labels != len(config["id2label"]):
        problems.append(f"num_labels {model.config.num_labels} vs id2label {config['id2label']}")

    model.eval()
    batch = {k: torch.tensor(ref[k]) for k in ("input_ids", "attention_mask")}
    if model.config.model_type == "bert":
        batch["token_type_ids"] = torch.tensor(ref["token_type_ids"])
    with torch.no_grad():
        logits = model(**batch).logits
    wick = torch.tensor(ref["logits"])
    if logits.shape != wick.shape:
        problems.append(f"logits shape {tuple(logits.shape)} vs Wick's {tuple(wick.shape)}")
    else:
        diff = (logits - wick).abs().max().item()
        print(f"max |logits - Wick's| = {diff:.3g}")
        if diff > 1e-4:
            problems.append(f"logits differ by {diff}")

    tokenizer = AutoTokenizer.from_pretrained(out)
    for i, (first, second) in enumerate(ref.get("pairs", [])):
        ids = tokenizer(first, second, truncation=True)["input_ids"]
        n = sum(ref["attention_mask"][i])
        if ids != ref["input_ids"][i][:n]:
            problems.append(f"pair {i}: tokenizer gives {ids}, Wick {ref['input_ids'][i][:n]}")

    if problems:
        print("export FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("export OK")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
