//! 1. Checkpoint: `AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)`
//! from a Hub repo or local files, with download progress, a model card and the load report.

use super::{fmt_bytes, fmt_count, use_app, Bar, Panel};
use crate::protocol::{Command, Download, ModelCard};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Small checkpoints first: they train in minutes in a browser.
pub const QUICK_PICKS: &[(&str, &str)] = &[
    (
        "google-bert/bert-base-uncased",
        "BERT base (110M, the course's)",
    ),
    ("distilbert/distilbert-base-uncased", "DistilBERT (66M)"),
    (
        "sentence-transformers/all-MiniLM-L6-v2",
        "all-MiniLM-L6-v2 (23M)",
    ),
    ("google/bert_uncased_L-4_H-256_A-4", "BERT-Mini (11M)"),
    ("prajjwal1/bert-tiny", "BERT-Tiny (4M)"),
];

#[component]
pub fn Checkpoint() -> impl IntoView {
    let (state, link) = use_app();
    let (repo, revision) = (state.model.repo, state.model.revision);
    let ignore = state.model.ignore_mismatched_sizes;
    let busy = state.model.busy;
    let load = move || {
        busy.set(true);
        state.model.downloads.set(Vec::new());
        link.send(Command::LoadModel {
            hub: state.settings.hub(),
            repo: repo.get_untracked().trim().to_string(),
            revision: revision.get_untracked().trim().to_string(),
            ignore_mismatched_sizes: ignore.get_untracked(),
        });
    };
    let on_files = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(list) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        if files.is_empty() {
            return;
        }
        busy.set(true);
        state.model.downloads.set(Vec::new());
        let names = files.iter().map(|f| f.name()).collect();
        link.send_with_files(
            Command::LoadModelFiles {
                names,
                ignore_mismatched_sizes: ignore.get_untracked(),
            },
            files,
        );
    };

    view! {
        <Panel id="checkpoint" n=1 title="Checkpoint">
            <p class="explain">
                "A pretrained BERT from the Hugging Face Hub (or your own files). Like "
                <code>"AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)"</code>
                ", Wick loads the body and puts a fresh classification head on top."
            </p>
            <div class="row">
                <label>"Repository "
                    <input id="model-repo" type="text" size="40" prop:value=move || repo.get()
                        on:input=move |ev| repo.set(event_target_value(&ev))/>
                </label>
                <label>" revision "
                    <input id="model-revision" type="text" size="8" prop:value=move || revision.get()
                        on:input=move |ev| revision.set(event_target_value(&ev))/>
                </label>
                <button id="model-load" disabled=move || busy.get() on:click=move |_| load()>
                    {move || if busy.get() { "Loading…" } else { "Load from the Hub" }}
                </button>
            </div>
            <div class="row picks">
                {QUICK_PICKS.iter().map(|&(id, label)| view! {
                    <button class="pick" title=id on:click=move |_| repo.set(id.to_string())>{label}</button>
                }).collect::<Vec<_>>()}
            </div>
            <div class="row">
                <label title="For a checkpoint already fine-tuned with another number of labels: its head is drawn afresh, as from_pretrained(..., ignore_mismatched_sizes=True) does">
                    <input id="model-ignore-mismatched" type="checkbox" prop:checked=move || ignore.get()
                        on:change=move |ev| ignore.set(event_target_checked(&ev))/>
                    " Ignore mismatched sizes (draw a fresh head where the checkpoint's has another shape)"
                </label>
            </div>
            <div class="row">
                <label>"or local files (config.json, tokenizer.json or vocab.txt, model.safetensors): "
                    <input id="model-files" type="file" multiple=true on:change=on_files/>
                </label>
            </div>
            <Downloads list=state.model.downloads/>
            {move || state.model.card.get().map(|card| view! { <Card card=card/> })}
        </Panel>
    }
}

/// Files being downloaded (or taken from the cache): bytes, total and rate.
#[component]
pub fn Downloads(list: RwSignal<Vec<Download>>) -> impl IntoView {
    let downloads = list;
    view! {
        <table class="downloads" class:hidden=move || downloads.with(|d| d.is_empty())>
            <For each=move || downloads.get() key=|d| d.url.clone() children=move |d: Download| {
                let url = d.url.clone();
                let me = Signal::derive(move || {
                    downloads.with(|all| all.iter().find(|x| x.url == url).cloned().unwrap_or_default())
                });
                let frac = Signal::derive(move || {
                    let d = me.get();
                    match (d.finished, d.total) {
                        (true, _) => 1.0,
                        (_, Some(t)) if t > 0 => d.done as f64 / t as f64,
                        _ => 0.0,
                    }
                });
                let file = d.url.rsplit('/').next().unwrap_or_default().to_string();
                view! {
                    <tr>
                        <td class="file" title=d.url.clone()>{file}</td>
                        <td class="barcell"><Bar fraction=frac/></td>
                        <td class="num">{move || {
                            let d = me.get();
                            let total = d.total.map(|t| format!(" / {}", fmt_bytes(t as f64))).unwrap_or_default();
                            format!("{}{total}", fmt_bytes(d.done as f64))
                        }}</td>
                        <td class="num">{move || {
                            let d = me.get();
                            if d.cached { "from cache".to_string() }
                            else if d.rate > 0.0 { format!("{}/s", fmt_bytes(d.rate)) }
                            else { String::new() }
                        }}</td>
                    </tr>
                }
            }/>
        </table>
    }
}

