//! 3. Tokenize: `tokenizer(sentence1, sentence2, truncation=True)` for one pair, drawn token by
//! token, then `dataset.map(tokenize_function, batched=True)` over every split.

use super::charts::HistogramChart;
use super::{use_app, Bar, Panel};
use crate::protocol::{Command, TokensView};
use leptos::prelude::*;

/// The course's example pair.
pub const EXAMPLE_A: &str = "I've been waiting for a HuggingFace course my whole life.";
pub const EXAMPLE_B: &str = "This course is amazing!";

#[component]
pub fn Tokenize() -> impl IntoView {
    let (state, link) = use_app();
    let a = RwSignal::new(EXAMPLE_A.to_string());
    let b = RwSignal::new(EXAMPLE_B.to_string());
    let run = move || {
        link.send(Command::TokenizePair {
            a: a.get_untracked(),
            b: b.get_untracked(),
        })
    };
    // A row of the data set instead of the example: the first row the browser shows.
    let from_row = move |_| {
        let Some(rows) = state.data.rows.get_untracked() else {
            state.notify("info", "Load a data set first.".into());
            return;
        };
        let Some(view) = state.data.view.get_untracked() else {
            return;
        };
        let texts: Vec<String> = rows
            .columns
            .iter()
            .zip(rows.rows.first().cloned().unwrap_or_default())
            .filter(|(c, _)| {
                view.features
                    .iter()
                    .any(|f| &&f.name == c && f.dtype == "string")
            })
            .map(|(_, v)| v)
            .collect();
        a.set(texts.first().cloned().unwrap_or_default());
        b.set(texts.get(1).cloned().unwrap_or_default());
        run();
    };
    let no_segments = move || state.model.card.get().is_some_and(|c| !c.uses_token_types);
    view! {
        <Panel id="tokenize" n=3 title="Tokenize">
            <p class="explain">
                "The tokenizer turns a pair into one sequence " <code>"[CLS] A [SEP] B [SEP]"</code>
                ": " <code>"input_ids"</code> ", " <code>"token_type_ids"</code>
                " (which sentence each token belongs to) and " <code>"attention_mask"</code> "."
            </p>
            <div class="row">
                <label>"sentence A "
                    <input id="tok-a" type="text" size="60" prop:value=move || a.get() on:input=move |ev| a.set(event_target_value(&ev))/>
                </label>
            </div>
            <div class="row">
                <label>"sentence B "
                    <input id="tok-b" type="text" size="60" placeholder="(optional)"
                        prop:value=move || b.get() on:input=move |ev| b.set(event_target_value(&ev))/>
                </label>
            </div>
            <div class="row">
                <button id="tok-run" on:click=move |_| run()>"Tokenize"</button>
                <button on:click=from_row>"Use the first row of the data set"</button>
            </div>
            {move || state.tok.pair.get().map(|t| view! { <Tokens t=t/> })}
            <p class="note" class:strong=no_segments>
                "DistilBERT-like checkpoints were pretrained without segments: their tokenizer returns no "
                <code>"token_type_ids"</code> " and the model takes none."
                {move || no_segments().then_some(" The loaded checkpoint is one of them.")}
            </p>
            <MapAll/>
        </Panel>
    }
}

/// Tokens as chips coloured by segment, with their id, segment and mask underneath.
#[component]
fn Tokens(t: TokensView) -> impl IntoView {
    let has_types = !t.token_type_ids.is_empty();
    let chips = t
        .tokens
        .iter()
        .enumerate()
        .map(|(i, tok)| {
            let seg = t.token_type_ids.get(i).copied().unwrap_or(0);
            let mask = t.attention_mask.get(i).copied().unwrap_or(1);
            let id = t.input_ids.get(i).copied().unwrap_or(0);
            view! {
                <div class=format!("chip seg{}", seg.min(1)) class:special=tok.starts_with('[')>
                    <div class="tok">{tok.clone()}</div>
                    <div class="id">{id}</div>
                    {has_types.then(|| view! { <div class="seg">{seg}</div> })}
                    <div class="mask">{mask}</div>
                </div>
            }
        })
        .collect::<Vec<_>>();
    let ids = format!("{:?}", t.input_ids);
    let types = format!("{:?}", t.token_type_ids);
    let mask = format!("{:?}", t.attention_mask);
    view! {
        <div id="tokens" class="chips">
            <div class="chip legend"><div class="tok">"token"</div><div class="id">"input_ids"</div>
                {has_types.then(|| view! { <div class="seg">"token_type_ids"</div> })}
                <div class="mask">"attention_mask"</div></div>
            {chips}
        </div>
        <pre class="dict">
            {format!("{{'input_ids': {ids},\n")}
            {has_types.then(|| format!(" 'token_type_ids': {types},\n"))}
            {format!(" 'attention_mask': {mask}}}")}
        </pre>
    }
}

/// `tokenized_datasets = raw_datasets.map(tokenize_function, batched=True)`.
#[component]
fn MapAll() -> impl IntoView {
    let (state, link) = use_app();
    let progress = state.tok.map_progress;
    view! {
        <h3>"All splits"</h3>
        <p class="explain">
            <code>"raw_datasets.map(tokenize_function, batched=True)"</code>
            " adds the tokenizer's columns to every row, without padding: that comes per batch."
        </p>
        <button id="map-run" disabled=move || state.data.view.get().is_none()
            on:click=move |_| { progress.set(Vec::new()); link.send(Command::MapDataset) }>
            "Map over all splits"
        </button>
        <table class="progress">
            {move || progress.get().into_iter().map(|(split, done, total)| {
                let frac = Signal::derive(move || if total == 0 { 1.0 } else { done as f64 / total as f64 });
                view! { <tr><td>{split}</td><td class="barcell"><Bar fraction=frac/></td>
                    <td class="num">{format!("{done} / {total}")}</td></tr> }
            }).collect::<Vec<_>>()}
        </table>
        {move || state.tok.mapped.get().map(|m| view! {
            <div id="mapped">
                <p>{format!("Columns now: {}. Took {:.0} ms.", m.columns.join(", "), m.millis)}</p>
                <HistogramChart counts=m.lengths.counts.clone() bin_width=m.lengths.bin_width
                    title=format!("Sequence lengths, train split (mean {:.1}, longest {})", m.lengths.mean, m.lengths.max)/>
            </div>
        })}
    }
}
