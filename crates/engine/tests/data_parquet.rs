//! The Hub's parquet reader: features from the `huggingface` metadata, or from the schema.

mod data_support;
use data_support::*;
use wick_engine::data::{read_parquet, Feature, GlueTask, Values};
use wick_engine::Error;

#[test]
fn class_label_names_come_from_the_huggingface_metadata() {
    let d = read_parquet(mrpc_parquet(&[1, 0, 1]), "train.parquet", None, "train").unwrap();
    assert_eq!(d.num_rows(), 3);
    assert_eq!(d.label_names().unwrap(), ["not_equivalent", "equivalent"]);
    assert_eq!(d.labels(), Some(vec![1.0, 0.0, 1.0]));
    assert_eq!(d.text("sentence1").unwrap()[2], "first \" sentence 2");
    assert_eq!(d.column("idx").unwrap().values, Values::Int(vec![0, 1, 2]));
    let f = d.features();
    assert_eq!(f.get("idx"), Some(&Feature::value("int32")));
    assert_eq!(
        serde_json::to_string(&d.row(0).unwrap()).unwrap(),
        r#"{"sentence1":"first \" sentence 0","sentence2":"second sentence 0","label":1,"idx":0}"#
    );
}

#[test]
fn older_datasets_metadata_with_ids_and_num_classes() {
    let old = r#"{"info": {"features": {"sentence": {"dtype": "string", "id": null, "_type": "Value"}, "label": {"num_classes": 2, "names": ["negative", "positive"], "names_file": null, "id": null, "_type": "ClassLabel"}, "idx": {"dtype": "int32", "id": null, "_type": "Value"}}}}"#;
    let bytes = write_parquet(
        &[
            ("sentence", strs(&["bad", "good"])),
            ("label", Col::I64(vec![0, 1])),
            ("idx", Col::I32(vec![0, 1])),
        ],
        Some(old),
    );
    let d = read_parquet(bytes, "sst2.parquet", None, "train").unwrap();
    assert_eq!(d.label_names().unwrap(), ["negative", "positive"]);
}

#[test]
fn without_metadata_types_follow_the_schema_and_a_task_names_the_classes() {
    let cols = || {
        vec![
            ("sentence1", strs(&["a", "b"])),
            ("sentence2", strs(&["c", "d"])),
            ("label", Col::I64(vec![0, 1])),
            ("idx", Col::I32(vec![7, 8])),
        ]
    };
    let d = read_parquet(write_parquet(&cols(), None), "p.parquet", None, "train").unwrap();
    assert_eq!(d.features().get("label"), Some(&Feature::value("int64")));
    assert_eq!(d.label_names(), None);
    assert_eq!(d.labels(), Some(vec![0.0, 1.0]));

    let mrpc = GlueTask::get("mrpc");
    let d = read_parquet(write_parquet(&cols(), None), "p.parquet", mrpc, "train").unwrap();
    assert_eq!(d.label_names().unwrap(), ["not_equivalent", "equivalent"]);
    assert_eq!(d.column("idx").unwrap().values, Values::Int(vec![7, 8]));
}

#[test]
fn stsb_scores_are_float_targets() {
    let stsb = r#"{"info": {"features": {"sentence1": {"dtype": "string", "_type": "Value"}, "sentence2": {"dtype": "string", "_type": "Value"}, "label": {"dtype": "float32", "_type": "Value"}, "idx": {"dtype": "int32", "_type": "Value"}}}}"#;
    let bytes = write_parquet(
        &[
            ("sentence1", strs(&["a", "b"])),
            ("sentence2", strs(&["c", "d"])),
            ("label", Col::F32(vec![4.5, 0.25])),
            ("idx", Col::I32(vec![0, 1])),
        ],
        Some(stsb),
    );
    let d = read_parquet(bytes, "stsb.parquet", GlueTask::get("stsb"), "train").unwrap();
    assert_eq!(d.labels(), Some(vec![4.5, 0.25]));
    assert_eq!(d.label_names(), None);
}

#[test]
fn test_split_labels_are_minus_one() {
    let d = read_parquet(
        mrpc_parquet(&[-1, -1]),
        "test.parquet",
        GlueTask::get("mrpc"),
        "test",
    )
    .unwrap();
    assert_eq!(d.num_rows(), 2);
    assert_eq!(d.labels(), None);
}

fn data_error(err: Error) -> (String, Option<usize>, String) {
    match err {
        Error::Data { file, line, msg } => (file, line, msg),
        other => panic!("expected a data error, got {other}"),
    }
}

#[test]
fn errors_name_the_file_and_row() {
    let (file, line, msg) = data_error(
        read_parquet(mrpc_parquet(&[0, 2]), "v.parquet", None, "validation").unwrap_err(),
    );
    assert_eq!((file.as_str(), line), ("v.parquet", None));
    assert!(msg.starts_with("row 1: label 2 is out of range"), "{msg}");
    // -1 only in a test split.
    let (_, _, msg) =
        data_error(read_parquet(mrpc_parquet(&[-1]), "t.parquet", None, "train").unwrap_err());
    assert!(msg.contains("label -1 is out of range"), "{msg}");

    let nulls = write_parquet(
        &[
            ("sentence", Col::Str(vec![Some("a".into()), None])),
            ("label", Col::I64(vec![0, 1])),
        ],
        None,
    );
    let (_, _, msg) = data_error(read_parquet(nulls, "n.parquet", None, "train").unwrap_err());
    assert_eq!(msg, "row 1, column `sentence`: missing value (null)");

    let one = write_parquet(
        &[("sentence1", strs(&["a"])), ("label", Col::I64(vec![0]))],
        None,
    );
    let (_, _, msg) =
        data_error(read_parquet(one, "m.parquet", GlueTask::get("mrpc"), "train").unwrap_err());
    assert_eq!(
        msg,
        "missing column `sentence2` (the file has: sentence1, label)"
    );

    let empty = write_parquet(
        &[("sentence", strs(&[])), ("label", Col::I64(vec![]))],
        None,
    );
    let (_, _, msg) = data_error(read_parquet(empty, "e.parquet", None, "train").unwrap_err());
    assert_eq!(msg, "no rows: the split is empty");

    let (file, _, msg) =
        data_error(read_parquet(b"not parquet".to_vec(), "x.parquet", None, "train").unwrap_err());
    assert_eq!(file, "x.parquet");
    assert!(msg.starts_with("not a readable parquet file"), "{msg}");
}
