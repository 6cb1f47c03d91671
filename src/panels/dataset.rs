//! 2. Dataset: `load_dataset("glue", "mrpc")` from the Hub's parquet files, or the user's own
//! CSV/TSV/JSONL/parquet; splits, features and a row browser.

use super::{use_app, Panel, Scroll};
use crate::protocol::{ColumnMapping, Command, DatasetView, RowsView};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

pub const GLUE_TASKS: &[&str] = &[
    "mrpc", "cola", "sst2", "qqp", "stsb", "mnli", "qnli", "rte", "wnli",
];
use crate::protocol::ROWS_PER_PAGE as PAGE;

#[component]
pub fn Dataset() -> impl IntoView {
    let (state, link) = use_app();
    let task = state.data.task;
    let busy = state.data.busy;
    let load_glue = move || {
        busy.set(true);
        state.data.downloads.set(Vec::new());
        link.send(Command::LoadGlue {
            hub: state.settings.hub(),
            task: task.get_untracked(),
        });
    };
    view! {
        <Panel id="dataset" n=2 title="Dataset">
            <p class="explain">
                "The GLUE benchmark's tasks, as " <code>"load_dataset(\"glue\", task)"</code>
                " reads them from the Hub, or your own file."
            </p>
            <div class="row">
                <label>"GLUE task "
                    <select id="glue-task" on:change=move |ev| task.set(event_target_value(&ev))>
                        {GLUE_TASKS.iter().map(|t| view! {
                            <option value=*t prop:selected=move || task.get() == *t>{t.to_uppercase()}</option>
                        }).collect::<Vec<_>>()}
                    </select>
                </label>
                <button id="glue-load" disabled=move || busy.get() on:click=move |_| load_glue()>
                    {move || if busy.get() { "Loading…" } else { "Load from the Hub" }}
                </button>
            </div>
            <OwnFiles/>
            <super::checkpoint::Downloads list=state.data.downloads/>
            {move || state.data.view.get().map(|v| view! { <Summary view=v/> })}
            <RowBrowser/>
        </Panel>
    }
}

/// The user's own files: one per split, and which columns hold the texts and the label.
#[component]
fn OwnFiles() -> impl IntoView {
    let (state, link) = use_app();
    let (mapping, own) = (state.data.mapping, state.data.own_files);
    let train = RwSignal::new_local(None::<web_sys::File>);
    let validation = RwSignal::new_local(None::<web_sys::File>);
    let pick = |slot: RwSignal<Option<web_sys::File>, LocalStorage>| {
        move |ev: leptos::ev::Event| {
            let file = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|i| i.files())
                .and_then(|l| l.get(0));
            slot.set(file);
        }
    };
    let load = move |_| {
        let mut splits = Vec::new();
        let mut files = Vec::new();
        for (name, slot) in [("train", train), ("validation", validation)] {
            if let Some(f) = slot.get_untracked() {
                splits.push(name.to_string());
                files.push(f);
            }
        }
        if files.is_empty() {
            state.notify("error", "Pick at least a train file.".into());
            return;
        }
        state.data.busy.set(true);
        let names = files.iter().map(|f| f.name()).collect();
        link.send_with_files(
            Command::LoadDatasetFiles {
                splits,
                names,
                mapping: mapping.get_untracked(),
            },
            files,
        );
    };
    let field = move |id: &'static str,
                      label: &'static str,
                      get: fn(&ColumnMapping) -> String,
                      set: fn(&mut ColumnMapping, String)| {
        view! {
            <label>{label}
                <input id=id type="text" size="10" prop:value=move || mapping.with(get)
                    on:input=move |ev| mapping.update(|m| set(m, event_target_value(&ev)))/>
            </label>
        }
    };
    view! {
        <details class="own" prop:open=move || own.get() on:toggle=move |ev| {
            let open = ev.target().and_then(|t| js_sys::Reflect::get(&t, &"open".into()).ok());
            own.set(open.and_then(|o| o.as_bool()).unwrap_or(false));
        }>
            <summary>"…or your own CSV / TSV / JSON lines / parquet"</summary>
            <div class="row">
                <label>"train " <input id="data-train" type="file" accept=".csv,.tsv,.jsonl,.json,.parquet" on:change=pick(train)/></label>
                <label>" validation " <input id="data-validation" type="file" accept=".csv,.tsv,.jsonl,.json,.parquet" on:change=pick(validation)/></label>
            </div>
            <div class="row">
                {field("map-text-a", "first text ", |m| m.text_a.clone(), |m, v| m.text_a = v)}
                {field("map-text-b", " second text (empty: single sentences) ", |m| m.text_b.clone(), |m, v| m.text_b = v)}
                {field("map-label", " label ", |m| m.label.clone(), |m, v| m.label = v)}
                <button id="data-files-load" on:click=load>"Load files"</button>
            </div>
        </details>
    }
}

