//! The worker: the engine off the main thread. Commands come in as JSON (plus the user's
//! `File`s), events go out as JSON (plus `Blob`s). The first message is `Ready`: anything the
//! page sent before the wasm was up is lost, so the page queues until then.
//!
//! A panic is reported as `Event::Panic` by the panic hook before the instance aborts; the
//! page then starts a new worker. Errors are values and reported as `Event::Error`; the
//! session (model, data, trained weights) survives them.

mod backend;
mod load;
mod pipeline;
mod project;
mod session;
mod training;
mod views;

use crate::protocol::Event;
use crate::web::{envelope, js_error, open_envelope};
use session::Session;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent};

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Send an event (with blobs for exported files) to the page.
pub fn post(event: &Event, blobs: &[Blob]) {
    let msg = match serde_json::to_string(event) {
        Ok(m) => m,
        Err(e) => format!(r#"{{"event":"Error","during":"post","message":"{e}"}}"#),
    };
    let env = envelope(msg, blobs.iter().map(JsValue::from));
    if let Err(e) = scope().post_message(&env) {
        web_sys::console::error_1(&format!("postMessage: {}", js_error(&e)).into());
    }
}

/// The worker's `main`.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        post(
            &Event::Panic {
                message: info.to_string(),
            },
            &[],
        );
        console_error_panic_hook::hook(info);
    }));
    let session = Rc::new(Session::default());
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        match open_envelope(&ev.data()) {
            Ok((cmd, files)) => Session::dispatch(&session, cmd, files),
            Err(message) => post(
                &Event::Error {
                    during: "reading a command".into(),
                    message,
                },
                &[],
            ),
        }
    });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    post(&Event::Ready, &[]);
}
