//! The Hub client against a local HTTP server that serves the Hub's URL paths: downloads,
//! the cache (a second request never reaches the server), 404, 401, 500, truncated bodies,
//! tokens, and whole data sets and models loaded through it.

mod data_support;
use data_support::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use wick_engine::data::load_dataset;
use wick_engine::hub::{DirStore, Hub, ModelFiles, Progress, RepoKind, Source, UreqFetch};
use wick_engine::Error;

#[derive(Clone)]
enum Reply {
    Ok(Vec<u8>),
    Status(u16),
    /// Claims `claimed` bytes in Content-Length, sends `body`, closes.
    Truncated {
        claimed: usize,
        body: Vec<u8>,
    },
    /// 200 only with `Authorization: Bearer {token}`, else 401.
    Gated {
        token: String,
        body: Vec<u8>,
    },
}

/// A one-thread HTTP/1.1 server on 127.0.0.1; records every request path.
struct Server {
    endpoint: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(routes: Vec<(String, Reply)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let routes: HashMap<String, Reply> = routes.into_iter().collect();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .to_string();
                let mut auth = None;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = header.split_once(':') {
                        if name.eq_ignore_ascii_case("authorization") {
                            auth = Some(value.trim().to_string());
                        }
                    }
                }
                log.lock().unwrap().push(path.clone());
                let (status, claimed, body) = match routes.get(&path) {
                    Some(Reply::Ok(body)) => (200, body.len(), body.clone()),
                    Some(Reply::Status(s)) => (*s, 0, vec![]),
                    Some(Reply::Truncated { claimed, body }) => (200, *claimed, body.clone()),
                    Some(Reply::Gated { token, body })
                        if auth == Some(format!("Bearer {token}")) =>
                    {
                        (200, body.len(), body.clone())
                    }
                    Some(Reply::Gated { .. }) => (401, 0, vec![]),
                    None => (404, 0, vec![]),
                };
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {claimed}\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        Server { endpoint, requests }
    }

    fn hits(&self, path: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
}

/// A hub on `server` with a cache folder of its own (removed when the folder is dropped).
fn hub(server: &Server, token: Option<&str>) -> (Hub<UreqFetch, DirStore>, tempfile::TempDir) {
    let cache = temp_dir();
    let store = DirStore::new(cache.path());
    let hub = Hub::new(
        UreqFetch::new(),
        store,
        &server.endpoint,
        token.map(str::to_string),
    );
    (hub, cache)
}

const CONFIG: &str = "/org/model/resolve/main/config.json";

#[test]
fn second_download_comes_from_the_cache() {
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let server = Server::start(vec![(CONFIG.into(), Reply::Ok(body.clone()))]);
    let (hub, _cache) = hub(&server, None);
    let repo = hub.repo("org/model", RepoKind::Model).unwrap();
    let mut events: Vec<Progress> = Vec::new();
    let got = pollster::block_on(hub.file(&repo, "config.json", &mut |p| events.push(p.clone())))
        .unwrap();
    assert_eq!(got, body);
    let last = events.last().unwrap();
    assert_eq!(
        (last.done, last.total, last.cached),
        (200_000, Some(200_000), false)
    );
    assert!(events.len() > 2, "progress is reported while bytes arrive");
    assert!(events.windows(2).all(|w| w[0].done <= w[1].done));

    events.clear();
    let again = pollster::block_on(hub.file(&repo, "config.json", &mut |p| events.push(p.clone())))
        .unwrap();
    assert_eq!(again, body);
    assert_eq!(
        server.hits(CONFIG),
        1,
        "the second call must not reach the server"
    );
    assert!(events.iter().all(|p| p.cached));
    assert!(hub.store.path(&repo.url("config.json")).is_file());
}

#[test]
fn not_found_gated_and_server_errors_name_the_url() {
    let server = Server::start(vec![
        (
            "/org/model/resolve/main/secret.bin".into(),
            Reply::Status(401),
        ),
        (
            "/org/model/resolve/main/forbidden.bin".into(),
            Reply::Status(403),
        ),
        (
            "/org/model/resolve/main/broken.bin".into(),
            Reply::Status(500),
        ),
    ]);
    let (hub, _cache) = hub(&server, None);
    let repo = hub.repo("org/model", RepoKind::Model).unwrap();
    let get = |path: &str| pollster::block_on(hub.file(&repo, path, &mut |_| {})).unwrap_err();
    let url = |path: &str| format!("{}/org/model/resolve/main/{path}", server.endpoint);

    match get("missing.json") {
        Error::NotFound { url: u } => assert_eq!(u, url("missing.json")),
        other => panic!("{other}"),
    }
    match get("secret.bin") {
        Error::Gated {
            url: u,
            status: 401,
        } => assert_eq!(u, url("secret.bin")),
        other => panic!("{other}"),
    }
    assert!(matches!(
        get("forbidden.bin"),
        Error::Gated { status: 403, .. }
    ));
    match get("broken.bin") {
        Error::Http {
            url: u,
            status: 500,
        } => assert_eq!(u, url("broken.bin")),
        other => panic!("{other}"),
    }
    // Failures are not cached: asking again asks the server again.
    get("missing.json");
    assert_eq!(server.hits("/org/model/resolve/main/missing.json"), 2);
}

