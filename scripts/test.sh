#!/usr/bin/env bash
# Runs all of Wick's tests on a fresh Debian machine (installing what is missing first):
# the engine, the CLI and the WebGPU backend natively (WebGPU on lavapipe, Mesa's CPU Vulkan
# driver), then the app end to end in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export WICK_TEST_MODEL="${WICK_TEST_MODEL:-$(scripts/test-model.sh)}"
echo "test model: $WICK_TEST_MODEL"

cargo test --workspace --no-fail-fast
# The engine and the WebGPU backend also build for the browser (the e2e test builds the app).
cargo check --quiet --target wasm32-unknown-unknown -p wick-engine -p wick-webgpu
# An exported project (`wick export-project`) trains with PyTorch: one process, and two (torchrun).
tests/project/run.sh

if [ -f tests/e2e/run.sh ]; then
  tests/e2e/run.sh
fi
