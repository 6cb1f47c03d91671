//! Labels: config.json's `num_labels`, `id2label` and `label2id`, and the data set's, settled
//! by transformers' own rules, with a sentence for each conflict (the load report shows them).

use super::config::Fields;
use crate::{Error, Result};
use serde_json::Value;

/// The labels of config.json, by transformers 5's `PretrainedConfig` rule: `num_labels`, when
/// given and at odds with `id2label`'s length, wins and the names become `LABEL_0..`;
/// otherwise `id2label` names them; the default is 2. `label2id` never decides (transformers
/// keeps it as written and names predictions by `id2label`); where it disagrees, or comes
/// without `id2label`, a note says so. Returns (num_labels, names, notes).
pub(super) fn from_config(f: &Fields) -> Result<(usize, Vec<String>, Vec<String>)> {
    let mut notes = Vec::new();
    let given_num = match f.get("num_labels") {
        Some(v) if !v.is_null() => Some(f.uint("num_labels", 2)?),
        _ => None,
    };
    let names = match f.obj.get("id2label").filter(|v| !v.is_null()) {
        Some(value) => Some(id2label(f, value)?),
        None => None,
    };
    let (n, names) = match (given_num, names) {
        (Some(n), Some(names)) if names.len() != n => {
            notes.push(format!(
                "{}: num_labels = {n} but id2label has {} names ({}): num_labels wins and the \
                 labels are named LABEL_0..LABEL_{}, as transformers' PretrainedConfig does",
                f.source,
                names.len(),
                names.join(", "),
                n.saturating_sub(1)
            ));
            (n, default_labels(n))
        }
        (_, Some(names)) => (names.len(), names),
        (n, None) => {
            let n = n.unwrap_or(2);
            (n, default_labels(n))
        }
    };
    if let Some(Value::Object(map)) = f.obj.get("label2id") {
        let mirrors = map.len() == names.len()
            && names
                .iter()
                .enumerate()
                .all(|(i, name)| map.get(name).and_then(Value::as_u64) == Some(i as u64));
        if !mirrors {
            let listed: Vec<String> = map.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            notes.push(format!(
                "{}: label2id {{{}}} does not mirror id2label ({}): the labels are named by \
                 id2label, as transformers names predictions",
                f.source,
                listed.join(", "),
                names.join(", ")
            ));
        }
    }
    Ok((n, names, notes))
}

/// `id2label`: a map from "0", "1", ... (no gaps) to names.
fn id2label(f: &Fields, value: &Value) -> Result<Vec<String>> {
    let Value::Object(map) = value else {
        return Err(f.wrong_type("id2label", "an object"));
    };
    let mut pairs = Vec::with_capacity(map.len());
    for (key, name) in map {
        let id: usize = key.parse().map_err(|_| {
            Error::Model(format!(
                "{}: id2label key \"{key}\" is not an integer",
                f.source
            ))
        })?;
        let name = name
            .as_str()
            .ok_or_else(|| f.wrong_type(&format!("id2label.{key}"), "a string"))?;
        pairs.push((id, name.to_string()));
    }
    pairs.sort();
    if pairs.iter().enumerate().any(|(i, (id, _))| *id != i) {
        return Err(Error::Model(format!(
            "{}: id2label keys must be 0..{} without gaps",
            f.source,
            pairs.len()
        )));
    }
    Ok(pairs.into_iter().map(|(_, name)| name).collect())
}

pub fn default_labels(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("LABEL_{i}")).collect()
}

/// What to tell when the data set's label names `names` replace config.json's `own` (as
/// `from_pretrained(checkpoint, num_labels=n)` does). A config.json that names no labels has
/// LABEL_0 and LABEL_1: those go silently.
pub(super) fn dataset_note(own: &[String], names: &[String]) -> Option<String> {
    let named = own != default_labels(2).as_slice();
    let n = names.len();
    if named && own.len() != n {
        Some(format!(
            "config.json has {} labels ({}), the data set {n} ({}): the data set's labels win, as \
             from_pretrained(checkpoint, num_labels={n}) does, so the classification head needs \
             {n} outputs",
            own.len(),
            own.join(", "),
            names.join(", ")
        ))
    } else if named && own != names && own != default_labels(own.len()).as_slice() {
        Some(format!(
            "config.json names the labels {}; the data set's names {} are used (label i of the \
             head is the data set's label i)",
            own.join(", "),
            names.join(", ")
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;

    /// transformers 5.24's `AutoConfig.from_pretrained` on the same config.json files (see the
    /// values in the comments) and `from_pretrained(..., num_labels=n)`.
    #[test]
    fn label_conflicts_follow_transformers_and_say_which_field_wins() {
        let parse = |json: &str| ModelConfig::from_json(json, "config.json").unwrap();
        // num_labels=3 with two names -> 3 labels, LABEL_0..LABEL_2.
        let c = parse(r#"{"num_labels": 3, "id2label": {"0": "a", "1": "b"}}"#);
        assert_eq!((c.num_labels, c.id2label.clone()), (3, default_labels(3)));
        assert_eq!(c.label_notes.len(), 1);
        let note = &c.label_notes[0];
        assert!(
            note.contains("num_labels = 3") && note.contains("num_labels wins"),
            "{note}"
        );
        // Agreeing fields: no note.
        let c = parse(
            r#"{"num_labels": 2, "id2label": {"0": "a", "1": "b"}, "label2id": {"a": 0, "b": 1}}"#,
        );
        assert_eq!((c.num_labels, c.label_notes.len()), (2, 0));
        // label2id never decides -> 2 labels named by id2label, and a note.
        let c = parse(r#"{"id2label": {"0": "a", "1": "b"}, "label2id": {"x": 0, "y": 1}}"#);
        assert_eq!(c.id2label, ["a", "b"]);
        assert!(c.label_notes[0].contains("label2id"), "{:?}", c.label_notes);
        // label2id alone is ignored -> 2 labels, LABEL_0 and LABEL_1.
        let c = parse(r#"{"label2id": {"a": 0, "b": 1, "c": 2}}"#);
        assert_eq!((c.num_labels, c.id2label.clone()), (2, default_labels(2)));
        assert_eq!(c.label_notes.len(), 1);

        // The data set's labels win over the checkpoint's, and the note says so.
        let mnli =
            parse(r#"{"id2label": {"0": "entailment", "1": "neutral", "2": "contradiction"}}"#);
        let mrpc = vec!["not_equivalent".to_string(), "equivalent".to_string()];
        let c = mnli.clone().with_labels(2, Some(mrpc.clone())).unwrap();
        assert_eq!((c.num_labels, c.id2label.clone()), (2, mrpc.clone()));
        let note = c.label_notes.last().unwrap();
        assert!(
            note.contains("3 labels") && note.contains("num_labels=2"),
            "{note}"
        );
        let sentiment = parse(r#"{"id2label": {"0": "negative", "1": "positive"}}"#);
        let c = sentiment.with_labels(2, Some(mrpc.clone())).unwrap();
        assert!(
            c.label_notes[0].contains("negative, positive"),
            "{:?}",
            c.label_notes
        );
        // A pretrained body names no labels: the data set's replace them without a note.
        let body = parse(r#"{"model_type": "bert"}"#);
        assert!(body
            .clone()
            .with_labels(3, None)
            .unwrap()
            .label_notes
            .is_empty());
        assert!(body
            .with_labels(2, Some(mrpc))
            .unwrap()
            .label_notes
            .is_empty());
    }
}