#[test]
fn truncated_body_is_an_error_and_is_not_cached() {
    let path = "/datasets/org/data/resolve/main/train.csv";
    let server = Server::start(vec![(
        path.into(),
        Reply::Truncated {
            claimed: 1000,
            body: vec![b'x'; 10],
        },
    )]);
    let (hub, _cache) = hub(&server, None);
    let repo = hub.repo("org/data", RepoKind::Dataset).unwrap();
    for _ in 0..2 {
        match pollster::block_on(hub.file(&repo, "train.csv", &mut |_| {})).unwrap_err() {
            Error::Truncated {
                url,
                expected: 1000,
                got,
            } => {
                assert_eq!(url, format!("{}{path}", server.endpoint));
                assert!(got <= 10, "got {got}");
            }
            other => panic!("{other}"),
        }
    }
    assert_eq!(server.hits(path), 2);
    assert!(!hub.store.path(&repo.url("train.csv")).exists());
}

#[test]
fn token_is_sent_as_bearer() {
    let server = Server::start(vec![(
        CONFIG.into(),
        Reply::Gated {
            token: "hf_secret".into(),
            body: b"{}".to_vec(),
        },
    )]);
    let (anonymous, _cache) = hub(&server, None);
    let repo = anonymous.repo("org/model", RepoKind::Model).unwrap();
    let err = pollster::block_on(anonymous.file(&repo, "config.json", &mut |_| {})).unwrap_err();
    assert!(err.to_string().contains("set a Hub token"), "{err}");
    let (with_token, _cache) = hub(&server, Some("hf_secret"));
    let got = pollster::block_on(with_token.file(&repo, "config.json", &mut |_| {})).unwrap();
    assert_eq!(got, b"{}");
}

#[test]
fn unreachable_endpoint_is_a_network_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cache = temp_dir();
    let store = DirStore::new(cache.path());
    let hub = Hub::new(
        UreqFetch::new(),
        store,
        &format!("http://127.0.0.1:{port}"),
        None,
    );
    let repo = hub.repo("org/model", RepoKind::Model).unwrap();
    match pollster::block_on(hub.file(&repo, "config.json", &mut |_| {})).unwrap_err() {
        Error::Network { url, .. } => assert!(
            url.ends_with("/org/model/resolve/main/config.json"),
            "{url}"
        ),
        other => panic!("{other}"),
    }
}

#[test]
fn glue_mrpc_from_the_hub_paths() {
    let base = "/datasets/nyu-mll/glue/resolve/main/mrpc";
    let server = Server::start(vec![
        (
            format!("{base}/train-00000-of-00001.parquet"),
            Reply::Ok(mrpc_parquet(&[1, 0, 1, 1])),
        ),
        (
            format!("{base}/validation-00000-of-00001.parquet"),
            Reply::Ok(mrpc_parquet(&[0, 1])),
        ),
        (
            format!("{base}/test-00000-of-00001.parquet"),
            Reply::Ok(mrpc_parquet(&[-1, -1, -1])),
        ),
    ]);
    let (hub, _cache) = hub(&server, None);
    let mut urls = Vec::new();
    let dict = pollster::block_on(load_dataset(&hub, "glue/mrpc", &mut |p| {
        urls.push(p.url.clone())
    }))
    .unwrap();
    assert_eq!(dict.split_names(), ["train", "validation", "test"]);
    let rows: Vec<usize> = dict.splits.iter().map(|(_, d)| d.num_rows()).collect();
    assert_eq!(rows, [4, 2, 3]);
    assert_eq!(
        dict.label_names().unwrap(),
        ["not_equivalent", "equivalent"]
    );
    assert_eq!(dict.glue_task().unwrap().metrics, ["accuracy", "f1"]);
    assert!(urls
        .iter()
        .any(|u| u.ends_with("mrpc/validation-00000-of-00001.parquet")));

    // Loaded again: all from the cache.
    pollster::block_on(load_dataset(&hub, "glue/mrpc", &mut |_| {})).unwrap();
    assert_eq!(server.requests.lock().unwrap().len(), 3);

    let err = pollster::block_on(load_dataset(&hub, "glue/mnli", &mut |_| {})).unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { url } if url.ends_with("mnli/train-00000-of-00001.parquet")),
        "{err}"
    );
    let err = pollster::block_on(load_dataset(&hub, "glue/nope", &mut |_| {})).unwrap_err();
    assert!(
        err.to_string().contains("unknown GLUE task `nope`"),
        "{err}"
    );
}

