//! The engine's I/O traits in the browser: [`WebFetch`] (`fetch`, read chunk by chunk for
//! progress) and [`CacheStore`] (the Cache API, keyed by URL as transformers.js does, so a
//! reload does not download the checkpoint again). Work in a worker and on the main thread.

use super::js_error;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, Headers, ReadableStreamDefaultReader, Request, RequestInit, Response};
use wick_engine::hub::{Fetch, Progress, Store};
use wick_engine::{Error, Result};

/// The Cache API store's name; bump the suffix to drop old entries after a format change.
pub const CACHE_NAME: &str = "wick-hub-v1";

/// Report progress every this many bytes: a smooth bar, few messages.
const REPORT_EVERY: u64 = 1 << 18;

/// Downloads with the browser's `fetch`.
#[derive(Default)]
pub struct WebFetch;

impl Fetch for WebFetch {
    async fn get(
        &self,
        url: &str,
        token: Option<&str>,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Vec<u8>> {
        let net = |cause: String| Error::Network {
            url: url.to_string(),
            cause,
        };
        let init = RequestInit::new();
        init.set_method("GET");
        if let Some(token) = token {
            let headers = Headers::new().map_err(|e| net(js_error(&e)))?;
            headers
                .set("Authorization", &format!("Bearer {token}"))
                .map_err(|e| net(js_error(&e)))?;
            init.set_headers(&headers);
        }
        let req = Request::new_with_str_and_init(url, &init).map_err(|e| net(js_error(&e)))?;
        // CORS refusals, unreachable hosts and offline pages all land here: the browser hides
        // which (on purpose), so say what to check.
        let resp = JsFuture::from(global_fetch(&req)).await.map_err(|e| {
            net(format!(
                "{} (is the Hub endpoint right and reachable, and does it allow CORS?)",
                js_error(&e)
            ))
        })?;
        let resp: Response = resp.dyn_into().map_err(|_| net("not a Response".into()))?;
        if let Some(e) = Error::from_status(url, resp.status()) {
            return Err(e);
        }
        let total = resp
            .headers()
            .get("Content-Length")
            .ok()
            .flatten()
            .and_then(|v| v.parse::<u64>().ok());
        let mut report = |done: u64| {
            progress(&Progress {
                url: url.to_string(),
                done,
                total,
                cached: false,
            })
        };
        report(0);
        let bytes = read_body(&resp, total, &mut report).await.map_err(net)?;
        if let Some(e) = Error::from_length(url, total, bytes.len() as u64) {
            return Err(e);
        }
        report(bytes.len() as u64);
        Ok(bytes)
    }
}

/// The Cache API. Where there is none (a page on plain http other than localhost), every
/// lookup misses and nothing is kept.
#[derive(Default)]
pub struct CacheStore;

impl Store for CacheStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let Some(cache) = open_cache().await else {
            return Ok(None);
        };
        let Ok(hit) = JsFuture::from(cache.match_with_str(key)).await else {
            return Ok(None);
        };
        let Ok(resp) = hit.dyn_into::<Response>() else {
            return Ok(None);
        };
        // A broken entry is a miss: the file is downloaded again.
        Ok(read_body(&resp, None, &mut |_| {}).await.ok())
    }

    async fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let Some(cache) = open_cache().await else {
            return Ok(());
        };
        let array = Uint8Array::from(bytes);
        let Ok(resp) = Response::new_with_opt_buffer_source(Some(&array)) else {
            return Ok(());
        };
        // A full quota only costs the next visit a download: warn, do not fail the load.
        if let Err(e) = JsFuture::from(cache.put_with_str(key, &resp)).await {
            web_sys::console::warn_1(&format!("not cached: {key}: {}", js_error(&e)).into());
        }
        Ok(())
    }
}

fn caches() -> Option<web_sys::CacheStorage> {
    // `caches` exists in secure contexts (https, localhost) of windows and workers.
    let c = Reflect::get(&js_sys::global(), &"caches".into()).ok()?;
    c.dyn_into::<web_sys::CacheStorage>().ok()
}

async fn open_cache() -> Option<Cache> {
    let promise = caches()?.open(CACHE_NAME);
    JsFuture::from(promise).await.ok()?.dyn_into::<Cache>().ok()
}

fn global_fetch(req: &Request) -> js_sys::Promise {
    let global = js_sys::global();
    match global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        Some(worker) => worker.fetch_with_request(req),
        None => global
            .unchecked_into::<web_sys::Window>()
            .fetch_with_request(req),
    }
}

/// Read a response body chunk by chunk, calling `on_bytes` every `REPORT_EVERY` bytes.
async fn read_body(
    resp: &Response,
    total: Option<u64>,
    on_bytes: &mut dyn FnMut(u64),
) -> Result<Vec<u8>, String> {
    let Some(body) = resp.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut out = Vec::with_capacity(total.unwrap_or(0).min(1 << 31) as usize);
    let mut reported = 0u64;
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| js_error(&e))?;
        let done = Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(out);
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(|e| js_error(&e))?;
        let array: Uint8Array = value
            .dyn_into()
            .map_err(|_| "a body chunk that is not bytes".to_string())?;
        let at = out.len();
        out.resize(at + array.length() as usize, 0);
        array.copy_to(&mut out[at..]);
        if out.len() as u64 - reported >= REPORT_EVERY {
            reported = out.len() as u64;
            on_bytes(reported);
        }
    }
}

/// Remove every cached download; returns how many there were.
pub async fn clear_cache() -> Result<usize, String> {
    let Some(cache) = open_cache().await else {
        return Ok(0);
    };
    let keys = JsFuture::from(cache.keys())
        .await
        .map_err(|e| js_error(&e))?;
    let n = js_sys::Array::from(&keys).length() as usize;
    let Some(storage) = caches() else {
        return Ok(0);
    };
    JsFuture::from(storage.delete(CACHE_NAME))
        .await
        .map_err(|e| js_error(&e))?;
    Ok(n)
}
