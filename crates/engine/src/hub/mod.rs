//! Hugging Face Hub access: repo URLs, downloads through a small [`Fetch`] trait, a cache
//! through a small [`Store`] trait, and [`Source`]s (a Hub repo, a local folder, uploaded
//! files) that the loaders read alike.
//!
//! The traits are the seam between native and browser: natively [`UreqFetch`] and
//! [`DirStore`]; in the browser, `fetch` and the Cache API. Their futures are not `Send`
//! (wasm futures never are), so callers drive them with `pollster` natively or
//! `wasm_bindgen_futures` in a worker.

mod source;
pub use source::{ModelFiles, Source, TokenizerFiles};

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub use native::{default_cache_dir, endpoint_from_env, token_from_env, DirStore, UreqFetch};

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Where the Hub lives unless the caller says otherwise (`--hub-endpoint`, `HF_ENDPOINT`).
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// The revision a bare repo id means.
pub const DEFAULT_REVISION: &str = "main";

/// Models live at `{endpoint}/{id}`, datasets at `{endpoint}/datasets/{id}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoKind {
    Model,
    Dataset,
}

/// A repository on a Hub: `google-bert/bert-base-uncased` at `main` on `https://huggingface.co`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repo {
    /// `https://huggingface.co`, or a mirror / local test server; no trailing slash needed.
    pub endpoint: String,
    /// `owner/name` (or a legacy bare `name`).
    pub id: String,
    /// A branch, tag or commit; `main` by default.
    pub revision: String,
    pub kind: RepoKind,
}

impl Repo {
    /// A repo at `main`. `id` may carry a revision as `owner/name@revision`.
    pub fn new(endpoint: &str, id: &str, kind: RepoKind) -> Result<Repo> {
        let (id, revision) = match id.split_once('@') {
            Some((id, rev)) => (id, rev),
            None => (id, DEFAULT_REVISION),
        };
        let valid_part = |p: &str| {
            !p.is_empty()
                && p != "."
                && p != ".."
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        let parts: Vec<&str> = id.split('/').collect();
        if parts.len() > 2 || !parts.iter().all(|p| valid_part(p)) || revision.is_empty() {
            return Err(Error::Invalid(format!(
                "`{id}` is not a Hub repo id (expected `owner/name` or `name`, optionally `@revision`)"
            )));
        }
        Ok(Repo {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            id: id.to_string(),
            revision: revision.to_string(),
            kind,
        })
    }

    /// `{endpoint}[/datasets]/{id}/resolve/{revision}/{path}`, the revision and path
    /// percent-encoded (a revision such as `refs/pr/1` becomes one segment).
    pub fn url(&self, path: &str) -> String {
        let prefix = match self.kind {
            RepoKind::Model => "",
            RepoKind::Dataset => "/datasets",
        };
        let path: Vec<String> = path.split('/').map(|s| encode(s, false)).collect();
        format!(
            "{}{prefix}/{}/resolve/{}/{}",
            self.endpoint.trim_end_matches('/'),
            self.id,
            encode(&self.revision, true),
            path.join("/")
        )
    }
}

/// Percent-encode one URL path segment (`/` too when `slash`), leaving the unreserved set.
fn encode(s: &str, slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (b == b'/' && !slash) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How far a download is: the UI divides `done` by elapsed time for a rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub url: String,
    pub done: u64,
    /// From `Content-Length`; `None` when the server does not say.
    pub total: Option<u64>,
    /// Served from the cache, nothing downloaded.
    pub cached: bool,
}

/// Gets the bytes at a URL. Implementations map HTTP 404 to [`Error::NotFound`], 401/403 to
/// [`Error::Gated`], other failures to [`Error::Http`] / [`Error::Network`], a body shorter
/// than its `Content-Length` to [`Error::Truncated`], and call `progress` as bytes arrive.
#[allow(async_fn_in_trait)]
pub trait Fetch {
    async fn get(
        &self,
        url: &str,
        token: Option<&str>,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Vec<u8>>;
}

/// A cache of downloaded files by key (the URL). A miss is `Ok(None)`.
#[allow(async_fn_in_trait)]
pub trait Store {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<()>;
}

/// An in-memory cache: for tests, and for a browser without the Cache API.
#[derive(Debug, Default)]
pub struct MemoryStore {
    files: RefCell<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.files.borrow().len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.borrow().is_empty()
    }
}

impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.files.borrow().get(key).cloned())
    }
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        self.files
            .borrow_mut()
            .insert(key.to_string(), bytes.to_vec());
        Ok(())
    }
}

