//! Where files come from: a Hub repo, a local folder or file, or files held in memory (a
//! browser upload). A local folder or file works wherever a repo id does.

use super::{Fetch, Hub, Progress, Repo, RepoKind, Store};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A place to read named files from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Hub(Repo),
    /// A folder, or one file (read as its folder, with that file listed alone). Native only:
    /// reading one in a wasm build is an error.
    Local(PathBuf),
    /// Files by name (`train.tsv`, `model.safetensors`), e.g. what a browser upload gives.
    Files(BTreeMap<String, Vec<u8>>),
}

impl Source {
    /// A spec as a user types it: an existing local path (native builds), else a Hub repo id
    /// (`owner/name[@revision]`) on `endpoint`.
    pub fn parse(spec: &str, kind: RepoKind, endpoint: &str) -> Result<Source> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let path = std::path::Path::new(spec);
            if path.exists() {
                return Ok(Source::Local(path.to_path_buf()));
            }
            let looks_local = spec.starts_with('.') || spec.starts_with('/') || spec.contains('\\');
            if looks_local {
                return Err(Error::io(spec, "no such file or folder"));
            }
        }
        Repo::new(endpoint, spec, kind).map(Source::Hub)
    }

    /// For messages: the URL base, path or `uploaded files`.
    pub fn describe(&self) -> String {
        match self {
            Source::Hub(repo) => repo.url(""),
            Source::Local(path) => path.display().to_string(),
            Source::Files(files) => {
                format!(
                    "uploaded files ({})",
                    files.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            }
        }
    }

    /// Where `path` is, for messages: its URL, its local path, or its upload name.
    pub fn locate(&self, path: &str) -> String {
        match self {
            Source::Hub(repo) => repo.url(path),
            Source::Local(root) => local::resolve(root, path).display().to_string(),
            Source::Files(_) => path.to_string(),
        }
    }

    /// The files it holds, as relative `/`-separated paths; `None` for a Hub repo (listing
    /// needs the Hub API, so Hub loaders name their files instead).
    pub fn list(&self) -> Result<Option<Vec<String>>> {
        match self {
            Source::Hub(_) => Ok(None),
            Source::Files(files) => Ok(Some(files.keys().cloned().collect())),
            Source::Local(path) => local::list(path).map(Some),
        }
    }

    /// The bytes of `path` (relative to the repo or folder).
    pub async fn read<F: Fetch, S: Store>(
        &self,
        hub: &Hub<F, S>,
        path: &str,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Vec<u8>> {
        match self {
            Source::Hub(repo) => hub.file(repo, path, progress).await,
            Source::Local(root) => local::read(root, path),
            Source::Files(files) => find(files, path)
                .map(|(_, b)| b.clone())
                .ok_or_else(|| Error::io(path, format!("not among the {}", self.describe()))),
        }
    }

    /// Like [`Source::read`], but a file that is not there is `None` (other errors stay).
    pub async fn read_optional<F: Fetch, S: Store>(
        &self,
        hub: &Hub<F, S>,
        path: &str,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Option<Vec<u8>>> {
        let present = match self {
            Source::Hub(_) => true,
            Source::Local(root) => local::resolve(root, path).is_file(),
            Source::Files(files) => find(files, path).is_some(),
        };
        if !present {
            return Ok(None);
        }
        match self.read(hub, path, progress).await {
            Err(Error::NotFound { .. }) => Ok(None),
            other => other.map(Some),
        }
    }
}

/// An uploaded file by exact name, else by its base name (a folder upload gives `MRPC/dev.tsv`).
fn find<'a>(files: &'a BTreeMap<String, Vec<u8>>, path: &str) -> Option<(&'a String, &'a Vec<u8>)> {
    files.get_key_value(path).or_else(|| {
        let mut hits = files
            .iter()
            .filter(|(k, _)| k.rsplit('/').next() == Some(path));
        let hit = hits.next()?;
        hits.next().is_none().then_some(hit)
    })
}

#[cfg(not(target_arch = "wasm32"))]
mod local {
    use crate::{Error, Result};
    use std::path::{Path, PathBuf};

    /// A file source reads its siblings: `model.safetensors` stands for its folder.
    pub fn resolve(root: &Path, path: &str) -> PathBuf {
        if root.is_file() {
            let name = root
                .file_name()
                .map(|n| n.to_string_lossy() == path)
                .unwrap_or(false);
            if name {
                return root.to_path_buf();
            }
            return root.parent().unwrap_or(Path::new(".")).join(path);
        }
        root.join(path)
    }

    pub fn read(root: &Path, path: &str) -> Result<Vec<u8>> {
        let full = resolve(root, path);
        std::fs::read(&full).map_err(|e| Error::io(full.display(), e))
    }

    /// Files in the folder and one level below (`data/train.parquet`), sorted.
    pub fn list(root: &Path) -> Result<Vec<String>> {
        if root.is_file() {
            let name = root.file_name().map(|n| n.to_string_lossy().into_owned());
            return Ok(name.into_iter().collect());
        }
        let mut out = Vec::new();
        walk(root, "", 2, &mut out)?;
        out.sort();
        Ok(out)
    }

    fn walk(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<String>) -> Result<()> {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir.display(), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir.display(), e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            if path.is_dir() && depth > 1 {
                walk(&path, &format!("{prefix}{name}/"), depth - 1, out)?;
            } else if path.is_file() {
                out.push(format!("{prefix}{name}"));
            }
        }
        Ok(())
    }
}

