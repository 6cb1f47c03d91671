//! `wick hub serve DIR`: a local folder served with the Hub's URL paths, for classrooms,
//! offline use and the browser tests.
//!
//! - `/{repo}/resolve/{revision}/{path}` and `/datasets/{repo}/resolve/{revision}/{path}`
//!   read `DIR/{the URL path}` when that file exists (a folder that mirrors the URLs), else
//!   `DIR/{repo}/{path}` or `DIR/datasets/{repo}/{path}` (a folder of downloaded repos; the
//!   revision is ignored).
//! - `/api/...`: the repo info and folder listings Python's `datasets` and `transformers` ask
//!   for first (`hub_api`), so an exported project runs against this server too;
//! - GET, HEAD and single `Range: bytes=` requests; CORS for any origin (with preflight);
//!   `Cross-Origin-Resource-Policy: cross-origin` so a cross-origin isolated page may load it.
//! - `--app DIST` also serves the built web app at `/` with the COOP/COEP headers that make
//!   the page cross-origin isolated, so one command serves both.
//!
//! Plain std: one thread per connection, `Connection: close`.

use crate::common::GlobalArgs;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use wick_engine::{Error, Result};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: HubCommand,
}

#[derive(clap::Subcommand)]
pub enum HubCommand {
    /// Serve a folder with the Hub's URL paths (CORS, HEAD, Range).
    Serve(ServeArgs),
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The folder: repos as `owner/name/...` and `datasets/owner/name/...`, or the Hub's
    /// URL paths (`owner/name/resolve/main/...`).
    pub dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port; 0 picks a free one (the first line printed says which).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,
    /// Also serve this folder (Trunk's `dist/`) at `/`, cross-origin isolated.
    #[arg(long)]
    pub app: Option<PathBuf>,
}

pub fn run(_global: &GlobalArgs, args: Args) -> Result<()> {
    let HubCommand::Serve(args) = args.command;
    let server = Server::bind(&format!("{}:{}", args.host, args.port), args.dir, args.app)?;
    let addr = server
        .listener
        .local_addr()
        .map_err(|e| Error::io("socket", e))?;
    println!("serving {} at http://{addr}", server.root.display());
    if let Some(app) = &server.app {
        println!(
            "the app ({}) at http://{addr}/?hub=http://{addr}",
            app.display()
        );
    }
    let _ = std::io::stdout().flush();
    server.serve();
    Ok(())
}

/// The listening server.
pub struct Server {
    pub listener: TcpListener,
    root: PathBuf,
    app: Option<PathBuf>,
}

impl Server {
    pub fn bind(addr: &str, root: PathBuf, app: Option<PathBuf>) -> Result<Server> {
        for dir in std::iter::once(&root).chain(app.as_ref()) {
            if !dir.is_dir() {
                return Err(Error::io(dir.display(), "not a folder"));
            }
        }
        let listener = TcpListener::bind(addr).map_err(|e| Error::io(addr, e))?;
        Ok(Server {
            listener,
            root,
            app,
        })
    }

    /// Accept connections forever, one thread each.
    pub fn serve(self) {
        let root = std::sync::Arc::new((self.root, self.app));
        for stream in self.listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || {
                if let Err(e) = handle(stream, &root.0, root.1.as_deref()) {
                    eprintln!("wick hub serve: {e}");
                }
            });
        }
    }
}

/// A parsed request line and the headers we use.
struct Request {
    method: String,
    path: String,
    query: String,
    range: Option<String>,
}

fn read_request(stream: &TcpStream) -> std::io::Result<Option<Request>> {
    let mut reader = BufReader::new(stream.take(64 * 1024));
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Ok(None);
    };
    let target = target.split('#').next().unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (path, query) = (path.to_string(), query.to_string());
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("range") {
                range = Some(value.trim().to_string());
            }
        }
    }
    Ok(Some(Request {
        method: method.to_string(),
        path,
        query,
        range,
    }))
}

