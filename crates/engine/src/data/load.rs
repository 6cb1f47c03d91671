//! `load_dataset`: from a data argument (`glue/mrpc`, `owner/name[/config]`, a local folder or
//! file) or a [`Source`] (uploaded files) to a [`DatasetDict`]. The one entry point for the
//! CLI and the browser.

use super::dataset::{Column, Dataset, DatasetDict, Feature, Values};
use super::glue::{GlueTask, GLUE_REPO, TASKS};
use super::{read_csv, read_glue_tsv, read_jsonl, read_parquet};
use crate::hub::{Fetch, Hub, Progress, Repo, RepoKind, Source, Store};
use crate::{Error, Result};

/// The splits a Hub repo without a task table is tried for (`{config}/{split}-00000-of-00001.parquet`).
const HUB_SPLITS: &[&str] = &["train", "validation", "test"];

/// Where a data argument points: a source, and the config (GLUE task) within it.
#[derive(Clone, Debug, PartialEq)]
pub struct DataSpec {
    pub source: Source,
    pub config: Option<String>,
}

impl DataSpec {
    /// `glue/mrpc` (= `nyu-mll/glue`, config `mrpc`), `owner/name/config`, `owner/name`, each
    /// with an optional `@revision`; or, natively, an existing folder or file.
    pub fn parse(spec: &str, endpoint: &str) -> Result<DataSpec> {
        match Source::parse(spec, RepoKind::Dataset, endpoint) {
            Ok(Source::Local(path)) => {
                return Ok(DataSpec {
                    source: Source::Local(path),
                    config: None,
                })
            }
            Err(e @ Error::Io { .. }) => return Err(e),
            _ => {} // a Hub id, perhaps with a config: below
        }
        let (path, revision) = match spec.split_once('@') {
            Some((p, r)) => (p, format!("@{r}")),
            None => (spec, String::new()),
        };
        let parts: Vec<&str> = path.split('/').collect();
        let (id, config) = match parts.as_slice() {
            ["glue", task] => (GLUE_REPO.to_string(), Some(task.to_string())),
            [owner, name, config] => (format!("{owner}/{name}"), Some(config.to_string())),
            _ => (path.to_string(), None),
        };
        let repo = Repo::new(endpoint, &format!("{id}{revision}"), RepoKind::Dataset)?;
        Ok(DataSpec {
            source: Source::Hub(repo),
            config,
        })
    }
}

/// Loads a data argument (see [`DataSpec::parse`]) against `hub`'s endpoint.
pub async fn load_dataset<F: Fetch, S: Store>(
    hub: &Hub<F, S>,
    spec: &str,
    progress: &mut dyn FnMut(&Progress),
) -> Result<DatasetDict> {
    let spec = DataSpec::parse(spec, &hub.endpoint)?;
    load_source(hub, &spec.source, spec.config.as_deref(), progress).await
}

