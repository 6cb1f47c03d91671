//! The link that sets up a class: the page's setup in its URL's query, as TensorFlow
//! Playground keeps its own (`?hub=…&model=…&data=glue/sst2&learning_rate=2e-5&backend=cpu`).
//! Opening a link fills the panels and loads nothing (a class of thirty must not hit the Hub at
//! once by accident); "Copy link" writes one.
//!
//! `FIELDS` is the one table of settings outside the Train panel. Every field of `TrainForm` is
//! a setting under its own (transformers') name, so a training argument added to the form travels
//! in links with no change here. Values the page starts with stay out of the link, and a value
//! the page cannot take leaves the default as it is and says why.

use super::AppState;
use crate::panels::dataset::GLUE_TASKS;
use crate::panels::train::BACKENDS;
use crate::protocol::TrainForm;
use leptos::prelude::*;
use serde_json::Value;
use wick_engine::train::IntervalStrategy;

/// Parameters of the page that are not part of a class's setup.
const PAGE_PARAMS: &[&str] = &["debug"];

/// One setting that links carry.
struct Field {
    /// Its name in the query.
    name: &'static str,
    get: fn(&AppState) -> String,
    /// Take the link's value, or say why not.
    set: fn(&AppState, &str) -> Result<(), String>,
}

const FIELDS: &[Field] = &[
    Field {
        name: "hub",
        get: |s| s.settings.hub.get_untracked(),
        set: |s, v| {
            let ok = v.starts_with("https://") || v.starts_with("http://");
            if !ok || v.contains(char::is_whitespace) {
                return Err("an http:// or https:// address".into());
            }
            s.settings.hub.set(v.to_string());
            Ok(())
        },
    },
    Field {
        name: "model",
        get: |s| s.model.repo.get_untracked(),
        set: |s, v| {
            let parts: Vec<&str> = v.split('/').collect();
            let word = |p: &&str| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            };
            if parts.len() > 2 || !parts.iter().all(word) {
                return Err("a Hub repository such as google-bert/bert-base-uncased".into());
            }
            s.model.repo.set(v.to_string());
            Ok(())
        },
    },
    Field {
        name: "revision",
        get: |s| s.model.revision.get_untracked(),
        set: |s, v| {
            if v.is_empty() || v.contains(char::is_whitespace) {
                return Err("a branch, tag or commit such as main".into());
            }
            s.model.revision.set(v.to_string());
            Ok(())
        },
    },
    Field {
        name: "ignore_mismatched_sizes",
        get: |s| s.model.ignore_mismatched_sizes.get_untracked().to_string(),
        set: |s, v| {
            let on = match v {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err("true or false".into()),
            };
            s.model.ignore_mismatched_sizes.set(on);
            Ok(())
        },
    },
    Field {
        name: "data",
        get: |s| match s.data.own_files.get_untracked() {
            true => "files".into(),
            false => format!("glue/{}", s.data.task.get_untracked()),
        },
        set: |s, v| {
            if v == "files" {
                s.data.own_files.set(true);
                return Ok(());
            }
            match v.strip_prefix("glue/").filter(|t| GLUE_TASKS.contains(t)) {
                Some(task) => {
                    s.data.task.set(task.to_string());
                    s.data.own_files.set(false);
                    Ok(())
                }
                None => Err(format!(
                    "files, or glue/ and one of {}",
                    GLUE_TASKS.join(", ")
                )),
            }
        },
    },
    Field {
        name: "text_a",
        get: |s| s.data.mapping.with_untracked(|m| m.text_a.clone()),
        set: |s, v| column(v).map(|v| s.data.mapping.update(|m| m.text_a = v)),
    },
    Field {
        name: "text_b",
        get: |s| s.data.mapping.with_untracked(|m| m.text_b.clone()),
        // Empty: single sentences.
        set: |s, v| {
            let v = if v.is_empty() {
                Ok(String::new())
            } else {
                column(v)
            };
            v.map(|v| s.data.mapping.update(|m| m.text_b = v))
        },
    },
    Field {
        name: "label",
        get: |s| s.data.mapping.with_untracked(|m| m.label.clone()),
        set: |s, v| column(v).map(|v| s.data.mapping.update(|m| m.label = v)),
    },
];

fn column(v: &str) -> Result<String, String> {
    match v.trim() {
        "" => Err("a column name".into()),
        v => Ok(v.to_string()),
    }
}

