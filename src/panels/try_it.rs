//! 7. Try it: the model (trained or just loaded) on the user's own pair.

use super::{use_app, Bar, Panel};
use crate::protocol::Command;
use leptos::prelude::*;

#[component]
pub fn TryIt() -> impl IntoView {
    let (state, link) = use_app();
    let a = RwSignal::new("The company said profits rose 5% in the third quarter.".to_string());
    let b = RwSignal::new("Third-quarter profits were up 5 percent, the company said.".to_string());
    view! {
        <Panel id="try" n=7 title="Try it">
            <p class="explain">"Your own pair (or one sentence, for single-sentence tasks)."</p>
            <div class="row"><label>"sentence A "<input id="try-a" type="text" size="60" prop:value=move || a.get()
                on:input=move |ev| a.set(event_target_value(&ev))/></label></div>
            <div class="row"><label>"sentence B "<input id="try-b" type="text" size="60" prop:value=move || b.get()
                on:input=move |ev| b.set(event_target_value(&ev))/></label></div>
            <button id="try-run" disabled=move || state.model.card.get().is_none()
                on:click=move |_| link.send(Command::TryPair { a: a.get_untracked(), b: b.get_untracked() })>
                "Classify"
            </button>
            {move || state.pair.get().map(|p| {
                let pred = p.label_names.get(p.pred).cloned().unwrap_or_else(|| p.pred.to_string());
                view! {
                    <div id="try-result">
                        <p class="big">{pred}</p>
                        <table class="probs">
                            {p.probs.iter().enumerate().map(|(i, &prob)| {
                                let name = p.label_names.get(i).cloned().unwrap_or_else(|| i.to_string());
                                let logit = p.logits.get(i).copied().unwrap_or(f32::NAN);
                                view! { <tr><th>{name}</th><td class="barcell"><Bar fraction=Signal::derive(move || prob as f64)/></td>
                                    <td class="num">{format!("{:.1}%", prob * 100.0)}</td>
                                    <td class="num">{format!("logit {logit:.3}")}</td></tr> }
                            }).collect::<Vec<_>>()}
                        </table>
                    </div>
                }
            })}
        </Panel>
    }
}
