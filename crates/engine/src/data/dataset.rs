//! The in-memory data set: a `DatasetDict` of named splits, each a columnar `Dataset` whose
//! columns carry a `datasets`-style `Feature` (`Value` or `ClassLabel`).

use super::glue::GlueTask;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// A column's type, as Python `datasets` writes it in JSON
/// (`{"dtype": "string", "_type": "Value"}`, `{"names": [...], "_type": "ClassLabel"}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "_type")]
pub enum Feature {
    /// `dtype`: `string`, `int32`, `int64`, `float32`, ... A `float32` label is a regression
    /// target (stsb).
    Value { dtype: String },
    /// Class ids `0..names.len()`; `-1` marks an unlabelled row (GLUE test splits).
    ClassLabel { names: Vec<String> },
}

impl Feature {
    pub fn value(dtype: &str) -> Feature {
        Feature::Value {
            dtype: dtype.to_string(),
        }
    }
    pub fn class_label(names: &[&str]) -> Feature {
        Feature::ClassLabel {
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }
}

/// Column name -> feature, in column order (serialised as a JSON object in that order).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Features(#[serde(with = "ordered")] pub Vec<(String, Feature)>);

impl Features {
    pub fn get(&self, name: &str) -> Option<&Feature> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, f)| f)
    }
    /// The `label` column's class names, if it is a `ClassLabel`.
    pub fn label_names(&self) -> Option<&[String]> {
        match self.get("label")? {
            Feature::ClassLabel { names } => Some(names),
            Feature::Value { .. } => None,
        }
    }
}

/// A column's values. Class labels are `Int`; regression targets `Float`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Values {
    Text(Vec<String>),
    Int(Vec<i64>),
    Float(Vec<f32>),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Text(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Float(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn json(&self, row: usize) -> Option<serde_json::Value> {
        Some(match self {
            Values::Text(v) => v.get(row)?.clone().into(),
            Values::Int(v) => (*v.get(row)?).into(),
            Values::Float(v) => float_json(*v.get(row)?),
        })
    }
}

/// A float32 value (a regression label) as the data set holds it: the shortest decimal that
/// reads back as the same f32 (`4.4`, not the f64 widening `4.400000095367432`). Not finite:
/// null, as JSON has no NaN.
pub fn float_json(x: f32) -> serde_json::Value {
    // f32's Display is that shortest decimal; as an f64 it prints the same digits.
    let shortest: f64 = x.to_string().parse().unwrap_or(f64::NAN);
    serde_json::Number::from_f64(shortest).map_or(serde_json::Value::Null, Into::into)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub feature: Feature,
    pub values: Values,
}

/// One split, by columns: the text columns, `label`, `idx` (Hub GLUE order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub columns: Vec<Column>,
}

impl Dataset {
    /// Columns of equal, non-zero length; `file` names the source for the error.
    pub fn new(file: &str, columns: Vec<Column>) -> Result<Dataset> {
        let rows = columns.first().map_or(0, |c| c.values.len());
        if rows == 0 {
            return Err(Error::data(file, None, "no rows: the split is empty"));
        }
        if let Some(c) = columns.iter().find(|c| c.values.len() != rows) {
            let msg = format!(
                "column `{}` has {} rows, expected {rows}",
                c.name,
                c.values.len()
            );
            return Err(Error::data(file, None, msg));
        }
        Ok(Dataset { columns })
    }

