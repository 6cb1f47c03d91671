"""Check a run checkpoint folder written by `wick train --save-steps` with Python transformers.

    python3 tests/reference/check_checkpoint.py OUT/checkpoint-N

Needs transformers (not torch: only its `TrainerState`) and safetensors with numpy. Checks that
- transformers' `TrainerState.load_from_json` reads `trainer_state.json`, at step N;
- `optimizer.safetensors` has `{name}.exp_avg` and `{name}.exp_avg_sq` of each parameter's shape
  for every tensor of `model.safetensors`, and the step N in its metadata;
- `scheduler.json` has gone N steps.
Prints "checkpoint OK" and exits 0, or says what differs and exits 1.
"""
import json
import os
import sys

from safetensors import safe_open
from transformers.trainer_callback import TrainerState


def main(folder):
    problems = []
    step = int(os.path.basename(os.path.normpath(folder)).split("-")[-1])
    state = TrainerState.load_from_json(os.path.join(folder, "trainer_state.json"))
    if state.global_step != step:
        problems.append(f"trainer_state.json: global_step {state.global_step}, folder says {step}")
    if any("step" not in entry for entry in state.log_history):
        problems.append("trainer_state.json: a log_history entry without a step")

    with safe_open(os.path.join(folder, "model.safetensors"), "numpy") as f:
        shapes = {k: f.get_slice(k).get_shape() for k in f.keys()}
    with safe_open(os.path.join(folder, "optimizer.safetensors"), "numpy") as f:
        meta = f.metadata() or {}
        moments = {k: f.get_slice(k).get_shape() for k in f.keys()}
    if meta.get("step") != str(step):
        problems.append(f"optimizer.safetensors: step {meta.get('step')!r} in the metadata")
    for name, shape in shapes.items():
        for key in (f"{name}.exp_avg", f"{name}.exp_avg_sq"):
            if moments.get(key) != shape:
                problems.append(f"optimizer.safetensors: {key} is {moments.get(key)}, not {shape}")
    if len(moments) != 2 * len(shapes):
        problems.append(f"optimizer.safetensors: {len(moments)} tensors for {len(shapes)} parameters")

    with open(os.path.join(folder, "scheduler.json")) as f:
        scheduler = json.load(f)
    if scheduler.get("last_epoch") != step:
        problems.append(f"scheduler.json: last_epoch {scheduler.get('last_epoch')}")

    if problems:
        print("\n".join(problems))
        return 1
    print("checkpoint OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
