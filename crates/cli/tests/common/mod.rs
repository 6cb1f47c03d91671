//! What the `wick` binary's test files share: running it as a user would, and the real data
//! as command-line arguments (see `wick_engine::testing`).
#![allow(dead_code)] // each test binary uses some of these

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn model_dir() -> String {
    wick_engine::testing::minilm_dir().display().to_string()
}

pub fn mrpc_dir() -> String {
    wick_engine::testing::mrpc_dir().display().to_string()
}

/// Run `wick` with a cache folder of its own and no Hub endpoint or token from the
/// environment; the caller looks at how it went.
pub fn run(args: &[&str]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_wick"))
        .args(args)
        .env_remove("HF_ENDPOINT")
        .env_remove("HF_TOKEN")
        .env("WICK_CACHE", cache.path())
        .output()
        .expect("run wick")
}

/// Run, and expect success (the failure shows stdout and stderr).
pub fn wick(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "wick {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
