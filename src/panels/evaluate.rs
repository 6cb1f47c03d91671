//! 6. Evaluate: `trainer.predict(validation)`: logits, softmax, argmax against the gold label;
//! the metric table per evaluation; the confusion matrix.

use super::{use_app, Panel, Scroll};
use crate::protocol::{Command, PredictionsView};
use leptos::prelude::*;

const SHOWN: usize = 25;

#[component]
pub fn Evaluate() -> impl IntoView {
    let (state, link) = use_app();
    let split = RwSignal::new("validation".to_string());
    view! {
        <Panel id="evaluate" n=6 title="Evaluate">
            <p class="explain">
                <code>"predictions = trainer.predict(tokenized_datasets[\"validation\"])"</code>
                " gives logits; " <code>"np.argmax(predictions.predictions, axis=-1)"</code>
                " gives labels, and the GLUE metric compares them with the gold labels."
            </p>
            <div class="row">
                <label>"split "
                    <select on:change=move |ev| split.set(event_target_value(&ev))>
                        {move || state.data.view.get().map(|v| v.splits.into_iter().map(|s| {
                            let sel = s.name == split.get_untracked();
                            view! { <option value=s.name.clone() selected=sel>{s.name.clone()}</option> }
                        }).collect::<Vec<_>>())}
                    </select>
                </label>
                <button id="predict-run" disabled=move || state.tok.mapped.get().is_none()
                    on:click=move |_| link.send(Command::Predict { split: split.get_untracked() })>
                    "Predict"
                </button>
            </div>
            <MetricTable/>
            {move || state.predictions.get().map(|p| view! { <Predictions p=p/> })}
        </Panel>
    }
}

/// One row per evaluation in the log history.
#[component]
fn MetricTable() -> impl IntoView {
    let (state, _) = use_app();
    let log = state.train.log;
    move || {
        let evals: Vec<_> =
            log.with(|l| l.iter().filter(|e| !e.eval.is_empty()).cloned().collect());
        if evals.is_empty() {
            return None;
        }
        let names: Vec<String> = evals[0]
            .eval
            .iter()
            .map(|(k, _)| k.clone())
            // The epoch has its own column (the metrics carry it too, as transformers' do).
            .filter(|k| k != "epoch" && !k.ends_with("runtime") && !k.contains("per_second"))
            .collect();
        Some(view! {
            <Scroll label="evaluation metrics"><table id="metric-table" class="metrics">
                <tr><th>"step"</th><th>"epoch"</th>{names.iter().map(|n| view! { <th>{n.clone()}</th> }).collect::<Vec<_>>()}</tr>
                {evals.into_iter().map(|e| view! {
                    <tr><td class="num">{e.step}</td><td class="num">{format!("{:.2}", e.epoch)}</td>
                    {names.iter().map(|n| {
                        let v = e.eval.iter().find(|(k, _)| k == n).map(|(_, v)| format!("{v:.4}")).unwrap_or_default();
                        view! { <td class="num">{v}</td> }
                    }).collect::<Vec<_>>()}</tr>
                }).collect::<Vec<_>>()}
            </table></Scroll>
        })
    }
}

#[component]
fn Predictions(p: PredictionsView) -> impl IntoView {
    let names = p.label_names.clone();
    let name = move |i: usize| names.get(i).cloned().unwrap_or_else(|| i.to_string());
    let rows = p
        .rows
        .iter()
        .take(SHOWN)
        .map(|r| {
            let right = r.gold.map(|g| g == r.pred);
            let fmt = |v: &[f32]| {
                v.iter()
                    .map(|x| format!("{x:.3}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            view! {
                <tr class:right=right == Some(true) class:wrong=right == Some(false)>
                    <td class="text">{r.text.clone()}</td>
                    <td class="num">{format!("[{}]", fmt(&r.logits))}</td>
                    <td class="num">{format!("[{}]", fmt(&r.probs))}</td>
                    <td>{name(r.pred)}</td>
                    <td>{r.gold.map(&name).unwrap_or_default()}</td>
                    <td>{match right { Some(true) => "✓ right", Some(false) => "✗ wrong", None => "" }}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let metrics = p
        .metrics
        .iter()
        .map(|(k, v)| format!("{k} {v:.4}"))
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <h3>{format!("Predictions on {} ({} rows): {metrics}", p.split, p.rows.len())}</h3>
        <div class="pred-grid">
            <Scroll label="predictions" class="tall">
                <table id="predictions" class="rows">
                    <tr><th>"pair"</th><th>"logits"</th><th>"softmax"</th><th>"argmax"</th><th>"gold"</th><th>"argmax = gold?"</th></tr>
                    {rows}
                </table>
            </Scroll>
            <Confusion names=p.label_names.clone() m=p.confusion.clone()/>
        </div>
    }
}

#[component]
fn Confusion(names: Vec<String>, m: Vec<Vec<usize>>) -> impl IntoView {
    if m.is_empty() {
        return None;
    }
    let top = m.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    let label = |i: usize| names.get(i).cloned().unwrap_or_else(|| i.to_string());
    // The shade says how many; the mark (and the outline) says right or wrong, for readers who
    // do not see the colour.
    Some(view! {
        <table id="confusion" class="confusion">
            <caption>"Confusion matrix: rows are the gold labels, columns the predictions; ✓ marks the right ones"</caption>
            <tr><th>"gold \\ predicted"</th>{(0..m.len()).map(|j| view! { <th>{label(j)}</th> }).collect::<Vec<_>>()}</tr>
            {m.iter().enumerate().map(|(i, row)| view! {
                <tr><th>{label(i)}</th>
                {row.iter().enumerate().map(|(j, &c)| {
                    let alpha = 0.1 + 0.5 * c as f64 / top;
                    let (kind, mark) = if i == j { ("hit", "✓") } else { ("miss", "✗") };
                    let color = format!("rgba(var(--{kind}-rgb), {alpha:.2})");
                    view! { <td class=format!("num {kind}") style:background=color>{format!("{c} {mark}")}</td> }
                }).collect::<Vec<_>>()}</tr>
            }).collect::<Vec<_>>()}
        </table>
    })
}