fn handle(mut stream: TcpStream, root: &Path, app: Option<&Path>) -> std::io::Result<()> {
    let Some(req) = read_request(&stream)? else {
        return Ok(());
    };
    let head = req.method == "HEAD";
    match req.method.as_str() {
        "OPTIONS" => return respond(&mut stream, 204, "No Content", &[], &[], false),
        "GET" | "HEAD" => {}
        _ => {
            return respond(
                &mut stream,
                405,
                "Method Not Allowed",
                &[],
                b"GET, HEAD or OPTIONS\n",
                head,
            )
        }
    }
    let Some(path) = percent_decode(&req.path) else {
        return respond(
            &mut stream,
            400,
            "Bad Request",
            &[],
            b"bad percent-encoding\n",
            head,
        );
    };
    if let Some(reply) = crate::hub_api::respond(root, &path, &req.query) {
        let reason = if reply.status == 200 {
            "OK"
        } else {
            "Not Found"
        };
        let headers = [("Content-Type", "application/json".to_string())];
        return respond(
            &mut stream,
            reply.status,
            reason,
            &headers,
            &reply.body,
            head,
        );
    }
    let (file, isolated) = match (hub_file(root, &path), app) {
        (Some(file), _) => (Some(file), false),
        (None, Some(app)) if !path.contains("/resolve/") => (app_file(app, &path), true),
        _ => (None, false),
    };
    let Some(file) = file else {
        let hdr = [("X-Error-Code", "EntryNotFound".to_string())];
        return respond(
            &mut stream,
            404,
            "Not Found",
            &hdr,
            format!("{path}: not found\n").as_bytes(),
            head,
        );
    };
    send_file(&mut stream, &file, req.range.as_deref(), head, isolated)
}

/// The file behind a Hub URL path, if any: the URL's own path, else the file in the repo's
/// folder, else in its `resolve/main` (a URL-mirroring folder asked at another revision, such
/// as the commit the API names).
pub fn hub_file(root: &Path, url_path: &str) -> Option<PathBuf> {
    let rel = safe_relative(url_path)?;
    let (repo, rest) = rel.split_once("/resolve/")?;
    let (_revision, file) = rest.split_once('/')?;
    let repo = root.join(repo);
    [
        root.join(&rel),
        repo.join(file),
        repo.join("resolve/main").join(file),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// A file of the web app: `/` is `index.html`.
fn app_file(app: &Path, url_path: &str) -> Option<PathBuf> {
    let rel = safe_relative(url_path)?;
    let rel = if rel.is_empty() {
        "index.html".to_string()
    } else {
        rel
    };
    Some(app.join(rel)).filter(|p| p.is_file())
}

/// `/a/b/c` as `a/b/c`, refusing `..` and anything that leaves the folder.
fn safe_relative(url_path: &str) -> Option<String> {
    let rel = url_path.trim_start_matches('/');
    let ok = Path::new(rel)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    ok.then(|| rel.to_string())
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A single byte range of a `len`-byte file as `(first, last)` inclusive. `Ok(None)`: no
/// (usable) range, send the whole file; `Err(())`: unsatisfiable (416).
pub fn parse_range(header: &str, len: u64) -> std::result::Result<Option<(u64, u64)>, ()> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None); // multiple ranges: the whole file is a valid answer
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(first), Ok(last)) if first <= last => (first, last.min(len.saturating_sub(1))),
        (Ok(first), Err(_)) if b.is_empty() => (first, len.saturating_sub(1)),
        (Err(_), Ok(suffix)) if a.is_empty() && suffix > 0 => {
            (len.saturating_sub(suffix), len.saturating_sub(1))
        }
        _ => return Ok(None),
    };
    if range.0 >= len {
        return Err(());
    }
    Ok(Some(range))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "json" => "application/json",
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" | "md" | "tsv" | "csv" | "jsonl" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn send_file(
    stream: &mut TcpStream,
    path: &Path,
    range: Option<&str>,
    head: bool,
    isolated: bool,
) -> std::io::Result<()> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    let len = meta.len();
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let mut headers = vec![
        ("Content-Type", content_type(path).to_string()),
        ("ETag", format!("\"{len:x}-{mtime:x}\"")),
        ("Accept-Ranges", "bytes".to_string()),
        // Python's huggingface_hub needs the commit of what it downloads.
        ("X-Repo-Commit", crate::hub_api::COMMIT.to_string()),
    ];
    if isolated {
        headers.push(("Cross-Origin-Opener-Policy", "same-origin".into()));
        headers.push(("Cross-Origin-Embedder-Policy", "require-corp".into()));
        headers.push(("Cache-Control", "no-cache".into()));
    }
    let (status, reason, first, count) = match range.map(|r| parse_range(r, len)) {
        Some(Err(())) => {
            headers.push(("Content-Range", format!("bytes */{len}")));
            return respond(stream, 416, "Range Not Satisfiable", &headers, &[], head);
        }
        Some(Ok(Some((first, last)))) => {
            headers.push(("Content-Range", format!("bytes {first}-{last}/{len}")));
            (206, "Partial Content", first, last - first + 1)
        }
        _ => (200, "OK", 0, len),
    };
    write_head(stream, status, reason, &headers, count)?;
    if !head {
        use std::io::Seek;
        file.seek(std::io::SeekFrom::Start(first))?;
        std::io::copy(&mut file.take(count), stream)?;
    }
    stream.flush()
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    reason: &str,
    headers: &[(&str, String)],
    body: &[u8],
    head: bool,
) -> std::io::Result<()> {
    write_head(stream, status, reason, headers, body.len() as u64)?;
    if !head {
        stream.write_all(body)?;
    }
    stream.flush()
}