/// Loads every split of `source`; `config` names the GLUE task (or the Hub config folder).
/// Local folders and uploads are recognised by their files: GLUE `train.tsv`/`dev.tsv`, else
/// `*.parquet`, `*.csv`, `*.jsonl` named by split (`train-00000-of-00001.parquet`, `dev.csv`).
pub async fn load_source<F: Fetch, S: Store>(
    hub: &Hub<F, S>,
    source: &Source,
    config: Option<&str>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<DatasetDict> {
    // `config` is the GLUE task for GLUE and local data, the config folder for other Hub repos.
    let glue_task = |name: &str| GlueTask::get(name).ok_or_else(|| unknown_task(name));
    let mut splits = Vec::new();
    let task = match source {
        Source::Hub(repo) => {
            let task = if repo.id == GLUE_REPO || repo.id == "glue" {
                let name = config.ok_or_else(|| {
                    Error::Invalid(format!("{}: which GLUE task? e.g. glue/mrpc", repo.id))
                })?;
                Some(glue_task(name)?)
            } else {
                None
            };
            let paths: Vec<(String, String, bool)> = match task {
                // Only `train` must be there: a mirror or a classroom copy (`wick hub serve`)
                // may leave out the unlabelled test split.
                Some(t) => t
                    .splits
                    .iter()
                    .map(|s| (s.to_string(), t.hub_path(s), *s == "train"))
                    .collect(),
                None => HUB_SPLITS
                    .iter()
                    .map(|s| {
                        let path =
                            format!("{}/{s}-00000-of-00001.parquet", config.unwrap_or("data"));
                        (s.to_string(), path, *s == "train")
                    })
                    .collect(),
            };
            for (split, path, required) in paths {
                let bytes = if required {
                    Some(source.read(hub, &path, progress).await?)
                } else {
                    source.read_optional(hub, &path, progress).await?
                };
                if let Some(bytes) = bytes {
                    splits.push((
                        split.clone(),
                        read_parquet(bytes, &repo.url(&path), task, &split)?,
                    ));
                }
            }
            task
        }
        Source::Local(_) | Source::Files(_) => {
            let files = source.list()?.unwrap_or_default();
            let mut task = match config {
                Some(name) => Some(glue_task(name)?),
                None => folder_task(source),
            };
            let plan = plan(&files, task)?;
            if task.is_none() && plan.iter().any(|p| p.format == Format::GlueTsv) {
                let first = &plan[0].files[0];
                let bytes = source.read(hub, first, progress).await?;
                task = Some(task_from_header(&bytes).ok_or_else(|| {
                    let msg = "cannot tell which GLUE task this is; name the folder after it (MRPC) or pass the task";
                    Error::data(source.locate(first), Some(1), msg)
                })?);
            }
            for part in plan {
                let mut parts = Vec::new();
                for path in &part.files {
                    let bytes = source.read(hub, path, progress).await?;
                    let file = source.locate(path);
                    parts.push(match (part.format, task) {
                        (Format::GlueTsv, Some(t)) => read_glue_tsv(&bytes, &file, t, &part.split)?,
                        (Format::GlueTsv, None) => {
                            return Err(Error::data(file, None, "a GLUE TSV file needs its task"))
                        }
                        (Format::Parquet, _) => read_parquet(bytes, &file, task, &part.split)?,
                        (Format::Csv, _) => read_csv(&bytes, &file, task, &part.split)?,
                        (Format::Jsonl, _) => read_jsonl(&bytes, &file, task, &part.split)?,
                    });
                }
                splits.push((
                    part.split.clone(),
                    concat(&source.locate(&part.files[0]), parts)?,
                ));
            }
            task
        }
    };
    if task.is_none() {
        unify_class_labels(&mut splits);
    }
    Ok(DatasetDict {
        splits,
        task: task.map(|t| t.name.to_string()),
    })
}

fn unknown_task(name: &str) -> Error {
    let names: Vec<&str> = TASKS.iter().map(|t| t.name).collect();
    Error::Invalid(format!(
        "unknown GLUE task `{name}` (expected one of {})",
        names.join(", ")
    ))
}

/// A folder named after a GLUE task (`glue_data/MRPC`) says which task it holds.
fn folder_task(source: &Source) -> Option<&'static GlueTask> {
    match source {
        Source::Local(path) => {
            let folder = if path.is_file() {
                path.parent()?
            } else {
                path.as_path()
            };
            GlueTask::get(&folder.file_name()?.to_string_lossy())
        }
        Source::Files(files) => {
            let (folder, _) = files.keys().next()?.rsplit_once('/')?;
            GlueTask::get(folder.rsplit('/').next()?)
        }
        Source::Hub(_) => None,
    }
}

/// The task whose TSV header names all appear in the file's first line.
fn task_from_header(bytes: &[u8]) -> Option<&'static GlueTask> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let line = bytes.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
    let fields: Vec<&str> = line.split('\t').collect();
    let fits = |t: &&GlueTask| {
        t.tsv.text.iter().all(|(h, _)| fields.contains(h)) && fields.contains(&t.tsv.label.0)
    };
    let mut hits = TASKS.iter().filter(fits);
    let hit = hits.next()?;
    hits.next().is_none().then_some(hit)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    GlueTsv,
    Parquet,
    Csv,
    Jsonl,
}

