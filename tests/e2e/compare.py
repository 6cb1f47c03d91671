#!/usr/bin/env python3
"""Check the browser run against the native engine (called by run.sh with its work folder):

- the exported model, loaded natively (`wick predict --json`), gives the logits the page
  showed for the same pair;
- the page's per-step training losses (the exported trainer_state.json, logged every step)
  equal `wick train --log-json` for the same seed, data and steps, to fp32 tolerance;
- in the page, WebGPU gives the CPU backend's losses, and a run whose GPU is lost after step 1
  goes on on the CPU from step 1 with the CPU's losses.

Writes WORK/compare.json with the deviations and the speeds, and exits 1 on a mismatch.
"""
import json
import os
import sys

# The page rounds logits to 3 decimals; the engines differ in summation order (wasm simd128
# vs native), which a few dozen optimizer steps amplify a little.
LOGIT_TOL = 2e-3
LOSS_TOL_FIRST = 1e-4
LOSS_TOL = 2e-3
# WebGPU against the CPU backend, a step or two from the same weights: fp32 summation order.
GPU_LOSS_TOL = 1e-4


def load_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def logits_of(native):
    """`wick predict --json` output: a list of rows or one row, each with `logits`."""
    rows = native if isinstance(native, list) else native.get("predictions", [native])
    return rows[0]["logits"]


def main(work):
    browser = json.load(open(os.path.join(work, "browser.json")))
    report = {"timings": browser.get("timings", {}), "progress": browser.get("progress")}
    failures = []

    native_logits = logits_of(json.load(open(os.path.join(work, "native_pair.json"))))
    page_logits = browser["pair_logits"]
    dev = max(abs(a - b) for a, b in zip(page_logits, native_logits))
    report["pair_logits"] = {"page": page_logits, "native": native_logits, "max_abs_diff": dev}
    if len(page_logits) != len(native_logits) or dev > LOGIT_TOL:
        failures.append(f"exported model: page logits {page_logits} vs native {native_logits}")

    state = json.load(open(os.path.join(work, "export", "trainer_state.json")))
    page = {e["step"]: e["loss"] for e in state["log_history"] if "loss" in e}
    native = {e["step"]: e["loss"] for e in load_jsonl(os.path.join(work, "native_log.jsonl"))
              if e.get("event") == "log"}
    steps = sorted(set(page) & set(native))
    if not steps or len(steps) != len(native):
        failures.append(f"steps: page logged {sorted(page)}, native {sorted(native)}")
    diffs = [abs(page[s] - native[s]) for s in steps]
    report["loss"] = {
        "steps": len(steps),
        "first": [page[steps[0]], native[steps[0]]] if steps else None,
        "last": [page[steps[-1]], native[steps[-1]]] if steps else None,
        "max_abs_diff": max(diffs, default=None),
    }
    if steps and diffs[0] > LOSS_TOL_FIRST:
        failures.append(f"step {steps[0]}: loss {page[steps[0]]} (page) vs {native[steps[0]]} (native)")
    bad = [(s, page[s], native[s]) for s, d in zip(steps, diffs) if d > LOSS_TOL]
    if bad:
        failures.append(f"losses differ beyond {LOSS_TOL}: {bad[:5]}")

    failures += compare_webgpu(browser.get("webgpu"), report)

    json.dump(report, open(os.path.join(work, "compare.json"), "w"), indent=2)
    print(json.dumps(report, indent=2))
    if failures:
        print("\n".join(f"MISMATCH: {f}" for f in failures), file=sys.stderr)
        sys.exit(1)


def compare_webgpu(runs, report):
    """The page's WebGPU runs against its CPU run of the same steps (app.test.mjs `webgpu`)."""
    if not runs:
        return ["the page made no WebGPU runs"]
    cpu = dict(runs["cpu"]["losses"])
    failures = []
    report["webgpu"] = {"seconds": {k: runs[k]["seconds"] for k in runs}, "backend": runs["webgpu"]["backend"]}
    # After the loss the CPU goes on from the last log with fresh AdamW moments: the loss of the
    # step after it (taken before its update) is still the CPU run's; later ones are not.
    resumed = runs["lost"].get("resumed_from", 0)
    for name, expected_steps, compared in (("webgpu", [1, 2, 3], 3), ("lost", [1, 2, 3], resumed + 1)):
        page = runs[name]["losses"]
        steps = [s for s, _ in page]
        if steps != expected_steps:
            failures.append(f"{name}: logged steps {steps}, expected {expected_steps}")
        diffs = {s: abs(l - cpu[s]) for s, l in page if s in cpu and s <= compared}
        report["webgpu"][f"{name}_max_abs_diff"] = max(diffs.values(), default=None)
        bad = {s: (l, cpu[s]) for s, l in page if s in diffs and diffs[s] > GPU_LOSS_TOL}
        if bad or not diffs:
            failures.append(f"{name}: losses differ from the CPU run: {bad or page}")
    report["webgpu"]["lost_resumed_from"] = resumed
    return failures


if __name__ == "__main__":
    main(sys.argv[1])
