//! Test helpers shared by the data and hub tests: parquet files written the way `datasets`
//! writes them (nullable columns, snappy, the `huggingface` key-value metadata).
#![allow(dead_code)]

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, FloatType, Int32Type, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::sync::Arc;

/// A column to write; `None` text cells are nulls.
pub enum Col {
    Str(Vec<Option<String>>),
    I64(Vec<i64>),
    I32(Vec<i32>),
    F32(Vec<f32>),
}

pub fn strs(v: &[&str]) -> Col {
    Col::Str(v.iter().map(|s| Some(s.to_string())).collect())
}

/// A parquet file with these columns, all `optional` as arrow writes them.
pub fn write_parquet(columns: &[(&str, Col)], huggingface: Option<&str>) -> Vec<u8> {
    let fields: Vec<String> = columns
        .iter()
        .map(|(name, col)| match col {
            Col::Str(_) => format!("optional binary {name} (STRING);"),
            Col::I64(_) => format!("optional int64 {name};"),
            Col::I32(_) => format!("optional int32 {name};"),
            Col::F32(_) => format!("optional float {name};"),
        })
        .collect();
    let schema = Arc::new(
        parse_message_type(&format!("message schema {{ {} }}", fields.join(" "))).unwrap(),
    );
    let kv =
        huggingface.map(|json| vec![KeyValue::new("huggingface".to_string(), json.to_string())]);
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(kv)
        .build();
    let mut buf = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut buf, schema, Arc::new(props)).unwrap();
    let mut group = writer.next_row_group().unwrap();
    for (_, col) in columns {
        let mut w = group.next_column().unwrap().unwrap();
        match col {
            Col::Str(v) => {
                let values: Vec<ByteArray> = v
                    .iter()
                    .flatten()
                    .map(|s| ByteArray::from(s.as_str()))
                    .collect();
                let defs: Vec<i16> = v.iter().map(|s| s.is_some() as i16).collect();
                w.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defs), None)
                    .unwrap();
            }
            Col::I64(v) => {
                w.typed::<Int64Type>()
                    .write_batch(v, Some(&vec![1; v.len()]), None)
                    .unwrap();
            }
            Col::I32(v) => {
                w.typed::<Int32Type>()
                    .write_batch(v, Some(&vec![1; v.len()]), None)
                    .unwrap();
            }
            Col::F32(v) => {
                w.typed::<FloatType>()
                    .write_batch(v, Some(&vec![1; v.len()]), None)
                    .unwrap();
            }
        }
        w.close().unwrap();
    }
    group.close().unwrap();
    writer.close().unwrap();
    buf
}

/// The features JSON `datasets` 2.x+ writes for GLUE MRPC.
pub const MRPC_FEATURES: &str = r#"{"info": {"features": {"sentence1": {"dtype": "string", "_type": "Value"}, "sentence2": {"dtype": "string", "_type": "Value"}, "label": {"names": ["not_equivalent", "equivalent"], "_type": "ClassLabel"}, "idx": {"dtype": "int32", "_type": "Value"}}}}"#;

/// A small MRPC-shaped split with the Hub's metadata.
pub fn mrpc_parquet(labels: &[i64]) -> Vec<u8> {
    let n = labels.len();
    let s1: Vec<String> = (0..n).map(|i| format!("first \" sentence {i}")).collect();
    let s2: Vec<String> = (0..n).map(|i| format!("second sentence {i}")).collect();
    let refs = |v: &Vec<String>| Col::Str(v.iter().map(|s| Some(s.clone())).collect());
    write_parquet(
        &[
            ("sentence1", refs(&s1)),
            ("sentence2", refs(&s2)),
            ("label", Col::I64(labels.to_vec())),
            ("idx", Col::I32((0..n as i32).collect())),
        ],
        Some(MRPC_FEATURES),
    )
}

/// A temporary folder of the test's own, removed when dropped.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
