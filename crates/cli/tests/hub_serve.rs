//! The engine's Hub client against `wick hub serve` run as a user would (a process on port 0):
//! the tests' own data fallback (`wick_engine::testing::download_mrpc`) fetches MRPC's parquet
//! files from it once.

#[path = "../../engine/tests/data_support/mod.rs"]
mod data_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use wick_engine::data::load_dataset;
use wick_engine::hub::{DirStore, Hub, UreqFetch};

/// `wick hub serve DIR --port 0 ...` in the background, stopped when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Served {
    fn start(dir: &Path, extra: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wick"))
            .args(["hub", "serve"])
            .arg(dir)
            .args(["--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("run wick hub serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let url = first.rsplit(' ').next().unwrap().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{first}");
        // Read what it prints after its first line (`serving ... at URL`).
        std::thread::spawn(move || lines.map_while(|l| l.ok()).for_each(drop));
        Served { child, url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Without a local copy the tests download MRPC from the Hub: here from `wick hub serve`.
#[test]
fn test_data_comes_from_the_hub_when_there_is_no_copy() {
    let (hub_dir, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let glue = hub_dir.path().join("datasets/nyu-mll/glue/mrpc");
    std::fs::create_dir_all(&glue).unwrap();
    for (split, labels) in [("train", vec![1, 0, 1, 1]), ("validation", vec![0, 1])] {
        let file = glue.join(format!("{split}-00000-of-00001.parquet"));
        std::fs::write(file, data_support::mrpc_parquet(&labels)).unwrap();
    }
    let served = Served::start(hub_dir.path(), &[]);

    let folder = wick_engine::testing::download_mrpc(&served.url, cache.path()).unwrap();
    assert_eq!(folder.file_name().unwrap(), "mrpc");
    assert!(folder.starts_with(cache.path()), "{}", folder.display());
    let hub = Hub::new(
        UreqFetch::new(),
        DirStore::new(cache.path()),
        "http://unused",
        None,
    );
    let spec = folder.to_string_lossy();
    let dict = pollster::block_on(load_dataset(&hub, &spec, &mut |_| {})).unwrap();
    assert_eq!(dict.task.as_deref(), Some("mrpc"));
    assert_eq!(dict.split_names(), ["train", "validation"]);
    assert_eq!(dict.train().unwrap().num_rows(), 4);
    assert_eq!(dict.split("validation").unwrap().num_rows(), 2);
    assert_eq!(
        dict.label_names().unwrap(),
        ["not_equivalent", "equivalent"]
    );

    // Once: with the server gone, a second call finds the files in the cache.
    let url = served.url.clone();
    drop(served);
    let again = wick_engine::testing::download_mrpc(&url, cache.path()).unwrap();
    assert_eq!(again, folder);
}
