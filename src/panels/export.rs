//! 8. Export: `trainer.save_model()` in `save_pretrained` layout (config.json with id2label,
//! model.safetensors, tokenizer files) and the log history, as downloads; and "Run it on a GPU
//! server": the run as a transformers + accelerate project (one zip) with its launch lines.

use super::{fmt_bytes, parse_or, use_app, Panel};
use crate::protocol::Command;
use leptos::prelude::*;

/// Own data up to this size goes into the project without asking.
const DEFAULT_DATA_MB: f64 = 100.0;

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
            <GpuServer/>
            <p class="explain">
                "Downloads from the Hub stay in the browser's cache, so a reload does not fetch them again. "
                <button id="cache-clear" on:click=move |_| link.send(Command::ClearCache)>"Clear the download cache"</button>
            </p>
        </Panel>
    }
}

/// "Run it on a GPU server": the same run as a folder for transformers' `Trainer`, zipped.
#[component]
fn GpuServer() -> impl IntoView {
    let (state, link) = use_app();
    let ex = state.export;
    let max_mb = RwSignal::new(DEFAULT_DATA_MB);
    let send = move |max_data_bytes: u64| {
        ex.project_busy.set(true);
        ex.project_ask.set(None);
        link.send(Command::ExportProject {
            form: state.train.form.get_untracked(),
            max_data_bytes,
        });
    };
    let ready = move || state.model.card.get().is_some() && state.data.view.get().is_some();
    view! {
        <h3>"Run it on a GPU server"</h3>
        <p class="explain">
            "The same run, for transformers' " <code>"Trainer"</code> " on one GPU, on many ("
            <code>"accelerate launch"</code> ", " <code>"torchrun"</code> ") or on a CPU: "
            <code>"train.py"</code> " (the course's code with the Train panel's settings), "
            <code>"requirements.txt"</code> ", " <code>"README.md"</code> " and "
            <code>"wick_run.json"</code> ", with your own data, your checkpoint files and the weights \
             trained here where the Hub does not have them."
        </p>
        <div class="row">
            <label>"Copy my own data in up to "
                <input id="project-max-mb" type="text" size="6" prop:value=move || max_mb.get().to_string()
                    on:change=move |ev| max_mb.set(parse_or(&event_target_value(&ev), DEFAULT_DATA_MB))/>
                " MB "
            </label>
            <button id="project-export" disabled=move || !ready() || ex.project_busy.get()
                on:click=move |_| send((max_mb.get_untracked().max(0.0) * 1e6) as u64)>
                {move || if ex.project_busy.get() { "Preparing…" } else { "Export the project (zip)" }}
            </button>
        </div>
        {move || ex.project_ask.get().map(|(bytes, limit)| view! {
            <p id="project-ask" class="warn">
                {format!("Your data files are {}, over the {} you allowed. ", fmt_bytes(bytes as f64), fmt_bytes(limit as f64))}
                <button id="project-copy-anyway" on:click=move |_| send(bytes)>"Copy them in"</button>
                " "
                <button on:click=move |_| ex.project_ask.set(None)>"Cancel"</button>
            </p>
        })}
        {move || ex.project.get().map(|p| {
            let lines = p.launch.join("\n");
            let count = p.files.len();
            view! {
                <p>
                    <a id="project-download" href=p.url.clone() download=p.zip.name.clone()>{p.zip.name.clone()}</a>
                    {format!(" ({}, {count} files)", fmt_bytes(p.zip.bytes as f64))}
                </p>
                <pre id="project-launch" class="code">{lines}</pre>
                <details>
                    <summary>"What the zip holds"</summary>
                    <ul id="project-files">
                        {p.files.into_iter().map(|f| view! {
                            <li><code>{f.name}</code>{format!(" ({})", fmt_bytes(f.bytes as f64))}</li>
                        }).collect::<Vec<_>>()}
                    </ul>
                </details>
            }
        })}
    }
}
