//! CSV files with a header row and RFC 4180 quoting (`"a, b"`, `""` for a quote), via the
//! `csv` crate. Columns are named by the header; see [`Table::into_dataset`] for the types.

use super::dataset::Dataset;
use super::glue::GlueTask;
use super::table::{decode, Table};
use crate::{Error, Result};

pub fn read_csv(bytes: &[u8], file: &str, task: Option<&GlueTask>, split: &str) -> Result<Dataset> {
    let text = decode(bytes, file)?;
    let error = |e: csv::Error| {
        let line = e.position().map(|p| p.line() as usize);
        Error::data(file, line, format!("bad CSV: {e}"))
    };
    // `flexible` so that a short or long row reaches our own error, which names the columns.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let names = reader
        .headers()
        .map_err(error)?
        .iter()
        .map(str::to_string)
        .collect();
    let mut table = Table::new(file, 1, names);
    for record in reader.records() {
        let record = record.map_err(error)?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        table.push(line, record.iter().map(str::to_string).collect())?;
    }
    table.into_dataset(task, split)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_commas_and_newlines() {
        let csv = "\u{feff}sentence1,sentence2,label\n\
            \"Hello, world\",\"She said \"\"hi\"\"\",1\n\
            \"two\nlines\",b,0\n";
        let mrpc = GlueTask::get("mrpc");
        let d = read_csv(csv.as_bytes(), "train.csv", mrpc, "train").unwrap();
        assert_eq!(d.text("sentence1").unwrap(), ["Hello, world", "two\nlines"]);
        assert_eq!(d.text("sentence2").unwrap()[0], "She said \"hi\"");
        assert_eq!(d.label_names().unwrap(), ["not_equivalent", "equivalent"]);
        assert_eq!(d.labels(), Some(vec![1.0, 0.0]));
    }

    #[test]
    fn without_a_task_columns_stay_in_file_order() {
        let csv = "idx,text,label\n0,good,1\n1,bad,0\n";
        let d = read_csv(csv.as_bytes(), "train.csv", None, "train").unwrap();
        let names: Vec<_> = d.features().0.into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["idx", "text", "label"]);
        assert_eq!(d.text_columns(), ["text"]);
        assert_eq!(d.labels(), Some(vec![1.0, 0.0]));
    }

    #[test]
    fn errors_name_file_and_line() {
        // The quoted newline makes row 2 span lines 3-4: the short row is on line 5.
        let csv = "text,label\ngood,1\n\"multi\nline\",0\nshort\n";
        let err = read_csv(csv.as_bytes(), "train.csv", None, "train").unwrap_err();
        assert_eq!(
            err.to_string(),
            "train.csv, line 5: expected 2 fields (text, label), found 1"
        );
        let csv = "text,label\ngood,1\nbad,-3\n";
        let err = read_csv(csv.as_bytes(), "train.csv", None, "train").unwrap_err();
        assert!(matches!(&err, Error::Data { line: Some(3), .. }), "{err}");
        let err = read_csv(b"text,label\n", "dev.csv", None, "validation").unwrap_err();
        assert_eq!(err.to_string(), "dev.csv: no rows: the split is empty");
        let err = read_csv(b"text,label\nok,1\n\xff,0\n", "x.csv", None, "train").unwrap_err();
        assert_eq!(err.to_string(), "x.csv, line 3: not valid UTF-8 text");
    }
}
