//! The original GLUE TSV files (`glue_data/MRPC/train.tsv`): tab-separated, no quoting (bare
//! and unbalanced `"` are plain text, as with Python's `csv.QUOTE_NONE`), a UTF-8 byte-order
//! mark, a header except in CoLA's train and dev files.

use super::dataset::Dataset;
use super::glue::GlueTask;
use super::table::{decode, is_test, Table};
use crate::{Error, Result};

/// One GLUE TSV file of `task` as split `split`, in the Hub's columns (text, label, idx).
pub fn read_glue_tsv(bytes: &[u8], file: &str, task: &GlueTask, split: &str) -> Result<Dataset> {
    let text = decode(bytes, file)?;
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.is_empty());
    let Some((first_line, first)) = lines.next() else {
        return Err(Error::data(file, None, "no rows: the file is empty"));
    };
    let first: Vec<&str> = first.split('\t').collect();
    let layout = &task.tsv;

    // Header names become the Hub's column names; the rest are kept under a prefix that
    // cannot collide with them.
    let hub_name = |i: usize, field: &str| -> String {
        let text = layout
            .text
            .iter()
            .zip(task.text_columns)
            .find(|((h, _), _)| *h == field);
        match text {
            Some((_, name)) => name.to_string(),
            None if field == layout.label.0 => "label".to_string(),
            None => format!("tsv:{i}:{field}"),
        }
    };
    let has_header = layout.text.iter().all(|(h, _)| first.contains(h));
    let mut table = if has_header {
        let names = first
            .iter()
            .enumerate()
            .map(|(i, f)| hub_name(i, f))
            .collect();
        if !first.contains(&layout.label.0) && !is_test(split) {
            let msg = format!(
                "missing column `{}` (the header has: {})",
                layout.label.0,
                first.join(", ")
            );
            return Err(Error::data(file, Some(first_line), msg));
        }
        Table::new(file, first_line, names)
    } else if layout.text.iter().all(|(_, pos)| pos.is_some()) {
        // Header-less (CoLA): columns by position, the first line is a row.
        let mut names: Vec<String> = (0..first.len()).map(|i| format!("tsv:{i}")).collect();
        let positions = layout
            .text
            .iter()
            .map(|(_, p)| *p)
            .zip(task.text_columns.iter().copied());
        for (pos, name) in positions.chain(std::iter::once((layout.label.1, "label"))) {
            match pos.and_then(|p| names.get_mut(p)) {
                Some(slot) => *slot = name.to_string(),
                None => {
                    let msg = format!(
                        "expected at least {} tab-separated fields, found {}",
                        pos.unwrap_or(0) + 1,
                        first.len()
                    );
                    return Err(Error::data(file, Some(first_line), msg));
                }
            }
        }
        let mut table = Table::new(file, first_line, names);
        table.push(first_line, first.iter().map(|s| s.to_string()).collect())?;
        table
    } else {
        let wanted: Vec<&str> = layout.text.iter().map(|(h, _)| *h).collect();
        let msg = format!(
            "not a GLUE {} file: the header needs columns {wanted:?}, found {first:?}",
            layout.folder
        );
        return Err(Error::data(file, Some(first_line), msg));
    };
    for (line, row) in lines {
        table.push(line, row.split('\t').map(str::to_string).collect())?;
    }
    table.into_dataset(Some(task), split)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dataset::Values;

    fn mrpc() -> &'static GlueTask {
        GlueTask::get("mrpc").unwrap()
    }

    const MRPC: &str = "\u{feff}Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\r\n\
        1\t1\t2\t\" The pie business does not fit .\tIt \"fits\" .\r\n\
        0\t3\t4\tNo quotes here .\tA lone \" here\n";

    #[test]
    fn bom_header_crlf_and_bare_quotes() {
        let d = read_glue_tsv(MRPC.as_bytes(), "train.tsv", mrpc(), "train").unwrap();
        assert_eq!(d.num_rows(), 2);
        assert_eq!(
            d.text("sentence1").unwrap()[0],
            "\" The pie business does not fit ."
        );
        assert_eq!(d.text("sentence2").unwrap()[0], "It \"fits\" .");
        assert_eq!(d.text("sentence2").unwrap()[1], "A lone \" here");
        assert_eq!(d.labels(), Some(vec![1.0, 0.0]));
        let names: Vec<_> = d.features().0.into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["sentence1", "sentence2", "label", "idx"]);
    }

    #[test]
    fn wrong_field_count_and_bad_label_name_the_line() {
        let bad = MRPC.replace("A lone \" here", "A lone \" here\textra");
        let err = read_glue_tsv(bad.as_bytes(), "dev.tsv", mrpc(), "validation").unwrap_err();
        assert!(
            matches!(&err, Error::Data { file, line: Some(3), .. } if file == "dev.tsv"),
            "{err}"
        );
        let bad = MRPC.replace("0\t3\t4", "2\t3\t4");
        let err = read_glue_tsv(bad.as_bytes(), "dev.tsv", mrpc(), "validation").unwrap_err();
        assert!(matches!(&err, Error::Data { line: Some(3), .. }), "{err}");
        let header_only = "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n";
        let err =
            read_glue_tsv(header_only.as_bytes(), "dev.tsv", mrpc(), "validation").unwrap_err();
        assert_eq!(err.to_string(), "dev.tsv: no rows: the split is empty");
        let err = read_glue_tsv(b"a\tb\n", "x.tsv", mrpc(), "train").unwrap_err();
        assert!(matches!(&err, Error::Data { line: Some(1), .. }), "{err}");
    }

    #[test]
    fn cola_without_header_and_test_with_header() {
        let cola = GlueTask::get("cola").unwrap();
        let train =
            "gj04\t1\t\tOur friends won't buy this analysis.\ngj04\t0\t*\tThey drank the pub.\n";
        let d = read_glue_tsv(train.as_bytes(), "train.tsv", cola, "train").unwrap();
        assert_eq!(d.text("sentence").unwrap()[1], "They drank the pub.");
        assert_eq!(d.labels(), Some(vec![1.0, 0.0]));
        let test = "index\tsentence\n0\tBill whistled past the house.\n";
        let d = read_glue_tsv(test.as_bytes(), "test.tsv", cola, "test").unwrap();
        assert_eq!(
            d.text("sentence").unwrap()[0],
            "Bill whistled past the house."
        );
        assert_eq!(d.column("label").unwrap().values, Values::Int(vec![-1]));
        assert_eq!(d.labels(), None);
    }

    #[test]
    fn mnli_string_labels_and_stsb_scores() {
        let mnli = GlueTask::get("mnli").unwrap();
        let dev = "index\tpromptID\tsentence1\tsentence2\tlabel1\tgold_label\n\
            0\t1\tA man.\tA person.\tneutral\tcontradiction\n";
        let d = read_glue_tsv(
            dev.as_bytes(),
            "dev_matched.tsv",
            mnli,
            "validation_matched",
        )
        .unwrap();
        assert_eq!(d.text("premise").unwrap()[0], "A man.");
        assert_eq!(d.text("hypothesis").unwrap()[0], "A person.");
        assert_eq!(d.labels(), Some(vec![2.0]));
        let stsb = GlueTask::get("stsb").unwrap();
        let train =
            "index\tgenre\tsentence1\tsentence2\tscore\n0\tmain\tA plane.\tAn air plane.\t5.000\n";
        let d = read_glue_tsv(train.as_bytes(), "train.tsv", stsb, "train").unwrap();
        assert_eq!(d.labels(), Some(vec![5.0]));
        assert_eq!(d.label_names(), None);
    }
}