fn write_head(
    stream: &mut TcpStream,
    status: u16,
    reason: &str,
    headers: &[(&str, String)],
    len: u64,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\n\
         Content-Length: {len}\r\n\
         Connection: close\r\n\
         Access-Control-Allow-Origin: *\r\n\
         Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n\
         Access-Control-Allow-Headers: Authorization, Range, Content-Type\r\n\
         Access-Control-Expose-Headers: Content-Length, Content-Range, Accept-Ranges, ETag, X-Error-Code\r\n\
         Cross-Origin-Resource-Policy: cross-origin\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder of its own for each test (two tests once shared one named after the process
    /// id, and each deleted it as it started), removed when dropped.
    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in [
            ("acme/tiny/config.json", "{\"a\": 1}"),
            (
                "datasets/nyu-mll/glue/resolve/main/mrpc/train.parquet",
                "0123456789",
            ),
            ("app/index.html", "<html></html>"),
        ] {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-3", 10), Ok(Some((0, 3))));
        assert_eq!(parse_range("bytes=5-", 10), Ok(Some((5, 9))));
        assert_eq!(parse_range("bytes=-4", 10), Ok(Some((6, 9))));
        assert_eq!(parse_range("bytes=8-100", 10), Ok(Some((8, 9))));
        assert_eq!(parse_range("bytes=10-12", 10), Err(()));
        assert_eq!(parse_range("bytes=0-1,4-5", 10), Ok(None));
        assert_eq!(parse_range("items=0-1", 10), Ok(None));
        assert_eq!(parse_range("bytes=4-2", 10), Ok(None));
    }

    #[test]
    fn paths_map_to_both_layouts_and_never_escape() {
        let tmp = folder();
        let dir = tmp.path().to_path_buf();
        assert_eq!(
            hub_file(&dir, "/acme/tiny/resolve/main/config.json"),
            Some(dir.join("acme/tiny/config.json"))
        );
        assert_eq!(
            hub_file(
                &dir,
                "/datasets/nyu-mll/glue/resolve/main/mrpc/train.parquet"
            ),
            Some(dir.join("datasets/nyu-mll/glue/resolve/main/mrpc/train.parquet"))
        );
        assert_eq!(hub_file(&dir, "/acme/tiny/resolve/main/missing.json"), None);
        assert_eq!(
            hub_file(&dir, "/acme/tiny/resolve/main/../../../etc/passwd"),
            None
        );
        assert_eq!(hub_file(&dir, "/acme/tiny/config.json"), None);
        assert_eq!(percent_decode("/a%20b%2Fc").as_deref(), Some("/a b/c"));
        assert_eq!(percent_decode("/a%2"), None);
    }

    /// One raw HTTP exchange with a running server: (status line, headers, body).
    fn exchange(addr: std::net::SocketAddr, request: &str) -> (String, String, Vec<u8>) {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(raw[..split].to_vec()).unwrap();
        let (status, headers) = head.split_once("\r\n").unwrap();
        (
            status.to_string(),
            headers.to_string(),
            raw[split + 4..].to_vec(),
        )
    }

    #[test]
    fn serves_get_head_range_cors_and_the_app() {
        let tmp = folder();
        let dir = tmp.path().to_path_buf();
        let server = Server::bind("127.0.0.1:0", dir.clone(), Some(dir.join("app"))).unwrap();
        let addr = server.listener.local_addr().unwrap();
        std::thread::spawn(move || server.serve());
        let url = "/datasets/nyu-mll/glue/resolve/main/mrpc/train.parquet";

        let (status, headers, body) =
            exchange(addr, &format!("GET {url} HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(body, b"0123456789");
        assert!(
            headers.contains("Access-Control-Allow-Origin: *"),
            "{headers}"
        );

        let (status, headers, body) = exchange(
            addr,
            &format!("GET {url} HTTP/1.1\r\nRange: bytes=2-4\r\n\r\n"),
        );
        assert_eq!(status, "HTTP/1.1 206 Partial Content");
        assert_eq!(body, b"234");
        assert!(headers.contains("Content-Range: bytes 2-4/10"), "{headers}");

        let (status, headers, body) = exchange(addr, &format!("HEAD {url} HTTP/1.1\r\n\r\n"));
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(
            headers.contains("Content-Length: 10") && body.is_empty(),
            "{headers}"
        );

        let (status, ..) = exchange(
            addr,
            &format!("GET {url} HTTP/1.1\r\nRange: bytes=20-\r\n\r\n"),
        );
        assert_eq!(status, "HTTP/1.1 416 Range Not Satisfiable");

        let (status, ..) = exchange(
            addr,
            "OPTIONS /acme/tiny/resolve/main/config.json HTTP/1.1\r\n\r\n",
        );
        assert_eq!(status, "HTTP/1.1 204 No Content");

        let (status, headers, body) = exchange(
            addr,
            "GET /acme/tiny/resolve/v1.0/config.json HTTP/1.1\r\n\r\n",
        );
        assert_eq!(
            (status.as_str(), body.as_slice()),
            ("HTTP/1.1 200 OK", &b"{\"a\": 1}"[..])
        );
        assert!(
            headers.contains("Content-Type: application/json"),
            "{headers}"
        );

        let (status, headers, _) = exchange(
            addr,
            "GET /acme/tiny/resolve/main/nope.json HTTP/1.1\r\n\r\n",
        );
        assert_eq!(status, "HTTP/1.1 404 Not Found");
        assert!(headers.contains("X-Error-Code: EntryNotFound"), "{headers}");

        let (status, headers, body) = exchange(addr, "GET /?hub=x HTTP/1.1\r\n\r\n");
        assert_eq!(
            (status.as_str(), body.as_slice()),
            ("HTTP/1.1 200 OK", &b"<html></html>"[..])
        );
        assert!(
            headers.contains("Cross-Origin-Embedder-Policy: require-corp"),
            "{headers}"
        );
    }
}
