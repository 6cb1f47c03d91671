//! A table of strings (what TSV, CSV and JSON lines files hold) turned into a typed
//! [`Dataset`]: text columns, `label` as class ids or regression targets, `idx`. Every error
//! names the file and the line.

use super::dataset::{Column, Dataset, Feature, Values};
use super::glue::GlueTask;
use crate::{Error, Result};

/// Rows of string fields under named columns, each row with the file line it came from.
pub(crate) struct Table {
    pub file: String,
    /// 1-based line of the header (column errors point here).
    pub header_line: usize,
    pub names: Vec<String>,
    /// Column-major cells.
    cells: Vec<Vec<String>>,
    lines: Vec<usize>,
}

/// The file as UTF-8 text, byte-order mark dropped; bad bytes are an error at their line.
pub(crate) fn decode<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        Error::data(file, Some(line), "not valid UTF-8 text")
    })
}

/// GLUE test splits carry no labels: `-1` on the Hub.
pub(crate) fn is_test(split: &str) -> bool {
    split.starts_with("test")
}

/// A class id must name a class; `-1` (no label) only in a test split. The error message
/// leaves the place to the caller.
pub(crate) fn check_class(id: i64, classes: usize, split: &str) -> std::result::Result<(), String> {
    if (0..classes as i64).contains(&id) || (id == -1 && is_test(split)) {
        return Ok(());
    }
    Err(format!(
        "label {id} is out of range: expected 0..={} ({classes} classes)",
        classes as i64 - 1
    ))
}

impl Table {
    pub fn new(file: &str, header_line: usize, names: Vec<String>) -> Table {
        let cells = vec![Vec::new(); names.len()];
        Table {
            file: file.to_string(),
            header_line,
            names,
            cells,
            lines: Vec::new(),
        }
    }

    /// A text column typed as a column named `label` is (class ids, floats or class names):
    /// for the column a user maps to the label. Errors count rows as lines from 2.
    pub fn label_column(file: &str, split: &str, cells: Vec<String>) -> Result<Column> {
        let mut t = Table::new(file, 1, vec!["label".into()]);
        t.lines = (2..cells.len() + 2).collect();
        t.labels(cells, None, split)
    }

