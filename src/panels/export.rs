//! 8. Export: `trainer.save_model()` in `save_pretrained` layout (config.json with id2label,
//! model.safetensors, tokenizer files) and the log history, as downloads.

use super::{fmt_bytes, use_app, Panel};
use crate::protocol::Command;
use leptos::prelude::*;

#[component]
pub fn Export() -> impl IntoView {
    let (state, link) = use_app();
    let files = state.export.files;
    view! {
        <Panel id="export" n=8 title="Export">
            <p class="explain">
                "The fine-tuned model as " <code>"save_pretrained"</code>
                " writes it: Python's " <code>"AutoModelForSequenceClassification.from_pretrained(folder)"</code>
                " and " <code>"wick predict --model folder"</code> " load it as it is."
            </p>
            <button id="export-run" disabled=move || state.model.card.get().is_none()
                on:click=move |_| link.send(Command::Export)>"Prepare the files"</button>
            <ul id="export-files">
                {move || files.get().into_iter().map(|(f, url)| view! {
                    <li><a href=url download=f.name.clone()>{f.name.clone()}</a>
                        {format!(" ({})", fmt_bytes(f.bytes as f64))}</li>
                }).collect::<Vec<_>>()}
            </ul>
            <p class="explain">
                "Downloads from the Hub stay in the browser's cache, so a reload does not fetch them again. "
                <button id="cache-clear" on:click=move |_| link.send(Command::ClearCache)>"Clear the download cache"</button>
            </p>
        </Panel>
    }
}
