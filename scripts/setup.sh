#!/usr/bin/env bash
# Installs what Wick's build and tests need on a fresh Debian machine; quick when all is there.
#   scripts/setup.sh web      the wasm32 target, trunk, wasm-bindgen-cli (to build the app)
#   scripts/setup.sh test     the above, plus Chromium, lavapipe (Vulkan on CPU), node modules
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-test}"

have() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return
  echo "setup: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# --- building the web app ---------------------------------------------------------------
rustup target list --installed | grep -q wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
if ! have trunk || ! trunk --version | grep -q "0.21.14"; then
  echo "setup: cargo install trunk 0.21.14"
  cargo install --locked trunk --version 0.21.14
fi
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock.
wb=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p' | head -n1)
if [ -n "$wb" ] && { ! have wasm-bindgen || ! wasm-bindgen --version | grep -q " $wb\$"; }; then
  echo "setup: cargo install wasm-bindgen-cli $wb"
  cargo install wasm-bindgen-cli --version "$wb" --force
fi
cargo fetch --quiet
[ "$what" = web ] && exit 0

# --- running the tests ------------------------------------------------------------------
# python3-venv: tests/project/python.sh makes a venv for the exported project when python3 lacks torch.
apt_install chromium chromium-driver mesa-vulkan-drivers libvulkan1 python3-venv
have npm || apt_install nodejs npm
if [ -f tests/e2e/package.json ]; then
  (cd tests/e2e && { [ -d node_modules ] || npm ci --no-audit --no-fund --silent; })
fi