    /// Adds a row; it must have one field per column.
    pub fn push(&mut self, line: usize, fields: Vec<String>) -> Result<()> {
        if fields.len() != self.names.len() {
            let msg = format!(
                "expected {} fields ({}), found {}",
                self.names.len(),
                self.names.join(", "),
                fields.len()
            );
            return Err(Error::data(&self.file, Some(line), msg));
        }
        for (column, field) in self.cells.iter_mut().zip(fields) {
            column.push(field);
        }
        self.lines.push(line);
        Ok(())
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    fn missing(&self, name: &str) -> Error {
        let msg = format!(
            "missing column `{name}` (the file has: {})",
            self.names.join(", ")
        );
        Error::data(&self.file, Some(self.header_line), msg)
    }

    /// The typed split. With a task: its text columns, `label`, `idx` (made up from the row
    /// order when absent), other columns dropped, as the Hub has them. Without: every column
    /// in file order, `label` and `idx` typed, the rest text.
    pub fn into_dataset(mut self, task: Option<&GlueTask>, split: &str) -> Result<Dataset> {
        if self.lines.is_empty() {
            return Err(Error::data(&self.file, None, "no rows: the split is empty"));
        }
        let rows = self.lines.len();
        let mut columns = Vec::new();
        let Some(task) = task else {
            for i in 0..self.names.len() {
                let name = self.names[i].clone();
                let cells = std::mem::take(&mut self.cells[i]);
                columns.push(match name.as_str() {
                    "label" => self.labels(cells, None, split)?,
                    "idx" => self.idx(cells)?,
                    _ => Column {
                        name,
                        feature: Feature::value("string"),
                        values: Values::Text(cells),
                    },
                });
            }
            return Dataset::new(&self.file, columns);
        };

        for name in task.text_columns {
            let i = self.position(name).ok_or_else(|| self.missing(name))?;
            let values = Values::Text(std::mem::take(&mut self.cells[i]));
            columns.push(Column {
                name: name.to_string(),
                feature: Feature::value("string"),
                values,
            });
        }
        match self.position("label") {
            Some(i) => {
                let cells = std::mem::take(&mut self.cells[i]);
                columns.push(self.labels(cells, Some(task), split)?);
            }
            None if is_test(split) => columns.push(unlabelled(task, rows)),
            None => return Err(self.missing("label")),
        }
        match self.position("idx") {
            Some(i) => {
                let cells = std::mem::take(&mut self.cells[i]);
                columns.push(self.idx(cells)?);
            }
            None => columns.push(Column {
                name: "idx".into(),
                feature: Feature::value("int32"),
                values: Values::Int((0..rows as i64).collect()),
            }),
        }
        Dataset::new(&self.file, columns)
    }

    /// `label`: the task's classes (by name or id) or float targets; without a task, integers
    /// stay `int64`, non-integers become `float32` targets, and strings become a `ClassLabel`
    /// with the sorted distinct names (`datasets`' `class_encode_column`).
    fn labels(&self, cells: Vec<String>, task: Option<&GlueTask>, split: &str) -> Result<Column> {
        let file = &self.file;
        let column = |feature, values| Column {
            name: "label".into(),
            feature,
            values,
        };
        let float = |(s, &line): (&String, &usize)| {
            s.trim()
                .parse::<f32>()
                .map_err(|_| Error::data(file, Some(line), format!("label `{s}` is not a number")))
        };
        match task {
            Some(t) if t.is_regression() => {
                let v = cells
                    .iter()
                    .zip(&self.lines)
                    .map(float)
                    .collect::<Result<_>>()?;
                Ok(column(Feature::value("float32"), Values::Float(v)))
            }
            Some(t) => {
                let mut ids = Vec::with_capacity(cells.len());
                for (s, &line) in cells.iter().zip(&self.lines) {
                    let id = match t.label_names.iter().position(|n| n == s) {
                        Some(i) => i as i64,
                        None => s.trim().parse::<i64>().map_err(|_| {
                            let msg = format!("label `{s}` is not one of {:?}", t.label_names);
                            Error::data(file, Some(line), msg)
                        })?,
                    };
                    check_class(id, t.num_labels, split)
                        .map_err(|m| Error::data(file, Some(line), m))?;
                    ids.push(id);
                }
                Ok(column(
                    Feature::class_label(t.label_names),
                    Values::Int(ids),
                ))
            }
            None => {
                if let Ok(ids) = cells
                    .iter()
                    .map(|s| s.trim().parse::<i64>())
                    .collect::<Result<Vec<_>, _>>()
                {
                    for (&id, &line) in ids.iter().zip(&self.lines) {
                        if id < 0 && !(id == -1 && is_test(split)) {
                            let msg = format!("label {id} is out of range: class ids start at 0");
                            return Err(Error::data(file, Some(line), msg));
                        }
                    }
                    return Ok(column(Feature::value("int64"), Values::Int(ids)));
                }
                if cells.iter().all(|s| s.trim().parse::<f32>().is_ok()) {
                    let v = cells
                        .iter()
                        .zip(&self.lines)
                        .map(float)
                        .collect::<Result<_>>()?;
                    return Ok(column(Feature::value("float32"), Values::Float(v)));
                }
                let mut names: Vec<String> = cells.clone();
                names.sort();
                names.dedup();
                let ids = cells
                    .iter()
                    .map(|s| names.binary_search(s).unwrap_or(0) as i64)
                    .collect();
                Ok(column(Feature::ClassLabel { names }, Values::Int(ids)))
            }
        }
    }

    fn idx(&self, cells: Vec<String>) -> Result<Column> {
        let mut v = Vec::with_capacity(cells.len());
        for (s, &line) in cells.iter().zip(&self.lines) {
            let i = s.trim().parse::<i64>().map_err(|_| {
                Error::data(
                    &self.file,
                    Some(line),
                    format!("idx `{s}` is not an integer"),
                )
            })?;
            v.push(i);
        }
        Ok(Column {
            name: "idx".into(),
            feature: Feature::value("int32"),
            values: Values::Int(v),
        })
    }
}

/// A test split's label column: `-1` everywhere, typed as the task's label.
fn unlabelled(task: &GlueTask, rows: usize) -> Column {
    let (feature, values) = if task.is_regression() {
        (Feature::value("float32"), Values::Float(vec![-1.0; rows]))
    } else {
        (
            Feature::class_label(task.label_names),
            Values::Int(vec![-1; rows]),
        )
    };
    Column {
        name: "label".into(),
        feature,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(names: &[&str], rows: &[&[&str]]) -> Table {
        let mut t = Table::new("t.csv", 1, names.iter().map(|s| s.to_string()).collect());
        for (i, r) in rows.iter().enumerate() {
            t.push(i + 2, r.iter().map(|s| s.to_string()).collect())
                .unwrap();
        }
        t
    }

    #[test]
    fn string_labels_become_sorted_class_labels() {
        let d = table(
            &["text", "label"],
            &[&["a", "pos"], &["b", "neg"], &["c", "pos"]],
        )
        .into_dataset(None, "train")
        .unwrap();
        assert_eq!(d.label_names().unwrap(), ["neg", "pos"]);
        assert_eq!(d.labels(), Some(vec![1.0, 0.0, 1.0]));
        assert_eq!(d.text_columns(), vec!["text"]);
    }

    #[test]
    fn task_labels_by_name_or_id_and_range() {
        let rte = GlueTask::get("rte").unwrap();
        let t = table(
            &["sentence1", "sentence2", "label"],
            &[&["a", "b", "not_entailment"], &["c", "d", "0"]],
        );
        let d = t.into_dataset(Some(rte), "train").unwrap();
        assert_eq!(d.labels(), Some(vec![1.0, 0.0]));
        assert_eq!(d.column("idx").unwrap().values, Values::Int(vec![0, 1]));

        let t = table(
            &["sentence1", "sentence2", "label"],
            &[&["a", "b", "0"], &["c", "d", "2"]],
        );
        let err = t.into_dataset(Some(rte), "train").unwrap_err();
        assert!(
            matches!(&err, Error::Data { file, line: Some(3), .. } if file == "t.csv"),
            "{err}"
        );
        assert!(err.to_string().contains("out of range"), "{err}");

        let t = table(&["sentence1", "label"], &[&["a", "0"]]);
        let err = t.into_dataset(Some(rte), "train").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv, line 1: missing column `sentence2` (the file has: sentence1, label)"
        );
    }

    #[test]
    fn wrong_field_count_names_the_line() {
        let mut t = Table::new("x.tsv", 1, vec!["a".into(), "b".into()]);
        let err = t.push(7, vec!["only".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.tsv, line 7: expected 2 fields (a, b), found 1"
        );
    }
}