#[cfg(target_arch = "wasm32")]
mod local {
    use crate::{Error, Result};
    use std::path::{Path, PathBuf};

    fn unavailable(root: &Path) -> Error {
        Error::io(
            root.display(),
            "local files cannot be read in the browser; upload them",
        )
    }
    pub fn resolve(root: &Path, path: &str) -> PathBuf {
        root.join(path)
    }
    pub fn read(root: &Path, _path: &str) -> Result<Vec<u8>> {
        Err(unavailable(root))
    }
    pub fn list(root: &Path) -> Result<Vec<String>> {
        Err(unavailable(root))
    }
}

/// What a model needs from its repo or folder.
#[derive(Clone, Debug)]
pub struct ModelFiles {
    /// `config.json`.
    pub config_json: String,
    /// `tokenizer.json` (the fast tokenizer's single file), or, for a checkpoint that has only
    /// `vocab.txt`, the one transformers would build from it (`tokenize::wordpiece`).
    pub tokenizer_json: String,
    /// `model.safetensors`.
    pub weights: Vec<u8>,
    /// `tokenizer_config.json`, when the repo has one (model_max_length, do_lower_case).
    pub tokenizer_config_json: Option<String>,
    /// Whether `tokenizer_json` was built from `vocab.txt` (the repo has no tokenizer.json).
    pub tokenizer_from_vocab: bool,
}