/// Every setting and its value now, in the table's order, then the training arguments.
fn settings(state: &AppState) -> Vec<(String, String)> {
    let mut all: Vec<_> = FIELDS
        .iter()
        .map(|f| (f.name.to_string(), (f.get)(state)))
        .collect();
    if let Ok(Value::Object(form)) = serde_json::to_value(state.train.form.get_untracked()) {
        for (k, v) in form {
            let text = match v {
                Value::String(s) => s,
                v => v.to_string(),
            };
            all.push((k, text));
        }
    }
    all
}

/// What one link did to the page: the settings it set, and a line for each value it could not.
#[derive(Debug, Default)]
pub struct Applied {
    pub set: Vec<String>,
    pub problems: Vec<String>,
}

/// Remember the page's defaults (links leave them out), then take the settings in `query`.
pub fn init(state: &AppState, query: &[(String, String)]) -> Applied {
    state.settings.defaults.set_value(settings(state));
    let mut out = Applied::default();
    for (name, value) in query {
        if PAGE_PARAMS.contains(&name.as_str()) {
            continue;
        }
        let result = match FIELDS.iter().find(|f| f.name == name.as_str()) {
            Some(f) => (f.set)(state, value),
            None => match set_training_argument(state, name, value) {
                Some(r) => r,
                None => {
                    let known = settings(state).into_iter().map(|(k, _)| k);
                    let known = known.collect::<Vec<_>>().join(", ");
                    out.problems.push(format!(
                        "The link's {name:?} is not a setting of this page (ignored). The settings are: {known}."
                    ));
                    continue;
                }
            },
        };
        match result {
            Ok(()) => out.set.push(name.clone()),
            Err(why) => out.problems.push(format!(
                "The link's {name}={value:?} is not {why}; the page keeps {:?}.",
                current(state, name)
            )),
        }
    }
    out
}

fn current(state: &AppState, name: &str) -> String {
    settings(state)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// Set one field of the Train panel's form from text, by the type of its current value.
/// `None`: the form has no such field.
fn set_training_argument(state: &AppState, name: &str, text: &str) -> Option<Result<(), String>> {
    let Ok(Value::Object(mut form)) = serde_json::to_value(state.train.form.get_untracked()) else {
        return None;
    };
    let value = match form.get(name)? {
        Value::Bool(_) => match text {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Some(Err("true or false".into())),
        },
        Value::Number(n) if n.is_f64() => {
            let x = text.parse::<f64>().ok();
            match x.and_then(serde_json::Number::from_f64) {
                Some(n) => Value::Number(n),
                None => return Some(Err("a number".into())),
            }
        }
        Value::Number(_) => match text.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => return Some(Err("a whole number".into())),
        },
        Value::String(_) => Value::String(text.to_string()),
        _ => return None,
    };
    if let Err(why) = check_choice(name, text) {
        return Some(Err(why));
    }
    form.insert(name.to_string(), value);
    Some(
        match serde_json::from_value::<TrainForm>(Value::Object(form)) {
            Ok(f) => {
                state.train.form.set(f);
                Ok(())
            }
            // A negative count for a usize, say.
            Err(_) => Err("a valid value here".into()),
        },
    )
}

/// The training arguments that take one of a few words.
fn check_choice(name: &str, text: &str) -> Result<(), String> {
    match name {
        "eval_strategy" => text
            .parse::<IntervalStrategy>()
            .map(drop)
            .map_err(|_| "one of no, steps, epoch".into()),
        "backend" if !BACKENDS.contains(&text) => Err(format!("one of {}", BACKENDS.join(", "))),
        _ => Ok(()),
    }
}

/// The settings that differ from the page's defaults, as a query (`hub=…&model=…`).
pub fn query(state: &AppState) -> String {
    let defaults = state.settings.defaults.get_value();
    let params = web_sys::UrlSearchParams::new().expect("URLSearchParams");
    for (k, v) in settings(state) {
        if !defaults.iter().any(|(dk, dv)| *dk == k && *dv == v) {
            params.append(&k, &v);
        }
    }
    params.to_string().into()
}

/// This page's address with the setup of `state`.
pub fn link(state: &AppState) -> String {
    let location = web_sys::window().map(|w| w.location());
    let base = location
        .and_then(|l| Some(l.origin().ok()? + &l.pathname().ok()?))
        .unwrap_or_default();
    match query(state) {
        q if q.is_empty() => base,
        q => format!("{base}?{q}"),
    }
}

/// The page's query as (name, value) pairs, in order.
pub fn page_query() -> Vec<(String, String)> {
    let Some(search) = web_sys::window().and_then(|w| w.location().search().ok()) else {
        return Vec::new();
    };
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return Vec::new();
    };
    let Ok(Some(entries)) = js_sys::try_iter(&params) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|pair| {
            let pair = js_sys::Array::from(&pair);
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}
