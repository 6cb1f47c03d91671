//! The Hub's parquet files (`mrpc/train-00000-of-00001.parquet`), read with the `parquet`
//! crate's record API (no arrow, so it stays small in wasm). `datasets` stores the features in
//! the key-value metadata `huggingface` as `{"info": {"features": {...}}}`; that is where the
//! `ClassLabel` names come from. Without it, types follow the parquet schema.

use super::dataset::{Column, Dataset, Feature, Values};
use super::glue::GlueTask;
use super::table::check_class;
use crate::{Error, Result};
use parquet::basic::Type as Physical;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

/// The key-value metadata key `datasets` writes.
pub const HF_METADATA_KEY: &str = "huggingface";

pub fn read_parquet(
    bytes: Vec<u8>,
    file: &str,
    task: Option<&GlueTask>,
    split: &str,
) -> Result<Dataset> {
    let error = |msg: String| Error::data(file, None, msg);
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes))
        .map_err(|e| error(format!("not a readable parquet file: {e}")))?;
    let meta = reader.metadata().file_metadata();
    let hf = meta
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|kv| kv.key == HF_METADATA_KEY))
        .and_then(|kv| kv.value.as_deref());
    let hf_features = match hf {
        Some(json) => {
            hf_features(json).map_err(|e| error(format!("bad `huggingface` metadata: {e}")))?
        }
        None => serde_json::Map::new(),
    };

    // Flat columns only (a pre-tokenized set's `input_ids` lists are skipped: we re-tokenize).
    let fields = meta.schema_descr().root_schema().get_fields();
    let mut columns: Vec<(usize, Column)> = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        if !field.is_primitive() {
            continue;
        }
        let (values, dtype) = match field.get_physical_type() {
            Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY => {
                (Values::Text(vec![]), "string")
            }
            Physical::BOOLEAN => (Values::Int(vec![]), "bool"),
            Physical::INT32 => (Values::Int(vec![]), "int32"),
            Physical::INT64 | Physical::INT96 => (Values::Int(vec![]), "int64"),
            Physical::FLOAT => (Values::Float(vec![]), "float32"),
            Physical::DOUBLE => (Values::Float(vec![]), "float64"),
        };
        let name = field.name().to_string();
        let feature = hf_features
            .get(&name)
            .and_then(|f| serde_json::from_value::<Feature>(f.clone()).ok())
            .unwrap_or_else(|| Feature::value(dtype));
        columns.push((
            i,
            Column {
                name,
                feature,
                values,
            },
        ));
    }

    let rows = reader
        .get_row_iter(None)
        .map_err(|e| error(format!("unreadable rows: {e}")))?;
    for (r, row) in rows.enumerate() {
        let row = row.map_err(|e| error(format!("row {r}: {e}")))?;
        let cells: Vec<&Field> = row.get_column_iter().map(|(_, f)| f).collect();
        for (i, column) in &mut columns {
            let cell = cells.get(*i).copied().unwrap_or(&Field::Null);
            push(&mut column.values, cell)
                .map_err(|msg| error(format!("row {r}, column `{}`: {msg}", column.name)))?;
        }
    }
    let columns = columns.into_iter().map(|(_, c)| c).collect();
    finish(file, columns, task, split)
}

/// `{"info": {"features": {...}}}` -> the features object (older files may lack `info`).
fn hf_features(
    json: &str,
) -> std::result::Result<serde_json::Map<String, serde_json::Value>, String> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let features = value
        .pointer("/info/features")
        .or_else(|| value.get("features"));
    match features {
        Some(serde_json::Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err("`info.features` is not an object".into()),
        None => Ok(serde_json::Map::new()),
    }
}

fn push(values: &mut Values, cell: &Field) -> std::result::Result<(), String> {
    match (values, cell) {
        (Values::Text(v), Field::Str(s)) => v.push(s.clone()),
        (Values::Text(v), Field::Bytes(b)) => {
            let s = std::str::from_utf8(b.data()).map_err(|_| "not valid UTF-8".to_string())?;
            v.push(s.to_string())
        }
        (Values::Int(v), Field::Bool(b)) => v.push(*b as i64),
        (Values::Int(v), Field::Byte(x)) => v.push(*x as i64),
        (Values::Int(v), Field::Short(x)) => v.push(*x as i64),
        (Values::Int(v), Field::Int(x)) => v.push(*x as i64),
        (Values::Int(v), Field::Long(x)) => v.push(*x),
        (Values::Int(v), Field::UByte(x)) => v.push(*x as i64),
        (Values::Int(v), Field::UShort(x)) => v.push(*x as i64),
        (Values::Int(v), Field::UInt(x)) => v.push(*x as i64),
        (Values::Int(v), Field::ULong(x)) => {
            v.push(i64::try_from(*x).map_err(|_| format!("{x} is too large"))?)
        }
        (Values::Float(v), Field::Float(x)) => v.push(*x),
        (Values::Float(v), Field::Double(x)) => v.push(*x as f32),
        (_, Field::Null) => return Err("missing value (null)".into()),
        (_, other) => return Err(format!("unsupported value {other}")),
    }
    Ok(())
}

/// Check labels against their classes, and with a task, keep its columns in the Hub's order
/// (text, label, idx) and give an untyped integer label the task's class names.
fn finish(
    file: &str,
    mut columns: Vec<Column>,
    task: Option<&GlueTask>,
    split: &str,
) -> Result<Dataset> {
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let missing = |name: &str| {
        Error::data(
            file,
            None,
            format!(
                "missing column `{name}` (the file has: {})",
                names.join(", ")
            ),
        )
    };
    let mut take = |name: &str| {
        let i = columns.iter().position(|c| c.name == name)?;
        Some(columns.remove(i))
    };
    let mut out = Vec::new();
    if let Some(task) = task {
        for name in task.text_columns {
            let column = take(name).ok_or_else(|| missing(name))?;
            if !matches!(column.values, Values::Text(_)) {
                return Err(Error::data(
                    file,
                    None,
                    format!("column `{name}` is not text"),
                ));
            }
            out.push(column);
        }
        let mut label = take("label").ok_or_else(|| missing("label"))?;
        match (&label.values, task.is_regression()) {
            (Values::Int(_), false) if matches!(label.feature, Feature::Value { .. }) => {
                label.feature = Feature::class_label(task.label_names)
            }
            (Values::Float(_), true) | (Values::Int(_), false) => {}
            _ => {
                return Err(Error::data(
                    file,
                    None,
                    format!("column `label` does not fit task {}", task.name),
                ))
            }
        }
        out.push(label);
        let rows = out[0].values.len() as i64;
        out.push(take("idx").unwrap_or_else(|| Column {
            name: "idx".into(),
            feature: Feature::value("int32"),
            values: Values::Int((0..rows).collect()),
        }));
    } else {
        out = columns;
    }
    if let Some(label) = out.iter().find(|c| c.name == "label") {
        if let (Feature::ClassLabel { names }, Values::Int(ids)) = (&label.feature, &label.values) {
            for (r, &id) in ids.iter().enumerate() {
                check_class(id, names.len(), split)
                    .map_err(|msg| Error::data(file, None, format!("row {r}: {msg}")))?;
            }
        }
    }
    Dataset::new(file, out)
}