    pub fn num_rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    pub fn features(&self) -> Features {
        Features(
            self.columns
                .iter()
                .map(|c| (c.name.clone(), c.feature.clone()))
                .collect(),
        )
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn text(&self, column: &str) -> Option<&[String]> {
        match &self.column(column)?.values {
            Values::Text(v) => Some(v),
            _ => None,
        }
    }

    /// The string columns in order (the candidates for tokenization).
    pub fn text_columns(&self) -> Vec<&str> {
        let text = self
            .columns
            .iter()
            .filter(|c| matches!(c.values, Values::Text(_)));
        text.map(|c| c.name.as_str()).collect()
    }

    /// `label` as the model wants it (class ids or regression targets as f32); `None` when
    /// there is no label column or no row is labelled (GLUE test splits are all `-1`, STS-B's
    /// `-1.0`).
    pub fn labels(&self) -> Option<Vec<f32>> {
        match &self.column("label")?.values {
            Values::Int(v) if v.iter().all(|&l| l < 0) => None,
            Values::Int(v) => Some(v.iter().map(|&l| l as f32).collect()),
            Values::Float(v) if v.iter().all(|&l| l == -1.0) => None,
            Values::Float(v) => Some(v.clone()),
            Values::Text(_) => None,
        }
    }

    pub fn label_names(&self) -> Option<&[String]> {
        match &self.column("label")?.feature {
            Feature::ClassLabel { names } => Some(names),
            Feature::Value { .. } => None,
        }
    }

    /// Row `i` as a JSON object in column order, like `dataset[i]` in Python.
    pub fn row(&self, i: usize) -> Option<serde_json::Value> {
        let mut map = serde_json::Map::new();
        for c in &self.columns {
            map.insert(c.name.clone(), c.values.json(i)?);
        }
        Some(map.into())
    }
}

/// Named splits in order (`train`, `validation`, `test`; MNLI's matched/mismatched pairs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetDict {
    #[serde(with = "ordered")]
    pub splits: Vec<(String, Dataset)>,
    /// The GLUE task this is, when known (`mrpc`): fixes labels, columns and metrics.
    pub task: Option<String>,
}

impl DatasetDict {
    pub fn split(&self, name: &str) -> Option<&Dataset> {
        self.splits.iter().find(|(n, _)| n == name).map(|(_, d)| d)
    }
    pub fn split_names(&self) -> Vec<&str> {
        self.splits.iter().map(|(n, _)| n.as_str()).collect()
    }
    pub fn train(&self) -> Option<&Dataset> {
        self.split("train")
    }
    /// `validation`, else the first `validation_*` split (MNLI: `validation_matched`).
    pub fn validation(&self) -> Option<&Dataset> {
        self.split(self.validation_name()?)
    }
    /// The name of the split [`DatasetDict::validation`] returns.
    pub fn validation_name(&self) -> Option<&str> {
        let names = self.split_names();
        let exact = names.iter().find(|n| **n == "validation");
        let first = names.iter().find(|n| n.starts_with("validation"));
        exact.or(first).copied()
    }
    pub fn glue_task(&self) -> Option<&'static GlueTask> {
        GlueTask::get(self.task.as_deref()?)
    }
    /// The features of the first split (all splits share them, bar test-only differences).
    pub fn features(&self) -> Features {
        self.splits
            .first()
            .map(|(_, d)| d.features())
            .unwrap_or_default()
    }
    pub fn label_names(&self) -> Option<Vec<String>> {
        let names = self.splits.iter().find_map(|(_, d)| d.label_names());
        names.map(|n| n.to_vec())
    }
    /// Outputs the classifier needs: the task's count, else the class names', else 1 for a
    /// float label (regression), else the largest integer label + 1.
    pub fn num_labels(&self) -> Option<usize> {
        if let Some(task) = self.glue_task() {
            return Some(task.num_labels);
        }
        if let Some(names) = self.label_names() {
            return Some(names.len());
        }
        let labels = self.splits.iter().filter_map(|(_, d)| d.column("label"));
        let mut max = None;
        for c in labels {
            match &c.values {
                Values::Float(_) => return Some(1),
                Values::Int(v) => max = max.max(v.iter().copied().max()),
                Values::Text(_) => {}
            }
        }
        max.filter(|&m| m >= 0).map(|m| m as usize + 1)
    }
}

/// Serde for `Vec<(String, T)>` as a JSON object that keeps its order.
mod ordered {
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use serde::ser::{SerializeMap, Serializer};
    use std::marker::PhantomData;