#[test]
fn other_hub_datasets_use_the_data_folder_layout() {
    let base = "/datasets/me/reviews/resolve/main/data";
    let csv_like = write_parquet(
        &[
            ("text", strs(&["good", "bad"])),
            ("label", Col::I64(vec![1, 0])),
        ],
        None,
    );
    let config = "/datasets/me/reviews/resolve/main/mrpc";
    let server = Server::start(vec![
        (
            format!("{base}/train-00000-of-00001.parquet"),
            Reply::Ok(csv_like.clone()),
        ),
        (
            format!("{config}/train-00000-of-00001.parquet"),
            Reply::Ok(csv_like.clone()),
        ),
        (
            format!("{config}/test-00000-of-00001.parquet"),
            Reply::Ok(csv_like),
        ),
    ]);
    let (hub, _cache) = hub(&server, None);
    let dict = pollster::block_on(load_dataset(&hub, "me/reviews", &mut |_| {})).unwrap();
    assert_eq!(dict.split_names(), ["train"]);
    assert_eq!(dict.num_labels(), Some(2));
    assert_eq!(dict.train().unwrap().text_columns(), ["text"]);
    // Missing validation/test files were asked for once each, and are not errors.
    assert_eq!(
        server.hits(&format!("{base}/validation-00000-of-00001.parquet")),
        1
    );

    // A config is a folder of the repo, even one named like a GLUE task.
    let dict = pollster::block_on(load_dataset(&hub, "me/reviews/mrpc", &mut |_| {})).unwrap();
    assert_eq!(dict.split_names(), ["train", "test"]);
    assert_eq!(dict.task, None);
}

#[test]
fn model_files_from_the_hub_or_a_folder() {
    let base = "/org/bert/resolve/main";
    let server = Server::start(vec![
        (
            format!("{base}/config.json"),
            Reply::Ok(br#"{"model_type":"bert"}"#.to_vec()),
        ),
        (
            format!("{base}/tokenizer.json"),
            Reply::Ok(b"{\"tok\":1}".to_vec()),
        ),
        (format!("{base}/model.safetensors"), Reply::Ok(vec![7; 64])),
    ]);
    let (hub, _cache) = hub(&server, None);
    let source = Source::parse("org/bert", RepoKind::Model, &hub.endpoint).unwrap();
    let files = pollster::block_on(ModelFiles::load(&hub, &source, &mut |_| {})).unwrap();
    assert_eq!(files.config_json, r#"{"model_type":"bert"}"#);
    assert_eq!(files.tokenizer_json, "{\"tok\":1}");
    assert_eq!(files.weights, vec![7; 64]);
    assert_eq!(
        files.tokenizer_config_json, None,
        "404 on an optional file is None"
    );
    assert!(!files.tokenizer_from_vocab);

    // An older repo: vocab.txt and no tokenizer.json (a 404), the tokenizer built from it.
    let old = "/org/old-bert/resolve/main";
    let server = Server::start(vec![
        (
            format!("{old}/config.json"),
            Reply::Ok(br#"{"model_type":"bert","max_position_embeddings":512}"#.to_vec()),
        ),
        (
            format!("{old}/tokenizer_config.json"),
            Reply::Ok(br#"{"do_lower_case": false}"#.to_vec()),
        ),
        (
            format!("{old}/vocab.txt"),
            Reply::Ok(b"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nHello\n".to_vec()),
        ),
        (format!("{old}/model.safetensors"), Reply::Ok(vec![7; 64])),
    ]);
    let (old_hub, _old_cache) = crate::hub(&server, None);
    let source = Source::parse("org/old-bert", RepoKind::Model, &old_hub.endpoint).unwrap();
    let files = pollster::block_on(ModelFiles::load(&old_hub, &source, &mut |_| {})).unwrap();
    assert!(files.tokenizer_from_vocab);
    let tokenizer = wick_engine::tokenize::Tokenizer::from_model_files(
        files.tokenizer_json.as_bytes(),
        files.config_json.as_bytes(),
        files.tokenizer_config_json.as_deref().map(str::as_bytes),
    )
    .unwrap();
    assert_eq!(
        tokenizer.encode("Hello", None).unwrap().input_ids,
        [2, 5, 3]
    );

    let tmp = temp_dir();
    let dir = tmp.path().to_path_buf();
    std::fs::write(dir.join("config.json"), "{}").unwrap();
    std::fs::write(dir.join("tokenizer.json"), "{}").unwrap();
    std::fs::write(
        dir.join("tokenizer_config.json"),
        "{\"model_max_length\":512}",
    )
    .unwrap();
    std::fs::write(dir.join("model.safetensors"), [1, 2, 3]).unwrap();
    for spec in [dir.clone(), dir.join("model.safetensors")] {
        let source = Source::parse(spec.to_str().unwrap(), RepoKind::Model, &hub.endpoint).unwrap();
        let files = pollster::block_on(ModelFiles::load(&hub, &source, &mut |_| {})).unwrap();
        assert_eq!(files.weights, [1, 2, 3]);
        assert_eq!(
            files.tokenizer_config_json.as_deref(),
            Some("{\"model_max_length\":512}")
        );
    }
    std::fs::remove_file(dir.join("model.safetensors")).unwrap();
    let source = Source::Local(dir.clone());
    let err = pollster::block_on(ModelFiles::load(&hub, &source, &mut |_| {})).unwrap_err();
    assert!(
        matches!(&err, Error::Io { path, .. } if path.ends_with("model.safetensors")),
        "{err}"
    );
}
