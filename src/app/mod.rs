//! The page: settings, the notice banner, and the panels in the course's order.

pub mod link;
pub mod state;

use crate::panels;
use crate::protocol::Command;
use leptos::prelude::*;
pub use link::Link;
pub use state::AppState;

/// The Hub unless the page says otherwise (`?hub=http://127.0.0.1:8765`).
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
        url_param("hub").unwrap_or_else(|| DEFAULT_HUB.to_string()),
        url_param("debug").is_some_and(|d| d == "1"),
    );
    let link = Link::start(move |event, blobs| state.apply(event, blobs));
    provide_context(state);
    provide_context(link);

    view! {
        <header>
            <h1>"Wick" <span class="sub">" · fine-tune a pretrained model, in your browser"</span></h1>
            <HubSetting/>
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
        <div id="notices">
            <For each=move || notices.get() key=|n| n.id children=move |n| {
                let id = n.id;
                view! {
                    <div class=format!("notice {}", n.kind)>
                        <span class="text">{n.text}</span>
                        <button class="close" title="dismiss"
                            on:click=move |_| notices.update(|all| all.retain(|x| x.id != id))>
                            "×"
                        </button>
                    </div>
                }
            }/>
        </div>
    }
}
