//! Loading: a checkpoint (Hub or the user's files) and a data set (a GLUE task from the Hub or
//! the user's files), through the engine's `hub` and `data` with the browser's fetch and cache.

use super::session::{Checkpoint, Session};
use super::{post, training, views};
use crate::protocol::{ColumnMapping, Download, Event, HubSettings};
use crate::web::fetch::{CacheStore, WebFetch};
use crate::web::read_file;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use web_sys::File;
use wick_engine::data::{load_dataset, load_source, DatasetDict, GLUE_REPO};
use wick_engine::hub::{Hub, ModelFiles, Progress, Repo, RepoKind, Source};
use wick_engine::tokenize::Tokenizer;

pub type WebHub = Hub<WebFetch, CacheStore>;

pub fn hub(settings: &HubSettings) -> WebHub {
    Hub::new(
        WebFetch,
        CacheStore,
        &settings.endpoint,
        settings.token.clone(),
    )
}

/// Turns the engine's progress reports into `Download` events with a rate.
struct Downloads {
    panel: &'static str,
    started: HashMap<String, f64>,
}

impl Downloads {
    fn new(panel: &'static str) -> Self {
        Downloads {
            panel,
            started: HashMap::new(),
        }
    }

    fn report(&mut self, p: &Progress) {
        let now = now_s();
        let start = *self.started.entry(p.url.clone()).or_insert(now);
        let finished = p.total == Some(p.done);
        let rate = if p.cached {
            0.0
        } else {
            p.done as f64 / (now - start).max(1e-3)
        };
        let d = Download {
            panel: self.panel.into(),
            url: p.url.clone(),
            done: p.done,
            total: p.total,
            rate,
            cached: p.cached,
            finished,
        };
        post(&Event::Download(d), &[]);
    }
}

pub fn now_s() -> f64 {
    web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

pub async fn model_from_hub(
    s: &Session,
    settings: &HubSettings,
    repo: &str,
    revision: &str,
    ignore_mismatched_sizes: bool,
) -> Result<(), String> {
    let hub = hub(settings);
    let id = if revision.is_empty() || revision == "main" {
        repo.to_string()
    } else {
        format!("{repo}@{revision}")
    };
    let origin = Repo::new(&hub.endpoint, &id, RepoKind::Model).map_err(|e| e.to_string())?;
    let source = Source::Hub(origin.clone());
    let mut downloads = Downloads::new("checkpoint");
    let files = ModelFiles::load(&hub, &source, &mut |p| downloads.report(p))
        .await
        .map_err(|e| e.to_string())?;
    install_model(
        s,
        repo.to_string(),
        files,
        Some(origin),
        ignore_mismatched_sizes,
    )
}

pub async fn model_from_files(
    s: &Session,
    names: Vec<String>,
    files: Vec<File>,
    ignore_mismatched_sizes: bool,
) -> Result<(), String> {
    let source = Source::Files(read_all(names, files).await?);
    let hub = hub(&HubSettings {
        endpoint: String::new(),
        token: None,
    });
    let files = ModelFiles::load(&hub, &source, &mut |_| {})
        .await
        .map_err(|e| e.to_string())?;
    install_model(
        s,
        "local files".into(),
        files,
        None,
        ignore_mismatched_sizes,
    )
}

/// Keep the checkpoint and its tokenizer, build the model with a fresh head (as many labels as
/// the data set has, else the course's two) and report how loading went.
fn install_model(
    s: &Session,
    name: String,
    files: ModelFiles,
    hub: Option<Repo>,
    ignore_mismatched_sizes: bool,
) -> Result<(), String> {
    let tokenizer = Tokenizer::from_model_files(
        files.tokenizer_json.as_bytes(),
        files.config_json.as_bytes(),
        files.tokenizer_config_json.as_deref().map(str::as_bytes),
    )
    .map_err(|e| e.to_string())?;
    let files = Rc::new(files);
    let segments = tokenizer.uses_token_type_ids();
    *s.checkpoint.borrow_mut() = Some(Checkpoint {
        files: files.clone(),
        tokenizer: Rc::new(tokenizer),
        hub,
        ignore_mismatched_sizes,
    });
    *s.mapped.borrow_mut() = None;
    let report = training::fresh_model(s)?;
    post(
        &Event::ModelLoaded(views::model_card(&name, &files, &report, segments)?),
        &[],
    );
    Ok(())
}

pub async fn glue(s: &Session, settings: &HubSettings, task: &str) -> Result<(), String> {
    let hub = hub(settings);
    let mut downloads = Downloads::new("dataset");
    let data = load_dataset(&hub, &format!("glue/{task}"), &mut |p| downloads.report(p))
        .await
        .map_err(|e| e.to_string())?;
    let repo = Repo::new(&hub.endpoint, GLUE_REPO, RepoKind::Dataset).map_err(|e| e.to_string())?;
    install_data(s, format!("glue/{task}"), data)?;
    *s.data_hub.borrow_mut() = Some((repo, Some(task.to_string())));
    Ok(())
}

/// The user's files, one per split: renamed `{split}.{ext}` so the loader knows the split,
/// then the mapped columns first (`text_a`, `text_b`, `label`), as the tokenizer takes them.
pub async fn dataset_files(
    s: &Session,
    splits: Vec<String>,
    names: Vec<String>,
    files: Vec<File>,
    mapping: &ColumnMapping,
) -> Result<(), String> {
    let mut named = BTreeMap::new();
    for ((split, name), file) in splits.iter().zip(&names).zip(&files) {
        let ext = name
            .rsplit_once('.')
            .map_or("csv", |(_, e)| e)
            .to_ascii_lowercase();
        let ext = if ext == "json" {
            "jsonl".to_string()
        } else {
            ext
        };
        named.insert(format!("{split}.{ext}"), read_file(file).await?);
    }
    let hub = hub(&HubSettings {
        endpoint: String::new(),
        token: None,
    });
    let mut data = load_source(&hub, &Source::Files(named), None, &mut |_| {})
        .await
        .map_err(|e| e.to_string())?;
    let files: Vec<(String, String)> = splits.iter().cloned().zip(names.iter().cloned()).collect();
    let mapping = wick_engine::data::ColumnMapping {
        text_a: &mapping.text_a,
        text_b: &mapping.text_b,
        label: &mapping.label,
    };
    data.map_columns(&mapping, &files)
        .map_err(|e| e.to_string())?;
    let title = names.join(", ");
    install_data(s, title, data)?;
    *s.data_hub.borrow_mut() = None;
    Ok(())
}

fn install_data(s: &Session, name: String, data: DatasetDict) -> Result<(), String> {
    let view = views::dataset(&name, &data);
    let first = data
        .splits
        .first()
        .map(|(n, _)| n.clone())
        .unwrap_or_default();
    let rows = views::rows(&data, &first, 0, crate::protocol::ROWS_PER_PAGE)?;
    *s.data.borrow_mut() = Some(Rc::new(data));
    *s.mapped.borrow_mut() = None;
    // The head must have as many outputs as the data set has labels.
    if s.checkpoint.borrow().is_some() && !s.model.borrow().as_ref().is_some_and(|m| m.trained) {
        training::fresh_model(s)?;
    }
    post(&Event::DatasetLoaded(view), &[]);
    post(&Event::Rows(rows), &[]);
    Ok(())
}

/// The user's files by name.
async fn read_all(
    names: Vec<String>,
    files: Vec<File>,
) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut out = BTreeMap::new();
    for (name, file) in names.into_iter().zip(files) {
        out.insert(name, read_file(&file).await?);
    }
    Ok(out)
}
