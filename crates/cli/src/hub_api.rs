//! The few Hub API routes Python asks before it downloads, so that `load_dataset("nyu-mll/glue",
//! "mrpc")` and `from_pretrained("owner/name")` work against `wick hub serve` (with `HF_ENDPOINT`
//! pointing at it), as an exported project does:
//!
//! - `GET /api/{models|datasets}/{repo}[/revision/{rev}]`: the repo's commit and files;
//! - `GET /api/{models|datasets}/{repo}/tree/{rev}[/{path}][?recursive=true]`: a folder's files
//!   and subfolders.
//!
//! Every repo is at one made-up commit ([`COMMIT`]), which `resolve` URLs then name as their
//! revision; `huggingface_hub` also reads it from the `X-Repo-Commit` header of a download.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The commit every served repo is at.
pub const COMMIT: &str = "7761636b7761636b7761636b7761636b7761636b";

/// An API answer: status and JSON body.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The answer to an `/api/...` path (`None` for other paths). `query` is the URL's query.
pub fn respond(root: &Path, path: &str, query: &str) -> Option<Reply> {
    let rest = path.strip_prefix("/api/")?;
    let (kind, rest) = rest.split_once('/')?;
    let prefix = match kind {
        "models" => "",
        "datasets" => "datasets/",
        _ => return Some(not_found("RepositoryNotFound")),
    };
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    // `owner/name/...`, or a legacy bare `name/...`.
    let split = match parts.get(1) {
        Some(&("revision" | "tree")) | None => 1,
        _ => 2,
    };
    if parts.len() < split {
        return Some(not_found("RepositoryNotFound"));
    }
    let (id, tail) = parts.split_at(split);
    let id = id.join("/");
    let Some(repo) = repo_folder(root, &format!("{prefix}{id}")) else {
        return Some(not_found("RepositoryNotFound"));
    };
    let files = list(&repo);
    let body = match tail {
        [] | ["revision", ..] => {
            let siblings: Vec<Value> = files.iter().map(|(p, _)| json!({"rfilename": p})).collect();
            json!({
                "id": id, "modelId": id, "sha": COMMIT, "siblings": siblings,
                "private": false, "disabled": false, "gated": false, "tags": [],
                "lastModified": "2024-01-01T00:00:00.000Z",
            })
        }
        ["tree", _revision, folder @ ..] => {
            let recursive = query
                .split('&')
                .any(|kv| kv.eq_ignore_ascii_case("recursive=true"));
            match tree(&files, &folder.join("/"), recursive) {
                Some(entries) => Value::Array(entries),
                None => return Some(not_found("EntryNotFound")),
            }
        }
        _ => return Some(not_found("EntryNotFound")),
    };
    Some(Reply {
        status: 200,
        body: body.to_string().into_bytes(),
    })
}

fn not_found(code: &str) -> Reply {
    Reply {
        status: 404,
        body: json!({"error": code}).to_string().into_bytes(),
    }
}

/// A repo's files: the URL-mirroring folder (`{repo}/resolve/main`) if there is one, else the
/// repo's folder; `None` if neither exists or the id leaves `root`.
fn repo_folder(root: &Path, repo: &str) -> Option<PathBuf> {
    let safe = Path::new(repo)
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !safe {
        return None;
    }
    [root.join(repo).join("resolve/main"), root.join(repo)]
        .into_iter()
        .find(|p| p.is_dir())
}

/// Every file under `dir` as (`/`-separated relative path, size), sorted; hidden ones left out.
fn list(dir: &Path) -> Vec<(String, u64)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, u64)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(&path, &format!("{prefix}{name}/"), out);
            } else if let Ok(meta) = entry.metadata() {
                out.push((format!("{prefix}{name}"), meta.len()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

/// The entries of `folder` ("" for the top) as the Hub lists them: files, and subfolders unless
/// `recursive` (then every file below). `None` when there is no such folder.
fn tree(files: &[(String, u64)], folder: &str, recursive: bool) -> Option<Vec<Value>> {
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let mut out = Vec::new();
    let mut folders: Vec<String> = Vec::new();
    for (path, size) in files.iter().filter(|(p, _)| p.starts_with(&prefix)) {
        match path[prefix.len()..].split_once('/') {
            Some((sub, _)) if !recursive => {
                let sub = format!("{prefix}{sub}");
                if !folders.contains(&sub) {
                    out.push(
                        json!({"type": "directory", "oid": oid(&sub, 0), "size": 0, "path": sub}),
                    );
                    folders.push(sub);
                }
            }
            _ => out
                .push(json!({"type": "file", "oid": oid(path, *size), "size": size, "path": path})),
        }
    }
    (!out.is_empty() || folder.is_empty()).then_some(out)
}

/// A stable 40-hex-digit id for an entry (the Hub's git object id; here only an identity).
fn oid(path: &str, size: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.bytes().chain(size.to_le_bytes()) {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}{:024x}", h.rotate_left(17) as u128)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for path in [
            "acme/tiny/config.json",
            "datasets/nyu-mll/glue/resolve/main/README.md",
            "datasets/nyu-mll/glue/resolve/main/mrpc/train-00000-of-00001.parquet",
            "datasets/nyu-mll/glue/resolve/main/mrpc/validation-00000-of-00001.parquet",
        ] {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "12345").unwrap();
        }
        dir
    }

    fn get(root: &Path, path: &str, query: &str) -> (u16, Value) {
        let r = respond(root, path, query).expect("an API path");
        (r.status, serde_json::from_slice(&r.body).unwrap())
    }

    #[test]
    fn repo_info_names_the_commit_and_the_files() {
        let dir = folder();
        let (status, info) = get(dir.path(), "/api/models/acme/tiny/revision/main", "");
        assert_eq!(status, 200);
        assert_eq!(info["sha"], COMMIT);
        assert_eq!(info["siblings"], json!([{"rfilename": "config.json"}]));
        let (_, info) = get(dir.path(), "/api/datasets/nyu-mll/glue", "");
        assert_eq!(info["siblings"].as_array().unwrap().len(), 3);
        assert_eq!(get(dir.path(), "/api/models/acme/nope", "").0, 404);
        assert_eq!(
            get(dir.path(), "/api/models/../etc/revision/main", "").0,
            404
        );
        assert!(respond(dir.path(), "/acme/tiny/resolve/main/config.json", "").is_none());
    }

    #[test]
    fn trees_list_folders_or_everything_below() {
        let dir = folder();
        let glue = "/api/datasets/nyu-mll/glue/tree/main";
        let (_, top) = get(dir.path(), glue, "recursive=false&expand=false");
        let kinds: Vec<(String, String)> = top
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["type"].as_str().unwrap().into(),
                    e["path"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("file".to_string(), "README.md".to_string()),
                ("directory".into(), "mrpc".into())
            ]
        );
        let (_, mrpc) = get(dir.path(), &format!("{glue}/mrpc"), "recursive=false");
        assert_eq!(mrpc[1]["path"], "mrpc/validation-00000-of-00001.parquet");
        assert_eq!(mrpc[1]["size"], 5);
        let (_, all) = get(dir.path(), glue, "recursive=True");
        assert_eq!(all.as_array().unwrap().len(), 3);
        assert_eq!(get(dir.path(), &format!("{glue}/sst2"), "").0, 404);
    }
}
