//! 4. Batches: `DataCollatorWithPadding` pads each batch to its own longest row. The grid
//! shows tokens by position with the padding visible; the numbers say what that saves.

use super::{parse_or, use_app, Panel, Scroll};
use crate::protocol::{BatchView, Command};
use leptos::prelude::*;

#[component]
pub fn Batches() -> impl IntoView {
    let (state, link) = use_app();
    let batch_size = RwSignal::new("8".to_string());
    let count = RwSignal::new("3".to_string());
    let show = move |_| {
        link.send(Command::ShowBatches {
            batch_size: parse_or(&batch_size.get_untracked(), 8usize).max(1),
            count: parse_or(&count.get_untracked(), 3usize).clamp(1, 20),
        })
    };
    view! {
        <Panel id="batches" n=4 title="Batches">
            <p class="explain">
                "Dynamic padding: " <code>"DataCollatorWithPadding"</code>
                " pads every batch to the longest row " <em>"of that batch"</em>
                ", not of the whole data set. Hatched grey cells are " <code>"[PAD]"</code>
                " (attention_mask 0); the model ignores them."
            </p>
            <p class="cell-legend">
                <span class="cell seg0">"sentence A"</span>
                <span class="cell seg1">"sentence B (underlined)"</span>
                <span class="cell pad">"[PAD]"</span>
                <span class="cell label">"label"</span>
            </p>
            <div class="row">
                <label>"batch size " <input type="number" min="1" size="4" prop:value=move || batch_size.get()
                    on:input=move |ev| batch_size.set(event_target_value(&ev))/></label>
                <label>" batches " <input type="number" min="1" max="20" size="3" prop:value=move || count.get()
                    on:input=move |ev| count.set(event_target_value(&ev))/></label>
                <button id="batches-show" disabled=move || state.tok.mapped.get().is_none() on:click=show>
                    "Draw batches"
                </button>
            </div>
            {move || state.batches.get().map(|b| {
                let saved = 1.0 - b.dynamic_tokens as f64 / b.fixed_tokens.max(1) as f64;
                view! {
                    <p id="padding-saved" class="stat">
                        {format!(
                            "Train split: {} real tokens. Padded per batch: {} tokens; padded to the split's longest row: {} tokens. Dynamic padding saves {:.0}% of the work.",
                            b.real_tokens, b.dynamic_tokens, b.fixed_tokens, saved * 100.0
                        )}
                    </p>
                    <div id="batch-grids">
                        {b.batches.into_iter().enumerate().map(|(i, batch)| view! { <Grid n=i batch=batch/> }).collect::<Vec<_>>()}
                    </div>
                }
            })}
        </Panel>
    }
}

/// One batch: a row per example, a column per position.
#[component]
fn Grid(n: usize, batch: BatchView) -> impl IntoView {
    let seq = batch.tokens.first().map_or(0, |r| r.len());
    let rows = batch
        .tokens
        .iter()
        .enumerate()
        .map(|(r, toks)| {
            let cells = toks
                .iter()
                .enumerate()
                .map(|(p, tok)| {
                    let mask = batch.attention_mask[r].get(p).copied().unwrap_or(0);
                    let seg = batch.token_type_ids.get(r).and_then(|t| t.get(p)).copied().unwrap_or(0);
                    let id = batch.input_ids[r].get(p).copied().unwrap_or(0);
                    let class = if mask == 0 { "pad".to_string() } else { format!("seg{}", seg.min(1)) };
                    view! { <td class=class title=format!("{tok} · id {id} · mask {mask}")>{tok.clone()}</td> }
                })
                .collect::<Vec<_>>();
            let label = batch.labels.get(r).map(|l| format!("{l}")).unwrap_or_default();
            view! { <tr><th>{r}</th>{cells}<td class="label">{label}</td></tr> }
        })
        .collect::<Vec<_>>();
    view! {
        <div class="grid">
            <h4>{format!("batch {n}: {} × {seq}", batch.tokens.len())}</h4>
            <Scroll label=format!("batch {n}")><table class="batch">{rows}</table></Scroll>
        </div>
    }
}