/// The `DatasetDict` as `datasets` prints it.
#[component]
fn Summary(view: DatasetView) -> impl IntoView {
    view! {
        <div id="dataset-summary" class="card-grid">
            <div>
                <h3>{view.name.clone()}</h3>
                <table class="kv">
                    <tr><th>"split"</th><th>"rows"</th></tr>
                    {view.splits.iter().map(|s| view! {
                        <tr><td>{s.name.clone()}</td><td class="num">{s.rows}</td></tr>
                    }).collect::<Vec<_>>()}
                </table>
            </div>
            <div>
                <h3>"Features"</h3>
                <table class="kv">
                    {view.features.iter().map(|f| {
                        let names = if f.names.is_empty() { String::new() } else { format!(" names={:?}", f.names) };
                        view! { <tr><th>{f.name.clone()}</th><td><code>{format!("{}{names}", f.dtype)}</code></td></tr> }
                    }).collect::<Vec<_>>()}
                </table>
                {(!view.metrics.is_empty()).then(|| view! {
                    <p>"Metric: " {view.metrics.join(" and ")}</p>
                })}
            </div>
        </div>
    }
}

#[component]
fn RowBrowser() -> impl IntoView {
    let (state, link) = use_app();
    let rows = state.data.rows;
    let goto = move |split: String, offset: usize| {
        link.send(Command::Rows {
            split,
            offset,
            count: PAGE,
        })
    };
    view! {
        {move || rows.get().map(|r: RowsView| {
            let split = r.split.clone();
            let split2 = r.split.clone();
            let (offset, total) = (r.offset, r.total);
            let splits = state.data.view.get_untracked().map(|v| v.splits).unwrap_or_default();
            view! {
                <div id="row-browser">
                    <div class="row">
                        <select aria-label="split" on:change=move |ev| goto(event_target_value(&ev), 0)>
                            {splits.into_iter().map(|s| {
                                let sel = s.name == r.split;
                                view! { <option value=s.name.clone() selected=sel>{s.name.clone()}</option> }
                            }).collect::<Vec<_>>()}
                        </select>
                        <button aria-label="previous rows" disabled={offset == 0} on:click=move |_| goto(split.clone(), offset.saturating_sub(PAGE))>"◀"</button>
                        <span>{format!(" rows {}–{} of {} ", offset, (offset + r.rows.len()).saturating_sub(1), total)}</span>
                        <button aria-label="next rows" disabled={offset + PAGE >= total} on:click=move |_| goto(split2.clone(), offset + PAGE)>"▶"</button>
                    </div>
                    <Scroll label="rows of the data set"><table class="rows">
                        <tr>{r.columns.iter().map(|c| view! { <th>{c.clone()}</th> }).collect::<Vec<_>>()}</tr>
                        {r.rows.iter().map(|row| view! {
                            <tr>{row.iter().map(|v| view! { <td>{v.clone()}</td> }).collect::<Vec<_>>()}</tr>
                        }).collect::<Vec<_>>()}
                    </table></Scroll>
                </div>
            }
        })}
    }
}
