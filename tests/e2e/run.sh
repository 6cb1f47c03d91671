#!/usr/bin/env bash
# The app end to end in headless Chromium, then the same run natively:
#  1. the app (`trunk build`, into the work folder) and the CLI (`wick`);
#  2. a Hub-shaped folder (make_hub.py: all-MiniLM-L6-v2 and MRPC as the Hub's parquet files;
#     MRPC from where the Rust tests find it, `examples/test_data.rs mrpc`);
#  3. `wick hub serve HUB --app DIST` serves both, cross-origin isolated, on a free port;
#  4. app.test.mjs clicks through the course, trains, exports; screenshots in WORK/screenshots/
#     (desktop, 390 and 768 px wide), axe-core in each state, the class link (classroom.mjs);
#  5. natively: the exported model gives the page's logits (`wick predict`), and `wick train`
#     gives the page's per-step losses for the same seed, data and steps (compare.py);
#  6. the project the page exported runs with PyTorch from the page's weights (tests/project).
#     (tests/project/python.sh finds or installs torch and transformers.)
# Needs what `scripts/setup.sh test` installs, plus wasm-opt (tools/, npm) and pyarrow.
# Everything it writes goes to the work folder, so runs in parallel cannot clash.
# WICK_E2E_DIR keeps the work folder (default: a fresh temporary one); WICK_E2E_STEPS (30).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work="${WICK_E2E_DIR:-$(mktemp -d -t wick-e2e-XXXXXX)}"
steps="${WICK_E2E_STEPS:-30}"
mkdir -p "$work"
echo "e2e: work folder $work"
# The native `wick` runs below download into a cache of this run's own.
export WICK_CACHE="$work/cache"

[ -x tools/node_modules/.bin/wasm-opt ] || (cd tools && npm ci --no-audit --no-fund --silent)
# Again whenever the lock file changed (a new package: axe-core).
installed=tests/e2e/node_modules/.package-lock.json
if [ ! -f $installed ] || [ tests/e2e/package-lock.json -nt $installed ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --silent)
fi
# Debug profiles: the dependencies (candle, tokenizers) and the engine are optimised even there
# (Cargo.toml), and the builds reuse what `cargo test --workspace` compiled.
PATH="$root/tools/node_modules/.bin:$PATH" trunk build --dist "$work/dist"
cargo build --workspace --bins --examples
bin="${CARGO_TARGET_DIR:-$root/target}/debug"
wick="$bin/wick"

python3 -c "import pyarrow" 2>/dev/null || pip install --quiet pyarrow
# MRPC where the Rust tests find it (a download lands in the user's cache, not this run's).
mrpc=$(WICK_CACHE= "$bin/examples/test_data" mrpc)
python3 tests/e2e/make_hub.py "$work/hub" --glue "$mrpc"

"$wick" hub serve "$work/hub" --port 0 --app "$work/dist" > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^serving' "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^serving .* at \(http:[^ ]*\)$/\1/p' "$work/serve.log")
[ -n "$url" ] || { cat "$work/serve.log"; exit 1; }
echo "e2e: hub and app at $url"

node tests/e2e/app.test.mjs --url "$url" --out "$work" --steps "$steps"

# The same pair, natively, on the exported folder.
pair_a="The company said profits rose 5% in the third quarter."
pair_b="Third-quarter profits were up 5 percent, the company said."
"$wick" predict --model "$work/export" --json "$pair_a" "$pair_b" > "$work/native_pair.json"
# The same run, natively: seed 42, MRPC from the same server, the same steps, a log every step.
"$wick" --hub-endpoint "$url" train --model sentence-transformers/all-MiniLM-L6-v2 --data glue/mrpc \
  --max-steps "$steps" --logging-steps 1 --eval-strategy no --seed 42 --backend cpu \
  --output-dir "$work/native_out" --log-json "$work/native_log.jsonl" > "$work/native_train.txt"

python3 tests/e2e/compare.py "$work"

# The project the page exported ("Run it on a GPU server"), with PyTorch: the checkpoint and
# MRPC from this server as from the Hub, starting from the page's weights; its first evaluation
# equals `wick evaluate` on them.
python=$(tests/project/python.sh)
python3 -m zipfile -e "$work/wick-project.zip" "$work"
(cd "$work/wick-project" && HF_ENDPOINT="$url" HF_HOME="$work/hf" TOKENIZERS_PARALLELISM=false \
  "$python" train.py --from-wick-weights --max-steps 5 --output-dir "$work/project_out" \
  > "$work/project_out.log" 2>&1) || { tail -30 "$work/project_out.log"; exit 1; }
"$wick" --hub-endpoint "$url" --json evaluate --model "$work/wick-project/wick_model" --data glue/mrpc \
  > "$work/project_wick_eval.json"
python3 tests/project/check.py --from-wick-weights "$work/project_out/wick_results.json" \
  "$work/project_wick_eval.json"
echo "e2e: ok (screenshots in $work/screenshots/)"
