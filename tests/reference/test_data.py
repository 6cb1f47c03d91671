"""Where the reference scripts find GLUE MRPC's TSV files: `$WICK_MRPC`, else what the Rust
tests find (`wick_engine::testing`, the one place that knows: `../shared/data/glue/MRPC` beside
the repository or above it), asked through `examples/test_data.rs` (built as tests/e2e/run.sh
builds it: other cargo options would unify other features and rebuild the dependencies)."""
import os
import subprocess

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def mrpc_tsv_dir():
    if os.environ.get("WICK_MRPC"):
        return os.environ["WICK_MRPC"]
    subprocess.run(["cargo", "build", "--quiet", "--workspace", "--bins", "--examples"], cwd=REPO, check=True)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    example = os.path.join(target, "debug", "examples", "test_data")
    return subprocess.run([example, "mrpc-tsv"], cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()