impl ModelFiles {
    /// Read the files from the source (the tokenizer's as `TokenizerFiles::load` does).
    pub async fn load<F: Fetch, S: Store>(
        hub: &Hub<F, S>,
        source: &Source,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<ModelFiles> {
        let t = TokenizerFiles::load(hub, source, progress).await?;
        let weights = source.read(hub, "model.safetensors", progress).await?;
        Ok(ModelFiles {
            config_json: t.config_json,
            tokenizer_json: t.tokenizer_json,
            weights,
            tokenizer_config_json: t.tokenizer_config_json,
            tokenizer_from_vocab: t.tokenizer_from_vocab,
        })
    }
}

/// What a tokenizer needs from a model's repo or folder (`ModelFiles` without the weights).
#[derive(Clone, Debug)]
pub struct TokenizerFiles {
    pub config_json: String,
    /// `tokenizer.json`, or the one built from `vocab.txt` (see `ModelFiles`).
    pub tokenizer_json: String,
    pub tokenizer_config_json: Option<String>,
    pub tokenizer_from_vocab: bool,
}

impl TokenizerFiles {
    /// `config.json`, `tokenizer_config.json` when present, and `tokenizer.json`; without
    /// `tokenizer.json`, the tokenizer is built from `vocab.txt` (with `special_tokens_map.json`
    /// when present), as transformers does for BERT and DistilBERT. Without either, the error
    /// names both.
    pub async fn load<F: Fetch, S: Store>(
        hub: &Hub<F, S>,
        source: &Source,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<TokenizerFiles> {
        let text = |name: &str, bytes: Vec<u8>| {
            String::from_utf8(bytes)
                .map_err(|_| Error::io(format!("{}: {name}", source.describe()), "not valid UTF-8"))
        };
        let config_json = text(
            "config.json",
            source.read(hub, "config.json", progress).await?,
        )?;
        let tokenizer_config_json = match source
            .read_optional(hub, "tokenizer_config.json", progress)
            .await?
        {
            Some(bytes) => Some(text("tokenizer_config.json", bytes)?),
            None => None,
        };
        let (tokenizer_json, tokenizer_from_vocab) = match source
            .read_optional(hub, "tokenizer.json", progress)
            .await?
        {
            Some(bytes) => (text("tokenizer.json", bytes)?, false),
            None => {
                let built =
                    tokenizer_from_vocab(hub, source, &tokenizer_config_json, progress).await?;
                (built, true)
            }
        };
        Ok(TokenizerFiles {
            config_json,
            tokenizer_json,
            tokenizer_config_json,
            tokenizer_from_vocab,
        })
    }
}

/// `tokenizer.json` built from the source's `vocab.txt` and `special_tokens_map.json`.
async fn tokenizer_from_vocab<F: Fetch, S: Store>(
    hub: &Hub<F, S>,
    source: &Source,
    tokenizer_config_json: &Option<String>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<String> {
    let place = source.describe();
    let Some(vocab) = source.read_optional(hub, "vocab.txt", progress).await? else {
        return Err(Error::io(
            format!("{place}: tokenizer.json"),
            "not found, and there is no vocab.txt to build a WordPiece tokenizer from \
             (Wick reads a fast tokenizer's tokenizer.json, or BERT's vocab.txt)",
        ));
    };
    let vocab = String::from_utf8(vocab)
        .map_err(|_| Error::io(format!("{place}: vocab.txt"), "not valid UTF-8"))?;
    let json = |name: &str, bytes: &[u8]| {
        serde_json::from_slice::<serde_json::Value>(bytes)
            .map_err(|e| Error::io(format!("{place}: {name}"), format!("not valid JSON: {e}")))
    };
    let config = match tokenizer_config_json {
        Some(text) => Some(json("tokenizer_config.json", text.as_bytes())?),
        None => None,
    };
    let special = match source
        .read_optional(hub, "special_tokens_map.json", progress)
        .await?
    {
        Some(bytes) => Some(json("special_tokens_map.json", &bytes)?),
        None => None,
    };
    crate::tokenize::wordpiece::tokenizer_json(&vocab, config.as_ref(), special.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::MemoryStore;

    /// A fetch that must never be called: local and uploaded sources do not touch the network.
    struct NoFetch;
    impl Fetch for NoFetch {
        async fn get(
            &self,
            url: &str,
            _: Option<&str>,
            _: &mut dyn FnMut(&Progress),
        ) -> Result<Vec<u8>> {
            panic!("unexpected download of {url}")
        }
    }

    fn hub() -> Hub<NoFetch, MemoryStore> {
        Hub::new(NoFetch, MemoryStore::new(), "http://unused", None)
    }

    #[test]
    fn uploaded_files_by_name_or_base_name() {
        let files: BTreeMap<String, Vec<u8>> = [
            ("MRPC/train.tsv".to_string(), b"t".to_vec()),
            ("config.json".to_string(), b"{}".to_vec()),
        ]
        .into();
        let source = Source::Files(files);
        let hub = hub();
        pollster::block_on(async {
            let mut p = |_: &Progress| {};
            assert_eq!(source.read(&hub, "train.tsv", &mut p).await.unwrap(), b"t");
            assert_eq!(
                source.read(&hub, "config.json", &mut p).await.unwrap(),
                b"{}"
            );
            assert!(source
                .read_optional(&hub, "dev.tsv", &mut p)
                .await
                .unwrap()
                .is_none());
            let err = source.read(&hub, "dev.tsv", &mut p).await.unwrap_err();
            assert!(err.to_string().contains("dev.tsv"), "{err}");
        });
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn local_folder_or_file_and_hub_ids() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::write(dir.join("config.json"), "{}").unwrap();
        std::fs::write(dir.join("data/train.csv"), "a").unwrap();
        let spec = dir.to_str().unwrap();
        let folder = Source::parse(spec, RepoKind::Model, "http://x").unwrap();
        assert_eq!(folder, Source::Local(dir.clone()));
        assert_eq!(
            folder.list().unwrap().unwrap(),
            vec!["config.json".to_string(), "data/train.csv".to_string()]
        );
        let file = Source::Local(dir.join("data/train.csv"));
        assert_eq!(file.list().unwrap().unwrap(), vec!["train.csv".to_string()]);
        let hub = hub();
        pollster::block_on(async {
            let mut p = |_: &Progress| {};
            assert_eq!(file.read(&hub, "train.csv", &mut p).await.unwrap(), b"a");
            assert_eq!(
                folder.read(&hub, "config.json", &mut p).await.unwrap(),
                b"{}"
            );
            let err = folder
                .read(&hub, "tokenizer.json", &mut p)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("tokenizer.json"), "{err}");
        });

        let repo =
            Source::parse("google-bert/bert-base-uncased", RepoKind::Model, "http://x").unwrap();
        assert!(matches!(repo, Source::Hub(r) if r.id == "google-bert/bert-base-uncased"));
        assert!(Source::parse("./missing-folder", RepoKind::Model, "http://x").is_err());
    }
}
