//! The page: settings, the notice banner, and the panels in the course's order.

pub mod class_link;
pub mod link;
pub mod state;

use crate::panels;
use crate::protocol::Command;
use leptos::prelude::*;
pub use link::Link;
pub use state::AppState;
use wasm_bindgen::prelude::*;

/// The Hub unless the page's link says otherwise (`?hub=http://127.0.0.1:8765`).
pub const DEFAULT_HUB: &str = "https://huggingface.co";

/// Mount the app on `<body>`.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// A URL parameter of the page.
pub fn url_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new(
        DEFAULT_HUB.to_string(),
        url_param("debug").is_some_and(|d| d == "1"),
    );
    let applied = class_link::init(&state, &class_link::page_query());
    for problem in applied.problems {
        state.notify("warn", problem);
    }
    if !applied.set.is_empty() {
        state.notify(
            "info",
            format!(
                "The link set up this page ({}). Nothing is downloaded until you click a Load button.",
                applied.set.join(", ")
            ),
        );
    }
    let link = Link::start(move |event, blobs| state.apply(event, blobs));
    provide_context(state);
    provide_context(link);

    view! {
        <header>
            <h1>"Wick" <span class="sub">" · fine-tune a pretrained model, in your browser"</span></h1>
            <HubSetting/>
            <CopyLink/>
            <WorkerBadge/>
        </header>
        <Notices/>
        <nav>
            <a href="#checkpoint">"1 Checkpoint"</a>
            <a href="#dataset">"2 Dataset"</a>
            <a href="#tokenize">"3 Tokenize"</a>
            <a href="#batches">"4 Batches"</a>
            <a href="#train">"5 Train"</a>
            <a href="#evaluate">"6 Evaluate"</a>
            <a href="#try">"7 Try it"</a>
            <a href="#export">"8 Export"</a>
        </nav>
        <main>
            <panels::checkpoint::Checkpoint/>
            <panels::dataset::Dataset/>
            <panels::tokenize::Tokenize/>
            <panels::batches::Batches/>
            <panels::train::Train/>
            <panels::evaluate::Evaluate/>
            <panels::try_it::TryIt/>
            <panels::export::Export/>
        </main>
    }
}

/// The Hub endpoint and token: a mirror or `wick hub serve` can stand in for the Hub.
#[component]
fn HubSetting() -> impl IntoView {
    let state = expect_context::<AppState>();
    let hub = state.settings.hub;
    let token = state.settings.token;
    view! {
        <div class="hub">
            <label>"Hub "
                <input id="hub-endpoint" type="text" size="28" prop:value=move || hub.get()
                    on:change=move |ev| hub.set(event_target_value(&ev))/>
            </label>
            <label>" token "
                <input id="hub-token" type="password" size="10" placeholder="hf_… (gated repos)"
                    prop:value=move || token.get()
                    on:change=move |ev| token.set(event_target_value(&ev))/>
            </label>
        </div>
    }
}

#[component]
fn WorkerBadge() -> impl IntoView {
    let state = expect_context::<AppState>();
    let link = expect_context::<Link>();
    let ready = state.worker_ready;
    view! {
        <span id="worker-status" class="badge" class:ok=move || ready.get()>
            {move || if ready.get() { "worker ready" } else { "worker starting…" }}
        </span>
        <Show when=move || state.settings.debug>
            <button id="debug-crash" on:click=move |_| link.send(Command::Crash)>"Crash the worker"</button>
        </Show>
    }
}

#[component]
fn Notices() -> impl IntoView {
    let state = expect_context::<AppState>();
    let notices = state.notices;
    view! {
        // A live region: screen readers announce each notice as it comes (errors at once).
        <div id="notices" aria-live="polite">
            <For each=move || notices.get() key=|n| n.id children=move |n| {
                let id = n.id;
                view! {
                    <div class=format!("notice {}", n.kind) role=(n.kind == "error").then_some("alert")>
                        <span class="text">{n.text}</span>
                        <button class="close" title="dismiss" aria-label="Dismiss"
                            on:click=move |_| notices.update(|all| all.retain(|x| x.id != id))>
                            "×"
                        </button>
                    </div>
                }
            }/>
        </div>
    }
}

#[wasm_bindgen]
extern "C" {
    /// `navigator.clipboard.writeText`: throws where the page is not a secure context.
    #[wasm_bindgen(catch, js_namespace = ["navigator", "clipboard"], js_name = writeText)]
    fn write_clipboard(text: &str) -> Result<js_sys::Promise, JsValue>;
}

/// "Copy link": the page's setup as a link (`class_link`), to the clipboard and into a box
/// to copy by hand where the browser has no clipboard for this page (plain http on a LAN).
#[component]
fn CopyLink() -> impl IntoView {
    let state = expect_context::<AppState>();
    let url = RwSignal::new(None::<String>);
    let status = RwSignal::new("");
    let copy = move |_| {
        let link = class_link::link(&state);
        url.set(Some(link.clone()));
        leptos::task::spawn_local(async move {
            let copied = match write_clipboard(&link) {
                Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.is_ok(),
                Err(_) => false,
            };
            if copied {
                status.set("Copied.");
                return;
            }
            status.set("Copy it from the box.");
            // The box, focused, selects its text: Ctrl+C (or a long press) copies it.
            let input = web_sys::window()
                .and_then(|w| w.document()?.get_element_by_id("class-link"))
                .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok());
            if let Some(input) = input {
                let _ = input.focus();
            }
        });
    };
    view! {
        <div class="share">
            <button id="copy-link" title="A link that opens this page with the same checkpoint, data and training arguments"
                on:click=copy>"Copy link"</button>
            <Show when=move || url.with(Option::is_some)>
                <label>"Class link "
                    <input id="class-link" type="text" size="24" readonly=true
                        prop:value=move || url.get().unwrap_or_default()
                        on:focus=move |ev| {
                            if let Some(i) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                i.select();
                            }
                        }/>
                </label>
            </Show>
            <span id="copy-status" role="status">{move || status.get()}</span>
        </div>
    }
}