/// One split to read: its files (shards, in name order) and their format.
#[derive(Debug)]
struct Part {
    split: String,
    format: Format,
    files: Vec<String>,
}

/// Which files make which split: GLUE TSV names first, else the first format present.
fn plan(files: &[String], task: Option<&GlueTask>) -> Result<Vec<Part>> {
    let base = |f: &str| f.rsplit('/').next().unwrap_or(f).to_string();
    let glue_files: Vec<(&str, &str)> = match task {
        Some(t) => t.tsv.files.to_vec(),
        None => TASKS
            .iter()
            .flat_map(|t| t.tsv.files.iter().copied())
            .collect(),
    };
    let mut parts: Vec<Part> = Vec::new();
    for (name, split) in &glue_files {
        if parts.iter().any(|p| p.split == *split) {
            continue;
        }
        if let Some(f) = files.iter().find(|f| base(f) == *name) {
            parts.push(Part {
                split: split.to_string(),
                format: Format::GlueTsv,
                files: vec![f.clone()],
            });
        }
    }
    let formats = [
        (".parquet", Format::Parquet),
        (".csv", Format::Csv),
        (".jsonl", Format::Jsonl),
    ];
    // Each split from one format: GLUE TSVs, else parquet, CSV, JSON lines in that order of
    // preference. The first format found gives all its files; later ones add only the
    // standard splits still missing (a train.csv and a validation.jsonl make two splits).
    let glue = !parts.is_empty();
    let standard = |s: &str| split_rank(s) < 3;
    for (ext, format) in formats {
        if glue {
            break;
        }
        let first = parts.is_empty();
        let mut matching: Vec<&String> = files.iter().filter(|f| f.ends_with(ext)).collect();
        matching.sort();
        for f in matching {
            let name = base(f);
            let stem = name.trim_end_matches(ext);
            let split = match stem.split('-').next().unwrap_or(stem) {
                "dev" => "validation",
                s => s,
            };
            match parts.iter_mut().find(|p| p.split == split) {
                Some(p) if p.format == format => p.files.push(f.clone()),
                Some(_) => {}
                None if !first && !standard(split) => {}
                None => parts.push(Part {
                    split: split.to_string(),
                    format,
                    files: vec![f.clone()],
                }),
            }
        }
    }
    if parts.is_empty() {
        let msg = format!(
            "no data files: expected GLUE train.tsv/dev.tsv, or *.parquet, *.csv, *.jsonl named by split (found: {})",
            files.join(", ")
        );
        return Err(Error::data("data", None, msg));
    }
    // A lone file that is not named by a split is the training split.
    if parts.len() == 1
        && !parts[0].split.starts_with("validation")
        && !parts[0].split.starts_with("test")
    {
        parts[0].split = "train".to_string();
    }
    let rank = |p: &Part| (split_rank(&p.split), p.split.clone());
    parts.sort_by_key(rank);
    Ok(parts)
}

/// train, validation*, test*, then other names.
fn split_rank(split: &str) -> u8 {
    match split {
        "train" => 0,
        s if s.starts_with("validation") => 1,
        s if s.starts_with("test") => 2,
        _ => 3,
    }
}

/// Shards of one split, one after the other; their columns must agree.
fn concat(file: &str, mut parts: Vec<Dataset>) -> Result<Dataset> {
    let mut out = parts.remove(0);
    for part in parts {
        if part.features() != out.features() {
            return Err(Error::data(
                file,
                None,
                "shards of one split have different columns",
            ));
        }
        for (a, b) in out.columns.iter_mut().zip(part.columns) {
            match (&mut a.values, b.values) {
                (Values::Text(a), Values::Text(b)) => a.extend(b),
                (Values::Int(a), Values::Int(b)) => a.extend(b),
                (Values::Float(a), Values::Float(b)) => a.extend(b),
                _ => {
                    return Err(Error::data(
                        file,
                        None,
                        format!("column `{}` changes type", a.name),
                    ))
                }
            }
        }
    }
    Ok(out)
}