/// A Hub: where it is, how to fetch from it, where to cache, and the token for gated repos.
pub struct Hub<F, S> {
    pub fetch: F,
    pub store: S,
    /// The endpoint new repo ids resolve against (see [`Hub::repo`]).
    pub endpoint: String,
    /// Sent as `Authorization: Bearer {token}` (`HF_TOKEN`).
    pub token: Option<String>,
}

impl<F: Fetch, S: Store> Hub<F, S> {
    pub fn new(fetch: F, store: S, endpoint: &str, token: Option<String>) -> Self {
        Hub {
            fetch,
            store,
            endpoint: endpoint.trim_end_matches('/').to_string(),
            token: token.filter(|t| !t.is_empty()),
        }
    }

    /// A repo on this hub's endpoint (`owner/name[@revision]`).
    pub fn repo(&self, id: &str, kind: RepoKind) -> Result<Repo> {
        Repo::new(&self.endpoint, id, kind)
    }

    /// One file of a repo: from the cache when it is there, else downloaded and cached.
    pub async fn file(
        &self,
        repo: &Repo,
        path: &str,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Vec<u8>> {
        let url = repo.url(path);
        if let Some(bytes) = self.store.get(&url).await? {
            let n = bytes.len() as u64;
            progress(&Progress {
                url,
                done: n,
                total: Some(n),
                cached: true,
            });
            return Ok(bytes);
        }
        let bytes = self
            .fetch
            .get(&url, self.token.as_deref(), progress)
            .await?;
        self.store.put(&url, &bytes).await?;
        Ok(bytes)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Hub<UreqFetch, DirStore> {
    /// The native hub: ureq downloads cached under [`default_cache_dir`].
    pub fn native(endpoint: &str, token: Option<String>) -> Self {
        Hub::new(
            UreqFetch::new(),
            DirStore::new(default_cache_dir()),
            endpoint,
            token,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_and_dataset_urls() {
        let m = Repo::new(
            "https://huggingface.co/",
            "google-bert/bert-base-uncased",
            RepoKind::Model,
        )
        .unwrap();
        assert_eq!(
            m.url("config.json"),
            "https://huggingface.co/google-bert/bert-base-uncased/resolve/main/config.json"
        );
        let d = Repo::new("http://127.0.0.1:8080", "nyu-mll/glue", RepoKind::Dataset).unwrap();
        assert_eq!(
            d.url("mrpc/train-00000-of-00001.parquet"),
            "http://127.0.0.1:8080/datasets/nyu-mll/glue/resolve/main/mrpc/train-00000-of-00001.parquet"
        );
    }

    #[test]
    fn revision_is_one_encoded_segment() {
        let r = Repo::new("https://hf.example", "a/b@refs/pr/1", RepoKind::Model).unwrap();
        assert_eq!(r.id, "a/b");
        assert_eq!(r.revision, "refs/pr/1");
        assert_eq!(
            r.url("x y.json"),
            "https://hf.example/a/b/resolve/refs%2Fpr%2F1/x%20y.json"
        );
    }

    #[test]
    fn bad_repo_ids_are_errors() {
        for id in ["", "a/b/c", "../x", "a b", "a/b@"] {
            let err = Repo::new(DEFAULT_ENDPOINT, id, RepoKind::Model).unwrap_err();
            assert!(matches!(err, Error::Invalid(_)), "{id}: {err}");
        }
        assert!(Repo::new(DEFAULT_ENDPOINT, "bert-base-uncased", RepoKind::Model).is_ok());
    }
}
