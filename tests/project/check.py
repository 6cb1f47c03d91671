"""Checks the runs of tests/project/run.sh and prints their numbers as JSON.

    python3 tests/project/check.py WORK
    python3 tests/project/check.py --from-wick-weights WICK_RESULTS_JSON WICK_EVALUATE_JSON

- `train.py --preview 16` gives the first rows' input_ids, token_type_ids, attention_mask and
  label that Wick gives (`wick batches`, unpadded by the attention mask);
- the evaluation `--from-wick-weights` runs before training (wick_results.json), in one process
  and in two (torchrun), equals `wick evaluate` on the same weights within 1e-4;
- the one-process and the two-process (torchrun) runs reached their steps (WICK_PROJECT_STEPS, 20 by default) and wrote
  trainer_state.json.
Exits 1 with what differs.
"""
import json
import os
import sys

TOLERANCE = 1e-4
# The Python runs' steps (run.sh passes the same number to train.py --max-steps).
STEPS = int(os.environ.get("WICK_PROJECT_STEPS", "20"))


def load(path):
    with open(path) as f:
        return json.load(f)


def wick_rows(batches):
    """Wick's padded batches as unpadded rows, in order."""
    rows = []
    for b in batches["batches"]:
        for i in range(len(b["input_ids"])):
            n = sum(b["attention_mask"][i])
            row = {"input_ids": b["input_ids"][i][:n], "attention_mask": b["attention_mask"][i][:n],
                   "label": b["labels"][i]}
            if "token_type_ids" in b:
                row["token_type_ids"] = b["token_type_ids"][i][:n]
            rows.append(row)
    return rows


def first_evaluation(python_json, wick_json, problems):
    """train.py's evaluation of Wick's weights before training against `wick evaluate`."""
    python_eval, wick_eval = load(python_json), load(wick_json)
    compared = {}
    for key in sorted(k for k in wick_eval if k.startswith("eval_") and "runtime" not in k
                      and "per_second" not in k):
        diff = abs(python_eval[key] - wick_eval[key])
        compared[key] = {"python": python_eval[key], "wick": wick_eval[key], "diff": diff}
        if diff > TOLERANCE:
            problems.append(f"{key} from Wick's weights: Python {python_eval[key]} vs wick evaluate "
                            f"{wick_eval[key]} (diff {diff:.3g} > {TOLERANCE})")
    if not compared:
        problems.append(f"{wick_json}: no metrics")
    return compared


def run_numbers(work, name):
    state = load(os.path.join(work, name, "trainer_state.json"))
    results = load(os.path.join(work, name, "all_results.json"))
    start, end = map(float, open(os.path.join(work, f"{name}.time")).read().split())
    losses = [e["loss"] for e in state["log_history"] if "loss" in e]
    return {
        "global_step": state["global_step"],
        "losses": losses,
        "train_loss": results.get("train_loss"),
        "eval": {k: v for k, v in results.items() if k.startswith("eval_") and "runtime" not in k
                 and "per_second" not in k},
        "train_samples_per_second": results.get("train_samples_per_second"),
        "wall_seconds": round(end - start, 1),
    }


def main(work):
    problems = []
    python_rows = [json.loads(l) for l in open(os.path.join(work, "preview.jsonl")) if l.strip()]
    rows = wick_rows(load(os.path.join(work, "wick_batches.json")))
    if len(python_rows) != 16 or len(rows) != 16:
        problems.append(f"preview rows: Python {len(python_rows)}, Wick {len(rows)} (expected 16)")
    for i, (p, w) in enumerate(zip(python_rows, rows)):
        for key in ("input_ids", "token_type_ids", "attention_mask", "label"):
            if p.get(key) != w.get(key):
                problems.append(f"row {i} {key}: Python {p.get(key)} vs Wick {w.get(key)}")

    numbers = {}
    for name in ("one", "ddp"):
        numbers[f"{name}_first_evaluation_from_wick_weights"] = first_evaluation(
            os.path.join(work, name, "wick_results.json"), os.path.join(work, "wick_eval.json"), problems)
    for name in ("one", "ddp"):
        try:
            numbers[name] = run_numbers(work, name)
        except (OSError, KeyError, ValueError) as e:
            problems.append(f"{name}: {e}")
            continue
        if numbers[name]["global_step"] != STEPS:
            problems.append(f"{name}: {numbers[name]['global_step']} steps, expected {STEPS}")
    batch = [l.strip() for l in open(os.path.join(work, "ddp.log")) if l.startswith("effective batch")]
    numbers["ddp_effective_batch"] = batch[0] if batch else None
    if not batch or "4 per device x 2 processes x 1 accumulation = 8 (Wick's: 8)" not in batch[0]:
        problems.append(f"the torchrun run did not train 2 processes on Wick's batch: {batch}")
    print(json.dumps(numbers, indent=1))
    if problems:
        print("project: FAILED\n  " + "\n  ".join(problems))
        return 1
    print("project: ok (16 rows tokenized alike, Wick's weights evaluate alike, 1 and 2 processes trained)")
    return 0


def from_wick_weights(python_json, wick_json):
    problems = []
    print(json.dumps(first_evaluation(python_json, wick_json, problems), indent=1))
    if problems:
        print("project: FAILED\n  " + "\n  ".join(problems))
        return 1
    print("project: ok (train.py --from-wick-weights starts where Wick ended)")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--from-wick-weights":
        sys.exit(from_wick_weights(sys.argv[2], sys.argv[3]))
    sys.exit(main(sys.argv[1]))
