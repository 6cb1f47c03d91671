//! The browser's I/O for the engine: `fetch` with progress and the Cache API store, files the
//! user picked, and yielding to the event loop.

pub mod fetch;

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A message between the page and the worker: the typed command or event as JSON (`msg`), and
/// the `File`s or `Blob`s that travel beside it by structured clone (`attachments`).
pub fn envelope(json: String, attachments: impl IntoIterator<Item = JsValue>) -> Object {
    let env = Object::new();
    let _ = Reflect::set(&env, &"msg".into(), &json.into());
    let list: Array = attachments.into_iter().collect();
    let _ = Reflect::set(&env, &"attachments".into(), &list);
    env
}

/// The message of an `envelope`, and its attachments of type `A`.
pub fn open_envelope<T: DeserializeOwned, A: JsCast>(
    data: &JsValue,
) -> Result<(T, Vec<A>), String> {
    let msg = Reflect::get(data, &"msg".into())
        .ok()
        .and_then(|m| m.as_string())
        .ok_or("a message without `msg`")?;
    let message = serde_json::from_str(&msg).map_err(|e| format!("{e}: {msg:.200}"))?;
    let attachments = Reflect::get(data, &"attachments".into())
        .ok()
        .filter(Array::is_array)
        .map(|list| {
            Array::from(&list)
                .iter()
                .filter_map(|x| x.dyn_into::<A>().ok())
                .collect()
        })
        .unwrap_or_default();
    Ok((message, attachments))
}

/// A JS exception as text.
pub fn js_error(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    if let Some(dom) = e.dyn_ref::<web_sys::DomException>() {
        return format!("{}: {}", dom.name(), dom.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// Let the event loop run (messages such as Pause and Stop arrive between training steps).
pub async fn yield_now() {
    sleep_ms(0).await;
}

/// Wait `ms` milliseconds without blocking the worker (a paused run polls its flag).
pub async fn sleep_ms(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        let global = js_sys::global().unchecked_into::<web_sys::WorkerGlobalScope>();
        let _ = global.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

/// The bytes of a `File` the user picked (a `Blob`).
pub async fn read_file(file: &web_sys::Blob) -> Result<Vec<u8>, String> {
    let buf = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| js_error(&e))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// Wrap bytes in a `Blob` (for downloads).
pub fn blob(bytes: &[u8], mime: &str) -> Result<web_sys::Blob, String> {
    let array = Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(|e| js_error(&e))
}