#[component]
fn Card(card: ModelCard) -> impl IntoView {
    let rows = vec![
        ("model", card.name.clone()),
        (
            "architecture",
            format!("{} ({})", card.architecture, card.model_type),
        ),
        ("layers", card.layers.to_string()),
        ("hidden size", card.hidden_size.to_string()),
        ("attention heads", card.heads.to_string()),
        ("feed-forward size", card.intermediate_size.to_string()),
        ("vocabulary", card.vocab_size.to_string()),
        ("max positions", card.max_positions.to_string()),
        (
            "tokenizer",
            if card.tokenizer_from_vocab {
                "built from vocab.txt (no tokenizer.json), as transformers builds it".into()
            } else {
                "tokenizer.json".into()
            },
        ),
        ("parameters", fmt_count(card.parameters)),
        ("weights", fmt_bytes(card.bytes as f64)),
        (
            "token_type_ids",
            if card.uses_token_types {
                "yes".into()
            } else {
                "no (DistilBERT-like)".into()
            },
        ),
    ];
    let new = card.newly_initialized.clone();
    let unused = card.unused.clone();
    let missing = card.missing.clone();
    let mismatched = card.mismatched.clone();
    let notes = card.notes.clone();
    view! {
        <div class="card-grid">
            <table id="model-card" class="kv">
                {rows.into_iter().map(|(k, v)| view! { <tr><th>{k}</th><td>{v}</td></tr> }).collect::<Vec<_>>()}
            </table>
            <div id="load-report" class="report">
                <h3>"Load report"</h3>
                {notes.into_iter().map(|n| view! { <p class="warn note">{n}</p> }).collect::<Vec<_>>()}
                {(!mismatched.is_empty()).then(|| view! {
                    <div id="load-mismatched">
                        <p class="warn">
                            "Some weights of " {card.architecture.clone()}
                            " were not initialized from the checkpoint and are newly initialized because the shapes did not match:"
                        </p>
                        <ul>
                            {mismatched.iter().map(|(name, ckpt, model)| view! {
                                <li><code>{name.clone()}</code>": found shape "<code>{format!("{ckpt:?}")}</code>
                                    " in the checkpoint and "<code>{format!("{model:?}")}</code>" in the model instantiated"</li>
                            }).collect::<Vec<_>>()}
                        </ul>
                    </div>
                })}
                {if new.is_empty() && mismatched.is_empty() {
                    view! {
                        <p class="explain">"Every weight came from the checkpoint: it already has a classification head with this many labels."</p>
                    }.into_any()
                } else if new.is_empty() {
                    view! {
                        <p class="explain">"The checkpoint's head was trained for another number of labels: those tensors start afresh and are trained by the next panels."</p>
                    }.into_any()
                } else {
                    view! {
                        <p class="warn">
                            "Some weights of " {card.architecture.clone()} " were not initialized from the checkpoint and are newly initialized: "
                            <code>{format!("{new:?}")}</code>
                        </p>
                        <p class="explain">
                            "This is expected. The checkpoint was pretrained on language modelling, not on \
                             classifying sentence pairs, so its pretraining head is dropped and a new head for \
                             sequence classification (the " <code>"classifier"</code> " layer, random normal(0, 0.02) \
                             weights and zero bias) is added. You should train this model on a downstream task \
                             before using it for predictions: that is what the next panels do."
                        </p>
                    }.into_any()
                }}
                {(!unused.is_empty()).then(|| view! {
                    <details>
                        <summary>{format!("{} checkpoint tensors not used (the pretraining heads)", unused.len())}</summary>
                        <code class="list">{unused.join(", ")}</code>
                    </details>
                })}
                {(!missing.is_empty()).then(|| view! {
                    <p class="error">"Missing from the checkpoint (initialised fresh): " <code>{missing.join(", ")}</code></p>
                })}
            </div>
        </div>
    }
}