/// Splits that each named their string labels (sorted) may have seen different classes:
/// re-map them all onto the sorted union, so that an id means the same class everywhere.
pub(crate) fn unify_class_labels(splits: &mut [(String, Dataset)]) {
    let label_names = |d: &Dataset| d.label_names().map(|n| n.to_vec());
    let all: Vec<Vec<String>> = splits.iter().filter_map(|(_, d)| label_names(d)).collect();
    if all.windows(2).all(|w| w[0] == w[1]) {
        return;
    }
    let mut union: Vec<String> = all.concat();
    union.sort();
    union.dedup();
    for (_, d) in splits.iter_mut() {
        let Some(old) = label_names(d) else { continue };
        let Some(Column {
            feature,
            values: Values::Int(ids),
            ..
        }) = d.columns.iter_mut().find(|c| c.name == "label")
        else {
            continue;
        };
        for id in ids.iter_mut().filter(|id| **id >= 0) {
            let name = &old[*id as usize];
            *id = union.binary_search(name).unwrap_or(0) as i64;
        }
        *feature = Feature::ClassLabel {
            names: union.clone(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn specs() {
        let spec = DataSpec::parse("glue/mrpc", "http://h").unwrap();
        let Source::Hub(repo) = &spec.source else {
            panic!("{spec:?}")
        };
        assert_eq!(
            (repo.id.as_str(), spec.config.as_deref()),
            ("nyu-mll/glue", Some("mrpc"))
        );
        let spec = DataSpec::parse("nyu-mll/glue/sst2@v1", "http://h").unwrap();
        let Source::Hub(repo) = &spec.source else {
            panic!("{spec:?}")
        };
        assert_eq!(
            (repo.id.as_str(), repo.revision.as_str()),
            ("nyu-mll/glue", "v1")
        );
        assert_eq!(spec.config.as_deref(), Some("sst2"));
        let spec = DataSpec::parse("me/reviews", "http://h").unwrap();
        assert_eq!(spec.config, None);
        assert!(DataSpec::parse("a/b/c/d", "http://h").is_err());
    }

    #[test]
    fn plans_by_file_names() {
        let p = plan(&files(&["README.md", "dev.tsv", "train.tsv"]), None).unwrap();
        let splits: Vec<_> = p.iter().map(|p| (p.split.as_str(), p.format)).collect();
        assert_eq!(
            splits,
            [("train", Format::GlueTsv), ("validation", Format::GlueTsv)]
        );

        let names = [
            "data/test-00000-of-00001.parquet",
            "data/train-00001-of-00002.parquet",
            "data/train-00000-of-00002.parquet",
            "data/validation-00000-of-00001.parquet",
        ];
        let p = plan(&files(&names), None).unwrap();
        assert_eq!(
            p.iter().map(|p| p.split.as_str()).collect::<Vec<_>>(),
            ["train", "validation", "test"]
        );
        assert_eq!(
            p[0].files,
            [
                "data/train-00000-of-00002.parquet",
                "data/train-00001-of-00002.parquet"
            ]
        );

        let p = plan(&files(&["dev.csv", "train.csv", "notes.jsonl"]), None).unwrap();
        assert_eq!(
            p.iter().map(|p| p.split.as_str()).collect::<Vec<_>>(),
            ["train", "validation"]
        );
        let p = plan(&files(&["reviews.jsonl"]), None).unwrap();
        assert_eq!(p[0].split, "train");
        // An upload: the train split as CSV, the validation split as JSON lines.
        let p = plan(
            &files(&["validation.jsonl", "train.csv", "notes.jsonl"]),
            None,
        )
        .unwrap();
        let got: Vec<_> = p.iter().map(|p| (p.split.as_str(), p.format)).collect();
        assert_eq!(got, [("train", Format::Csv), ("validation", Format::Jsonl)]);
        assert!(plan(&files(&["README.md"]), None).is_err());
    }

    #[test]
    fn header_tells_the_task() {
        let mrpc = "\u{feff}Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t2\t3\ta\tb\n";
        assert_eq!(task_from_header(mrpc.as_bytes()).unwrap().name, "mrpc");
        assert_eq!(
            task_from_header(b"id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n")
                .unwrap()
                .name,
            "qqp"
        );
        assert!(task_from_header(b"gj04\t1\t\tA sentence.\n").is_none());
    }
}
