//! `train.py` from its template: the template (`train.py` beside this file) is real Python with
//! a settings block between two marker lines; Wick replaces only that block, with the run's
//! values as Python literals. Everything else is the template as it is.

use crate::{Error, Result};
use serde_json::Value;

/// The template, as kept in the repository (it runs as it is, on MRPC from the Hub).
pub const TRAIN_PY: &str = include_str!("train.py");

const BEGIN: &str = "# --- The run's settings, as Wick had them (Wick writes this block) ---";
const END: &str = "# --- End of the settings ---";

/// One line of the settings block: `name = expression`. The expression is Python source
/// (a literal, or `os.path.join(HERE, "data")` for a file shipped in the folder).
pub type Setting = (&'static str, String);

/// The template with its settings block replaced by `settings`, in their order.
pub fn render(settings: &[Setting]) -> Result<String> {
    let (head, _, tail) = split(TRAIN_PY)?;
    let mut out = String::with_capacity(TRAIN_PY.len() + 512);
    out.push_str(head);
    out.push_str(BEGIN);
    out.push('\n');
    for (name, expr) in settings {
        out.push_str(&format!("{name} = {expr}\n"));
    }
    out.push_str(END);
    out.push_str(tail);
    Ok(out)
}

/// The template's own setting names, in order (what `render` must be given).
#[cfg(test)]
pub fn template_names() -> Result<Vec<String>> {
    let (_, block, _) = split(TRAIN_PY)?;
    Ok(block
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with(')') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(" = ").map(|(n, _)| n.to_string()))
        .collect())
}

/// (before the BEGIN line, the block's lines, from the END line's end on).
fn split(template: &str) -> Result<(&str, &str, &str)> {
    let missing = |what: &str| Error::Invalid(format!("train.py template: no `{what}` line"));
    let begin = template.find(BEGIN).ok_or_else(|| missing(BEGIN))?;
    let block = begin + BEGIN.len() + 1;
    let end = template[block..].find(END).ok_or_else(|| missing(END))? + block;
    Ok((
        &template[..begin],
        &template[block..end],
        &template[end + END.len()..],
    ))
}

/// A JSON value as a Python literal: `None`, `True`, numbers as they are, strings with JSON's
/// escapes (valid in Python too), lists and dicts.
pub fn literal(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(literal).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", literal(&Value::String(k.clone())), literal(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// `dict(\n    name=value,\n    ...\n)` for keyword arguments (names are Python identifiers).
pub fn keyword_dict(items: &[(&str, Value)]) -> String {
    let mut out = String::from("dict(\n");
    for (name, value) in items {
        out.push_str(&format!("    {name}={},\n", literal(value)));
    }
    out.push(')');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literals_are_python() {
        assert_eq!(literal(&json!(null)), "None");
        assert_eq!(literal(&json!([true, false])), "[True, False]");
        assert_eq!(literal(&json!(5e-5)), "0.00005");
        assert_eq!(literal(&json!(3.0)), "3.0");
        assert_eq!(literal(&json!(-1)), "-1");
        assert_eq!(
            literal(&json!("a \"quoted\"\\ line\nnext")),
            r#""a \"quoted\"\\ line\nnext""#
        );
        assert_eq!(
            literal(&json!({"train": "data/train.jsonl", "n": [1]})),
            r#"{"train": "data/train.jsonl", "n": [1]}"#
        );
        assert_eq!(
            keyword_dict(&[("seed", json!(42)), ("eval_strategy", json!("epoch"))]),
            "dict(\n    seed=42,\n    eval_strategy=\"epoch\",\n)"
        );
    }

    #[test]
    fn render_replaces_only_the_block() {
        let names = template_names().unwrap();
        assert_eq!(names.first().map(String::as_str), Some("checkpoint"));
        assert!(
            names.contains(&"training_arguments".to_string()),
            "{names:?}"
        );
        let out = render(&[("checkpoint", "\"x/y\"".into())]).unwrap();
        let (head, block, tail) = split(&out).unwrap();
        let (t_head, _, t_tail) = split(TRAIN_PY).unwrap();
        assert_eq!((head, tail), (t_head, t_tail));
        assert_eq!(block, "checkpoint = \"x/y\"\n");
        assert!(split("no markers").is_err());
    }
}
