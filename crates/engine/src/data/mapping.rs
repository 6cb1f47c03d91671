//! The user's own files name their columns as they like: the mapping says which column holds
//! the first text, the second (if any) and the label, as `rename_column` and
//! `class_encode_column` would in `datasets`. The label column is typed as a loader types a
//! column named `label` (class ids, floats, or class names), with the same names in every split.

use super::dataset::{DatasetDict, Values};
use super::load::unify_class_labels;
use super::table::Table;
use crate::{Error, Result};

/// Which columns hold the texts and the label (empty: none).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ColumnMapping<'a> {
    pub text_a: &'a str,
    pub text_b: &'a str,
    pub label: &'a str,
}

impl DatasetDict {
    /// Keep the mapped columns, in the order text_a, text_b, `label`; `files` names each
    /// split's file for errors.
    pub fn map_columns(&mut self, m: &ColumnMapping, files: &[(String, String)]) -> Result<()> {
        let wanted = [
            ("first text", m.text_a.trim()),
            ("second text", m.text_b.trim()),
            ("label", m.label.trim()),
        ];
        if wanted[0].1.is_empty() {
            return Err(Error::Invalid(
                "the column mapping needs a first text column".into(),
            ));
        }
        for (split, d) in self.splits.iter_mut() {
            let file = files
                .iter()
                .find(|(s, _)| s == split)
                .map_or(split.as_str(), |(_, f)| f.as_str());
            let mut columns = Vec::new();
            for (what, name) in wanted.into_iter().filter(|(_, n)| !n.is_empty()) {
                let Some(i) = d.columns.iter().position(|c| c.name == name) else {
                    let have: Vec<&str> = d.columns.iter().map(|c| c.name.as_str()).collect();
                    let msg = format!(
                        "no column `{name}` for the {what}; the file has: {}",
                        have.join(", ")
                    );
                    return Err(Error::data(file, None, msg));
                };
                let mut column = d.columns[i].clone();
                if what == "label" {
                    column = match column.values {
                        Values::Text(cells) => Table::label_column(file, split, cells)?,
                        _ => column,
                    };
                    column.name = "label".into();
                }
                columns.push(column);
            }
            d.columns = columns;
        }
        unify_class_labels(&mut self.splits);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{read_csv, read_jsonl, Feature};

    fn dict() -> DatasetDict {
        let train = "q,a,target,extra\nIs 1 even?,No,no,x\nIs 2 even?,Yes,yes,y\n";
        let validation = r#"{"q": "Is 4 even?", "a": "Yes", "target": "yes"}"#;
        DatasetDict {
            splits: vec![
                (
                    "train".into(),
                    read_csv(train.as_bytes(), "mine.csv", None, "train").unwrap(),
                ),
                (
                    "validation".into(),
                    read_jsonl(validation.as_bytes(), "dev.jsonl", None, "validation").unwrap(),
                ),
            ],
            task: None,
        }
    }

    fn files() -> Vec<(String, String)> {
        vec![
            ("train".into(), "mine.csv".into()),
            ("validation".into(), "dev.jsonl".into()),
        ]
    }

    #[test]
    fn maps_renames_and_class_encodes_the_label_alike_in_every_split() {
        let mut d = dict();
        let m = ColumnMapping {
            text_a: "q",
            text_b: "a",
            label: "target",
        };
        d.map_columns(&m, &files()).unwrap();
        for (_, split) in &d.splits {
            let names: Vec<&str> = split.columns.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(names, ["q", "a", "label"]);
            let names = vec!["no".to_string(), "yes".to_string()];
            assert_eq!(split.columns[2].feature, Feature::ClassLabel { names });
        }
        // "yes" is class 1 in both splits, though validation has no "no".
        assert_eq!(d.splits[0].1.labels().unwrap(), vec![0.0, 1.0]);
        assert_eq!(d.splits[1].1.labels().unwrap(), vec![1.0]);
        assert_eq!(d.num_labels(), Some(2));
    }

    #[test]
    fn a_missing_column_names_the_file_and_the_columns_it_has() {
        let mut d = dict();
        let m = ColumnMapping {
            text_a: "q",
            text_b: "",
            label: "gold",
        };
        let e = d.map_columns(&m, &files()).unwrap_err().to_string();
        assert!(
            e.contains("mine.csv")
                && e.contains("`gold` for the label")
                && e.contains("q, a, target, extra"),
            "{e}"
        );
    }
}
