#!/usr/bin/env bash
# Build and serve the Wick app on http://127.0.0.1:8080, installing what is missing first
# (the wasm32 target, Trunk, wasm-bindgen-cli: scripts/setup.sh web; wasm-opt from npm
# binaryen 132, since Debian's binaryen 108 breaks the page and Trunk must not download).
# Extra arguments go to `trunk serve` (e.g. --release, --port 9000).
# Offline, or with a local Hub: `wick hub serve DIR`, then open
# http://127.0.0.1:8080/?hub=http://127.0.0.1:8765
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh web
[ -x tools/node_modules/.bin/wasm-opt ] || (cd tools && npm ci --no-audit --no-fund --silent)
export PATH="$PWD/tools/node_modules/.bin:$PATH"
exec trunk serve "$@"
