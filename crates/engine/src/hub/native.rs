//! Native I/O for the hub: blocking ureq downloads and a cache folder. Not in wasm builds.

use super::{Fetch, Progress, Store};
use crate::{Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Downloads with ureq. Blocking inside the async fn is fine natively: the CLI drives one
/// future at a time with `pollster`.
pub struct UreqFetch {
    agent: ureq::Agent,
}

impl UreqFetch {
    pub fn new() -> Self {
        // Statuses come back as responses so that 404 / 401 map to our own errors.
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build();
        UreqFetch {
            agent: config.into(),
        }
    }
}

impl Default for UreqFetch {
    fn default() -> Self {
        Self::new()
    }
}

impl Fetch for UreqFetch {
    async fn get(
        &self,
        url: &str,
        token: Option<&str>,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Vec<u8>> {
        let network = |cause: &dyn std::fmt::Display| Error::Network {
            url: url.to_string(),
            cause: cause.to_string(),
        };
        let mut request = self.agent.get(url);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request.call().map_err(|e| network(&e))?;
        let status = response.status().as_u16();
        if let Some(e) = Error::from_status(url, status) {
            return Err(e);
        }
        let total = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());

        let mut reader = response.into_body().into_reader();
        let mut bytes = Vec::with_capacity(total.unwrap_or(0).min(1 << 30) as usize);
        let mut chunk = vec![0u8; 1 << 16];
        let mut report = |done: u64| {
            progress(&Progress {
                url: url.to_string(),
                done,
                total,
                cached: false,
            })
        };
        report(0);
        loop {
            match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    bytes.extend_from_slice(&chunk[..n]);
                    report(bytes.len() as u64);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // ureq reports a connection closed before Content-Length as an error.
                Err(e) => {
                    let short = Error::from_length(url, total, bytes.len() as u64);
                    return Err(short.unwrap_or_else(|| network(&e)));
                }
            }
        }
        if let Some(e) = Error::from_length(url, total, bytes.len() as u64) {
            return Err(e);
        }
        Ok(bytes)
    }
}

/// `$HF_ENDPOINT`, else [`DEFAULT_ENDPOINT`](super::DEFAULT_ENDPOINT) (a `--hub-endpoint` flag
/// goes before both).
pub fn endpoint_from_env() -> String {
    std::env::var("HF_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| super::DEFAULT_ENDPOINT.to_string())
}

/// `$HF_TOKEN`, when set and not empty.
pub fn token_from_env() -> Option<String> {
    std::env::var("HF_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
}

/// `$WICK_CACHE`, else `~/.cache/wick`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WICK_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"));
    home.map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".cache")
        .join("wick")
}

/// A cache folder: the key (a URL) becomes a relative path, e.g.
/// `huggingface.co/datasets/nyu-mll/glue/resolve/main/mrpc/train-00000-of-00001.parquet`.
/// Writes go to a temporary file that is renamed into place, so an interrupted download never
/// leaves a partial file that a later run would take for a cached one.
pub struct DirStore {
    pub root: PathBuf,
}

impl DirStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirStore { root: root.into() }
    }

    /// Where `key` lives: scheme dropped, every segment reduced to safe characters, so no key
    /// can escape the root.
    pub fn path(&self, key: &str) -> PathBuf {
        let rest = key.split_once("://").map_or(key, |(_, rest)| rest);
        let mut path = self.root.clone();
        for segment in rest.split('/').filter(|s| !s.is_empty()) {
            let safe: String = segment
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.@".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            path.push(if safe == "." || safe == ".." {
                "_".to_string()
            } else {
                safe
            });
        }
        path
    }
}

impl Store for DirStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(key);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path.display(), e)),
        }
    }

    async fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = self.path(key);
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = path.with_extension(format!("tmp.{}.{n}", std::process::id()));
        std::fs::write(&tmp, bytes).map_err(|e| Error::io(tmp.display(), e))?;
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(path.display(), e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_paths_stay_under_the_root() {
        let store = DirStore::new("/cache");
        assert_eq!(
            store.path("https://huggingface.co/a/b/resolve/main/config.json"),
            PathBuf::from("/cache/huggingface.co/a/b/resolve/main/config.json")
        );
        assert_eq!(
            store.path("http://127.0.0.1:9/x/../../etc/passwd"),
            PathBuf::from("/cache/127.0.0.1_9/x/_/_/etc/passwd")
        );
    }

    #[test]
    fn dir_store_round_trip() {
        let root = tempfile::tempdir().unwrap();
        let store = DirStore::new(root.path());
        let key = "http://h/a/resolve/main/f.bin";
        pollster::block_on(async {
            assert_eq!(store.get(key).await.unwrap(), None);
            store.put(key, b"abc").await.unwrap();
            assert_eq!(store.get(key).await.unwrap(), Some(b"abc".to_vec()));
            store.put(key, b"abcd").await.unwrap();
            assert_eq!(store.get(key).await.unwrap(), Some(b"abcd".to_vec()));
        });
        let leftovers: Vec<_> = std::fs::read_dir(store.path(key).parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("f.bin")]);
    }
}