    pub fn serialize<S: Serializer, T: serde::Serialize>(
        v: &[(String, T)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(v.len()))?;
        for (k, x) in v {
            map.serialize_entry(k, x)?;
        }
        map.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Vec<(String, T)>, D::Error> {
        struct Pairs<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Pairs<T> {
            type Value = Vec<(String, T)>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    out.push(entry);
                }
                Ok(out)
            }
        }
        d.deserialize_map(Pairs(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_the_data_set_holds_them() {
        // STS-B's 4.4 is 4.400000095367432 once widened to f64.
        assert_eq!(float_json(4.4).to_string(), "4.4");
        assert_eq!(float_json(0.0).to_string(), "0.0");
        assert_eq!(float_json(3.8).to_string(), "3.8");
        assert_eq!(float_json(1e-7).to_string(), "1e-7");
        assert_eq!(float_json(f32::NAN), serde_json::Value::Null);
        let column = Values::Float(vec![4.4, 0.25]);
        assert_eq!(column.json(0).unwrap().to_string(), "4.4");
    }

    fn mrpc_like() -> Dataset {
        let text = |v: &[&str]| Values::Text(v.iter().map(|s| s.to_string()).collect());
        let columns = vec![
            Column {
                name: "sentence1".into(),
                feature: Feature::value("string"),
                values: text(&["a", "b"]),
            },
            Column {
                name: "sentence2".into(),
                feature: Feature::value("string"),
                values: text(&["c", "d"]),
            },
            Column {
                name: "label".into(),
                feature: Feature::class_label(&["not_equivalent", "equivalent"]),
                values: Values::Int(vec![1, 0]),
            },
            Column {
                name: "idx".into(),
                feature: Feature::value("int32"),
                values: Values::Int(vec![0, 1]),
            },
        ];
        Dataset::new("t", columns).unwrap()
    }

    #[test]
    fn accessors() {
        let d = mrpc_like();
        assert_eq!(d.num_rows(), 2);
        assert_eq!(
            d.text("sentence2").unwrap(),
            &["c".to_string(), "d".to_string()]
        );
        assert!(d.text("label").is_none());
        assert_eq!(d.text_columns(), vec!["sentence1", "sentence2"]);
        assert_eq!(d.labels(), Some(vec![1.0, 0.0]));
        assert_eq!(d.label_names().unwrap()[1], "equivalent");
        let row = d.row(1).unwrap();
        assert_eq!(
            serde_json::to_string(&row).unwrap(),
            r#"{"sentence1":"b","sentence2":"d","label":0,"idx":1}"#
        );
        assert!(d.row(2).is_none());
    }

    #[test]
    fn features_serialise_like_datasets_and_round_trip() {
        let d = mrpc_like();
        let json = serde_json::to_string(&d.features()).unwrap();
        assert_eq!(
            json,
            r#"{"sentence1":{"_type":"Value","dtype":"string"},"sentence2":{"_type":"Value","dtype":"string"},"label":{"_type":"ClassLabel","names":["not_equivalent","equivalent"]},"idx":{"_type":"Value","dtype":"int32"}}"#
        );
        let dict = DatasetDict {
            splits: vec![("train".into(), d.clone()), ("test".into(), d)],
            task: None,
        };
        let back: DatasetDict =
            serde_json::from_str(&serde_json::to_string(&dict).unwrap()).unwrap();
        assert_eq!(back, dict);
        assert_eq!(back.split_names(), vec!["train", "test"]);
        assert_eq!(back.num_labels(), Some(2));
    }

    #[test]
    fn unlabelled_split_and_bad_shapes() {
        let labels = Column {
            name: "label".into(),
            feature: Feature::value("int64"),
            values: Values::Int(vec![-1, -1]),
        };
        let idx = Column {
            name: "idx".into(),
            feature: Feature::value("int32"),
            values: Values::Int(vec![0]),
        };
        let d = Dataset::new("t", vec![labels.clone()]).unwrap();
        assert_eq!(d.labels(), None);
        let err = Dataset::new("f.csv", vec![labels, idx]).unwrap_err();
        assert!(
            matches!(&err, Error::Data { file, .. } if file == "f.csv"),
            "{err}"
        );
        let empty = Column {
            name: "s".into(),
            feature: Feature::value("string"),
            values: Values::Text(vec![]),
        };
        let err = Dataset::new("e.csv", vec![empty]).unwrap_err();
        assert_eq!(err.to_string(), "e.csv: no rows: the split is empty");
    }
}
