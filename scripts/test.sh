#!/usr/bin/env bash
# Runs all of Wick's tests on a fresh Debian machine (installing what is missing first):
# the engine, the CLI and the WebGPU backend natively (WebGPU on lavapipe, Mesa's CPU Vulkan
# driver), then the app end to end in headless Chromium. Every suite runs even when one before
# it failed; the script fails at the end, naming the suites that failed.
# WICK_CARGO_TEST_RUNS=2 runs `cargo test` twice (CI does, to catch tests that depend on order,
# timing or what an earlier run left behind).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export WICK_TEST_MODEL="${WICK_TEST_MODEL:-$(scripts/test-model.sh)}"
echo "test model: $WICK_TEST_MODEL"

failed=()
suite() {
  local name=$1 start=$SECONDS
  shift
  echo "=== $name"
  if "$@"; then
    echo "=== $name: ok ($((SECONDS - start)) s)"
  else
    echo "=== $name: FAILED ($((SECONDS - start)) s)"
    failed+=("$name")
  fi
}

runs="${WICK_CARGO_TEST_RUNS:-1}"
for run in $(seq "$runs"); do
  suite "cargo test (run $run of $runs)" cargo test --workspace --no-fail-fast
done
# The engine and the WebGPU backend also build for the browser (the e2e test builds the app).
suite "wasm32 build check" cargo check --quiet --target wasm32-unknown-unknown -p wick-engine -p wick-webgpu
# An exported project (`wick export-project`) trains with PyTorch: one process, and two (torchrun).
suite "exported project" tests/project/run.sh
if [ -f tests/e2e/run.sh ]; then
  suite "browser end to end" tests/e2e/run.sh
fi

if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "all suites passed"
