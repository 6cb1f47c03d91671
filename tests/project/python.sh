#!/usr/bin/env bash
# Prints a Python that runs an exported project (torch, transformers, datasets, accelerate,
# scikit-learn, scipy at the versions of its requirements.txt): python3 itself when it has
# them, else a virtual environment in ${WICK_CACHE:-~/.cache/wick}/project-venv, made once
# (about 3 GB of wheels from PyPI, a few minutes; pip's cache keeps them for the next time).
set -euo pipefail
cd "$(dirname "$0")/../.."
have='import torch, transformers, datasets, accelerate, sklearn, scipy'
if python3 -c "$have" 2>/dev/null; then
  command -v python3
  exit 0
fi
venv="${WICK_CACHE:-$HOME/.cache/wick}/project-venv"
if ! "$venv/bin/python" -c "$have" 2>/dev/null; then
  echo "project: installing crates/engine/src/project/requirements.txt into $venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet -r crates/engine/src/project/requirements.txt >&2
fi
echo "$venv/bin/python"
