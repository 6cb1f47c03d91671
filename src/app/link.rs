//! The page's end of the worker: start it, queue commands until it says `Ready`, turn its
//! messages into `Event`s, and start a fresh worker when one dies (a panic in wasm aborts the
//! instance; the page must live on).
//!
//! Messages travel as `web::envelope`s: a `Command` with the user's `File`s one way, an `Event`
//! with exported `Blob`s the other.

use crate::protocol::{Command, Event};
use crate::web::{envelope, js_error, open_envelope};
use js_sys::Object;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, ErrorEvent, File, MessageEvent, Worker};

/// The loader Trunk writes for the `wick-worker` bin (`data-loader-shim` in index.html).
const WORKER_URL: &str = "./wick-worker_loader.js";

type Handler = Rc<dyn Fn(Event, Vec<Blob>)>;

struct Inner {
    worker: Option<Worker>,
    /// Counts workers started; callbacks of an older worker are ignored.
    generation: u32,
    ready: bool,
    /// Envelopes sent before the worker said `Ready`.
    queue: Vec<Object>,
    on_event: Handler,
    /// The JS callbacks must live as long as the worker.
    callbacks: Vec<JsValue>,
}

/// A cheap handle to the worker, shared by the panels through the context.
#[derive(Clone, Copy)]
pub struct Link(StoredValue<Rc<RefCell<Inner>>, LocalStorage>);

impl Link {
    /// Start the worker; `on_event` receives every event (with its blobs).
    pub fn start(on_event: impl Fn(Event, Vec<Blob>) + 'static) -> Link {
        let inner = Rc::new(RefCell::new(Inner {
            worker: None,
            generation: 0,
            ready: false,
            queue: Vec::new(),
            on_event: Rc::new(on_event),
            callbacks: Vec::new(),
        }));
        spawn(&inner);
        Link(StoredValue::new_local(inner))
    }

    pub fn send(&self, cmd: Command) {
        self.send_with_files(cmd, Vec::new());
    }

    /// Send a command with the user's files (structured-cloned, not copied into JSON).
    pub fn send_with_files(&self, cmd: Command, files: Vec<File>) {
        let msg = match serde_json::to_string(&cmd) {
            Ok(m) => m,
            Err(e) => {
                let handler = self.0.with_value(|i| i.borrow().on_event.clone());
                handler(
                    Event::Error {
                        during: "send".into(),
                        message: e.to_string(),
                    },
                    vec![],
                );
                return;
            }
        };
        let env = envelope(msg, files.into_iter().map(JsValue::from));
        self.0.with_value(|inner| {
            let mut inner = inner.borrow_mut();
            match (&inner.worker, inner.ready) {
                (Some(w), true) => post(w, &env, &inner.on_event),
                _ => inner.queue.push(env),
            }
        });
    }

    /// Throw the current worker away and start a new one.
    pub fn restart(&self) {
        self.0.with_value(spawn);
    }
}

fn post(worker: &Worker, env: &Object, on_event: &Handler) {
    if let Err(e) = worker.post_message(env) {
        on_event(
            Event::Error {
                during: "postMessage".into(),
                message: js_error(&e),
            },
            vec![],
        );
    }
}

/// Create a worker and wire its callbacks to `inner`. A `Panic` event or an error event
/// from the worker starts a new one (the page shows the message).
fn spawn(inner: &Rc<RefCell<Inner>>) {
    let (handler, generation) = {
        let mut i = inner.borrow_mut();
        if let Some(old) = i.worker.take() {
            old.terminate();
        }
        i.ready = false;
        i.callbacks.clear();
        i.generation += 1;
        (i.on_event.clone(), i.generation)
    };
    let current = move |inner: &Rc<RefCell<Inner>>| inner.borrow().generation == generation;
    let worker = match Worker::new(WORKER_URL) {
        Ok(w) => w,
        Err(e) => {
            handler(
                Event::Error {
                    during: "starting the worker".into(),
                    message: js_error(&e),
                },
                vec![],
            );
            return;
        }
    };

    let weak = Rc::downgrade(inner);
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let Some(inner) = weak.upgrade().filter(current) else {
            return;
        };
        let (event, blobs) = match open_envelope(&ev.data()) {
            Ok(x) => x,
            Err(message) => (
                Event::Error {
                    during: "reading a worker message".into(),
                    message,
                },
                vec![],
            ),
        };
        if let Event::Ready = event {
            let mut i = inner.borrow_mut();
            i.ready = true;
            let queue = std::mem::take(&mut i.queue);
            if let Some(w) = &i.worker {
                for env in &queue {
                    post(w, env, &i.on_event);
                }
            }
        }
        let died = matches!(event, Event::Panic { .. });
        let handler = inner.borrow().on_event.clone();
        handler(event, blobs);
        if died {
            spawn(&inner);
        }
    });
    let weak = Rc::downgrade(inner);
    let onerror = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
        // A script error or a wasm trap that the panic hook did not report (a load failure,
        // out of memory): the instance is unusable.
        ev.prevent_default();
        let Some(inner) = weak.upgrade().filter(current) else {
            return;
        };
        let (handler, was_ready) = {
            let i = inner.borrow();
            (i.on_event.clone(), i.ready)
        };
        handler(
            Event::Panic {
                message: format!("worker error: {}", ev.message()),
            },
            vec![],
        );
        // A worker that never got ready would fail again: no restart loop.
        if was_ready {
            spawn(&inner);
        }
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    let mut i = inner.borrow_mut();
    i.callbacks.push(onmessage.into_js_value());
    i.callbacks.push(onerror.into_js_value());
    i.worker = Some(worker);
}
