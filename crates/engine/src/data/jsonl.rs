//! JSON lines: one object per line, every line with the same keys (the first line's order is
//! the column order). Strings and numbers only; see [`Table::into_dataset`] for the types.

use super::dataset::Dataset;
use super::glue::GlueTask;
use super::table::{decode, Table};
use crate::{Error, Result};
use serde_json::{Map, Value};

pub fn read_jsonl(
    bytes: &[u8],
    file: &str,
    task: Option<&GlueTask>,
    split: &str,
) -> Result<Dataset> {
    let text = decode(bytes, file)?;
    let mut table: Option<Table> = None;
    for (i, line) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let error = |msg: String| Error::data(file, Some(line_no), msg);
        let object: Map<String, Value> =
            serde_json::from_str(line).map_err(|e| error(format!("not a JSON object: {e}")))?;
        let table = table
            .get_or_insert_with(|| Table::new(file, line_no, object.keys().cloned().collect()));
        if let Some(extra) = object.keys().find(|k| !table.names.contains(k)) {
            return Err(error(format!(
                "unexpected field `{extra}` (the first line has: {})",
                table.names.join(", ")
            )));
        }
        let mut fields = Vec::with_capacity(table.names.len());
        for name in &table.names {
            fields.push(match object.get(name) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                Some(other) => {
                    return Err(error(format!(
                        "field `{name}` is {other}, expected a string or number"
                    )))
                }
                None => return Err(error(format!("missing field `{name}`"))),
            });
        }
        table.push(line_no, fields)?;
    }
    match table {
        Some(table) => table.into_dataset(task, split),
        None => Err(Error::data(file, None, "no rows: the split is empty")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_per_line() {
        let text = "{\"sentence\": \"a \\\"quoted\\\" word\", \"label\": 1}\n\n{\"label\": 0, \"sentence\": \"b\"}\n";
        let d = read_jsonl(
            text.as_bytes(),
            "train.jsonl",
            GlueTask::get("sst2"),
            "train",
        )
        .unwrap();
        assert_eq!(d.text("sentence").unwrap(), ["a \"quoted\" word", "b"]);
        assert_eq!(d.label_names().unwrap(), ["negative", "positive"]);
        assert_eq!(d.labels(), Some(vec![1.0, 0.0]));
    }

    #[test]
    fn regression_targets_without_a_task() {
        let text = "{\"text\": \"a\", \"label\": 0.5}\n{\"text\": \"b\", \"label\": 3}\n";
        let d = read_jsonl(text.as_bytes(), "train.jsonl", None, "train").unwrap();
        assert_eq!(d.labels(), Some(vec![0.5, 3.0]));
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases: &[(&str, usize)] = &[
            ("{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\"}\n", 2),
            (
                "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": 0, \"x\": 1}\n",
                2,
            ),
            ("{\"text\": \"a\", \"label\": 1}\n\n[1, 2]\n", 3),
            ("{\"text\": null, \"label\": 1}\n", 1),
        ];
        for (text, line) in cases {
            let err = read_jsonl(text.as_bytes(), "d.jsonl", None, "train").unwrap_err();
            assert!(
                matches!(&err, Error::Data { file, line: Some(l), .. } if file == "d.jsonl" && l == line),
                "{err}"
            );
        }
        let err = read_jsonl(b"\n", "d.jsonl", None, "train").unwrap_err();
        assert_eq!(err.to_string(), "d.jsonl: no rows: the split is empty");
    }
}
