//! `load_dataset` on local folders and files and on uploaded files: recognised by their
//! names, in any of the formats, with errors that name the file.

mod data_support;
use data_support::*;
use std::collections::BTreeMap;
use wick_engine::data::{load_dataset, load_source, DatasetDict};
use wick_engine::hub::{Fetch, Hub, MemoryStore, Progress, Source};
use wick_engine::{Error, Result};

struct NoNetwork;
impl Fetch for NoNetwork {
    async fn get(
        &self,
        url: &str,
        _: Option<&str>,
        _: &mut dyn FnMut(&Progress),
    ) -> Result<Vec<u8>> {
        panic!("local data must not download {url}")
    }
}

fn hub() -> Hub<NoNetwork, MemoryStore> {
    Hub::new(NoNetwork, MemoryStore::new(), "http://unused", None)
}

fn load(path: &std::path::Path) -> Result<DatasetDict> {
    pollster::block_on(load_dataset(&hub(), path.to_str().unwrap(), &mut |_| {}))
}

fn rows(dict: &DatasetDict) -> Vec<(&str, usize)> {
    dict.splits
        .iter()
        .map(|(n, d)| (n.as_str(), d.num_rows()))
        .collect()
}

#[test]
fn csv_folder_named_by_split() {
    let tmp = temp_dir();
    let dir = tmp.path();
    std::fs::write(
        dir.join("train.csv"),
        "text,label\n\"a, b\",pos\nc,neg\nd,pos\n",
    )
    .unwrap();
    std::fs::write(dir.join("dev.csv"), "text,label\ne,pos\n").unwrap();
    std::fs::write(dir.join("README.md"), "not data").unwrap();
    let dict = load(dir).unwrap();
    assert_eq!(rows(&dict), [("train", 3), ("validation", 1)]);
    assert_eq!(dict.task, None);
    assert_eq!(dict.label_names().unwrap(), ["neg", "pos"]);
    assert_eq!(dict.validation().unwrap().labels(), Some(vec![1.0]));
}

#[test]
fn string_labels_mean_the_same_class_in_every_split() {
    let tmp = temp_dir();
    let dir = tmp.path();
    std::fs::write(
        dir.join("train.jsonl"),
        "{\"text\":\"a\",\"label\":\"b_class\"}\n{\"text\":\"b\",\"label\":\"c_class\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("test.jsonl"),
        "{\"text\":\"c\",\"label\":\"a_class\"}\n{\"text\":\"d\",\"label\":\"c_class\"}\n",
    )
    .unwrap();
    let dict = load(dir).unwrap();
    assert_eq!(
        dict.label_names().unwrap(),
        ["a_class", "b_class", "c_class"]
    );
    assert_eq!(dict.train().unwrap().labels(), Some(vec![1.0, 2.0]));
    assert_eq!(dict.split("test").unwrap().labels(), Some(vec![0.0, 2.0]));
    assert_eq!(dict.num_labels(), Some(3));
}

#[test]
fn parquet_shards_and_a_task_folder() {
    let tmp = temp_dir();
    let dir = tmp.path().join("mrpc");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(
        dir.join("data/train-00000-of-00002.parquet"),
        mrpc_parquet(&[0, 1]),
    )
    .unwrap();
    std::fs::write(
        dir.join("data/train-00001-of-00002.parquet"),
        mrpc_parquet(&[1]),
    )
    .unwrap();
    std::fs::write(
        dir.join("data/validation-00000-of-00001.parquet"),
        mrpc_parquet(&[0]),
    )
    .unwrap();
    let dict = load(&dir).unwrap();
    assert_eq!(dict.task.as_deref(), Some("mrpc"));
    assert_eq!(rows(&dict), [("train", 3), ("validation", 1)]);
    assert_eq!(dict.train().unwrap().labels(), Some(vec![0.0, 1.0, 1.0]));
}

#[test]
fn one_file_is_a_train_split() {
    let tmp = temp_dir();
    let dir = tmp.path();
    let file = dir.join("reviews.jsonl");
    std::fs::write(&file, "{\"text\":\"fine\",\"label\":1}\n").unwrap();
    let dict = load(&file).unwrap();
    assert_eq!(rows(&dict), [("train", 1)]);
}

#[test]
fn uploaded_glue_files_are_recognised_by_their_header() {
    let header = "\u{feff}Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n";
    let files: BTreeMap<String, Vec<u8>> = [
        (
            "train.tsv".to_string(),
            format!("{header}1\t1\t2\ta \" b\tc\n0\t3\t4\td\te\n").into_bytes(),
        ),
        (
            "dev.tsv".to_string(),
            format!("{header}1\t5\t6\tf\tg\n").into_bytes(),
        ),
    ]
    .into();
    let dict = pollster::block_on(load_source(
        &hub(),
        &Source::Files(files),
        None,
        &mut |_| {},
    ))
    .unwrap();
    assert_eq!(dict.task.as_deref(), Some("mrpc"));
    assert_eq!(rows(&dict), [("train", 2), ("validation", 1)]);
    assert_eq!(
        dict.train().unwrap().text("sentence1").unwrap()[0],
        "a \" b"
    );
}

#[test]
fn errors_name_the_file_and_line() {
    let tmp = temp_dir();
    let dir = tmp.path().join("RTE");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("train.tsv"),
        "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n1\tc\td\tmaybe\n",
    )
    .unwrap();
    match load(&dir).unwrap_err() {
        Error::Data { file, line, msg } => {
            assert_eq!(file, dir.join("train.tsv").display().to_string());
            assert_eq!(line, Some(3));
            assert!(msg.contains("`maybe`"), "{msg}");
        }
        other => panic!("{other}"),
    }
    std::fs::write(
        dir.join("train.tsv"),
        "index\tsentence1\tsentence2\tlabel\n",
    )
    .unwrap();
    let err = load(&dir).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no rows: the split is empty",
            dir.join("train.tsv").display()
        )
    );

    let tmp = temp_dir();
    let empty = tmp.path();
    std::fs::write(empty.join("notes.txt"), "x").unwrap();
    let err = load(empty).unwrap_err();
    assert!(err.to_string().contains("no data files"), "{err}");
    let err =
        pollster::block_on(load_dataset(&hub(), "./no/such/folder", &mut |_| {})).unwrap_err();
    assert!(
        matches!(&err, Error::Io { path, .. } if path == "./no/such/folder"),
        "{err}"
    );
}
