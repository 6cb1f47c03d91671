//! 5. Train: the `TrainingArguments` form (transformers' names and defaults), the run controls,
//! progress, and live curves of the loss, the learning rate and the evaluation metrics.

use super::charts::{LineChart, Series};
use super::{fmt_duration, use_app, Bar, Panel, Scroll};
use crate::protocol::{Command, LogEntry, RunState, TrainForm};
use leptos::prelude::*;

/// The form's `backend` values: the page's "auto" and the CLI's two.
pub const BACKENDS: &[&str] = &["auto", "cpu", "webgpu"];

const COLORS: &[&str] = &["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed"];

#[component]
pub fn Train() -> impl IntoView {
    let (state, link) = use_app();
    let form = state.train.form;
    let run = state.train.run;
    let start = move |_| {
        if state.data.view.get_untracked().is_none() || state.model.card.get_untracked().is_none() {
            state.notify("error", "Load a checkpoint and a data set first.".into());
            return;
        }
        run.set(RunState::Idle);
        state.train.backend.set(None);
        link.send(Command::Train {
            form: form.get_untracked(),
        });
    };
    let active = move || matches!(run.get(), RunState::Running | RunState::Paused);
    view! {
        <Panel id="train" n=5 title="Train">
            <p class="explain">
                <code>"Trainer(model, TrainingArguments(\"test-trainer\", ...), train_dataset, eval_dataset, data_collator, tokenizer, compute_metrics).train()"</code>
                ". The defaults are transformers' own."
            </p>
            <Form form=form/>
            <div class="row controls">
                <button id="train-start" disabled=active on:click=start>"Start"</button>
                <button id="train-pause" disabled=move || run.get() != RunState::Running
                    on:click=move |_| link.send(Command::Pause)>"Pause"</button>
                <button id="train-resume" disabled=move || run.get() != RunState::Paused
                    on:click=move |_| link.send(Command::Resume)>"Resume"</button>
                <button id="train-stop" disabled=move || !active()
                    on:click=move |_| link.send(Command::Stop)>"Stop"</button>
                <span id="train-state" class="badge">{move || format!("{:?}", run.get())}</span>
                <Show when=move || state.settings.debug && active()
                    && state.train.backend.with(|b| b.as_ref().is_some_and(|(n, _)| n == "webgpu"))>
                    <button id="train-lose-gpu" on:click=move |_| link.send(Command::LoseGpu)>
                        "Simulate a lost GPU"
                    </button>
                </Show>
            </div>
            <p id="train-backend" class="explain">{move || state.train.backend.get().map(|(_, d)| d)}</p>
            <ProgressLine/>
            <Announce/>
            <Curves/>
            <LogTable/>
        </Panel>
    }
}

/// A labelled number field bound to one field of the form.
fn number<T>(
    form: RwSignal<TrainForm>,
    name: &'static str,
    get: fn(&TrainForm) -> T,
    set: fn(&mut TrainForm, T),
) -> impl IntoView
where
    T: std::fmt::Display + std::str::FromStr + Send + Sync + 'static,
{
    view! {
        <label class="field"><span>{name}</span>
            <input type="text" name=name size="8" prop:value=move || form.with(|f| get(f).to_string())
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).trim().parse::<T>() {
                        form.update(|f| set(f, v));
                    }
                }/>
        </label>
    }
}

#[component]
fn Form(form: RwSignal<TrainForm>) -> impl IntoView {
    let webgpu = js_sys::Reflect::has(&js_sys::global(), &"GPU".into()).unwrap_or(false);
    view! {
        <div class="form" id="train-form">
            {number(form, "learning_rate", |f| f.learning_rate, |f, v| f.learning_rate = v)}
            {number(form, "num_train_epochs", |f| f.num_train_epochs, |f, v| f.num_train_epochs = v)}
            {number(form, "max_steps", |f| f.max_steps, |f, v| f.max_steps = v)}
            {number(form, "per_device_train_batch_size", |f| f.per_device_train_batch_size, |f, v| f.per_device_train_batch_size = v)}
            {number(form, "per_device_eval_batch_size", |f| f.per_device_eval_batch_size, |f, v| f.per_device_eval_batch_size = v)}
            {number(form, "gradient_accumulation_steps", |f| f.gradient_accumulation_steps, |f, v| f.gradient_accumulation_steps = v)}
            {number(form, "weight_decay", |f| f.weight_decay, |f, v| f.weight_decay = v)}
            {number(form, "warmup_steps", |f| f.warmup_steps, |f, v| f.warmup_steps = v)}
            {number(form, "max_grad_norm", |f| f.max_grad_norm, |f, v| f.max_grad_norm = v)}
            {number(form, "logging_steps", |f| f.logging_steps, |f, v| f.logging_steps = v)}
            <label class="field"><span>"eval_strategy"</span>
                <select name="eval_strategy" on:change=move |ev| form.update(|f| f.eval_strategy = event_target_value(&ev))>
                    {["no", "steps", "epoch"].map(|s| view! {
                        <option value=s prop:selected=move || form.with(|f| f.eval_strategy == s)>{s}</option>
                    })}
                </select>
            </label>
            {number(form, "eval_steps", |f| f.eval_steps, |f, v| f.eval_steps = v)}
            {number(form, "seed", |f| f.seed, |f, v| f.seed = v)}
            {number(form, "train_rows (0 = all)", |f| f.train_rows, |f, v| f.train_rows = v)}
            <label class="field"><span>"backend"</span>
                <select name="backend" on:change=move |ev| form.update(|f| f.backend = event_target_value(&ev))>
                    <option value="auto" prop:selected=move || form.with(|f| f.backend == "auto")>
                        {if webgpu { "auto (WebGPU, else CPU)" } else { "auto (CPU: no WebGPU here)" }}
                    </option>
                    <option value="cpu" prop:selected=move || form.with(|f| f.backend == "cpu")>"CPU (wasm, SIMD)"</option>
                    <option value="webgpu" disabled=!webgpu prop:selected=move || form.with(|f| f.backend == "webgpu")>
                        {if webgpu { "WebGPU" } else { "WebGPU (not in this browser)" }}
                    </option>
                </select>
            </label>
            <label class="field" title="Where the GPU has shader-f16: faster matmuls, about 1e-3 less exact than fp32">
                <span>"WebGPU f16 matmuls"</span>
                <input type="checkbox" name="webgpu_f16" prop:checked=move || form.with(|f| f.webgpu_f16)
                    on:change=move |ev| form.update(|f| f.webgpu_f16 = event_target_checked(&ev))/>
            </label>
        </div>
    }
}

#[component]
fn ProgressLine() -> impl IntoView {
    let (state, _) = use_app();
    let progress = state.train.progress;
    let total = state.train.total_steps;
    let frac = Signal::derive(move || {
        let t = total.get().max(1) as f64;
        progress.get().map_or(0.0, |p| p.step as f64 / t)
    });
    view! {
        <div id="train-progress" class="row">
            <Bar fraction=frac/>
            <span class="num">{move || {
                let t = total.get();
                match progress.get() {
                    None => format!("0 / {t} steps"),
                    Some(p) => {
                        let rate = p.step as f64 / p.elapsed_s.max(1e-9);
                        let eta = (t.saturating_sub(p.step)) as f64 / rate.max(1e-9);
                        // A slow device (a CPU WebGPU adapter) still shows a non-zero speed.
                        let digits = if p.examples_per_s < 1.0 { 2 } else { 1 };
                        format!(
                            "step {} / {t} · epoch {:.2} · {} elapsed · ETA {} · {:.digits$} examples/s",
                            p.step, p.epoch, fmt_duration(p.elapsed_s), fmt_duration(eta), p.examples_per_s
                        )
                    }
                }
            }}</span>
        </div>
    }
}

/// What a screen reader hears of a run: its state, and each log as it comes (not every step).
#[component]
fn Announce() -> impl IntoView {
    let (state, _) = use_app();
    let (run, log, total) = (state.train.run, state.train.log, state.train.total_steps);
    let text = Memo::new(move |_| {
        // The last entry may carry no training loss (an evaluation, the run's summary): say the
        // last loss logged.
        let last = log.with(|l| {
            let loss = l.iter().rev().find_map(|e| e.loss);
            l.last().map(|e| (e.step, loss))
        });
        let at = match last {
            Some((step, Some(loss))) => format!(" Step {step} of {}, loss {loss:.4}.", total.get()),
            Some((step, None)) => format!(" Step {step} of {}.", total.get()),
            None => String::new(),
        };
        let said = match run.get() {
            RunState::Idle => return String::new(),
            RunState::Running => "Training.",
            RunState::Paused => "Training paused.",
            RunState::Stopped => "Training stopped.",
            RunState::Finished => "Training finished.",
        };
        format!("{said}{at}")
    });
    view! { <p id="train-announce" class="sr-only" role="status">{move || text.get()}</p> }
}

#[component]
fn Curves() -> impl IntoView {
    let (state, _) = use_app();
    let steps = state.train.steps;
    let log = state.train.log;
    let loss = Signal::derive(move || {
        let logged = log.with(|l| {
            l.iter()
                .filter_map(|e| Some((e.step as f64, e.loss?)))
                .collect::<Vec<_>>()
        });
        let eval = log.with(|l| {
            l.iter()
                .filter_map(|e| {
                    e.eval
                        .iter()
                        .find(|(k, _)| k == "eval_loss")
                        .map(|(_, v)| (e.step as f64, *v))
                })
                .collect::<Vec<_>>()
        });
        vec![
            Series {
                name: "loss".into(),
                color: COLORS[0],
                points: logged,
                dots: false,
            },
            Series {
                name: "eval_loss".into(),
                color: COLORS[1],
                points: eval,
                dots: true,
            },
        ]
    });
    let lr = Signal::derive(move || {
        let points = steps.with(|l| l.iter().map(|&(s, lr)| (s as f64, lr)).collect());
        vec![Series {
            name: "learning_rate".into(),
            color: COLORS[2],
            points,
            dots: false,
        }]
    });
    let metrics = Signal::derive(move || {
        // The task's metrics only: the loss has its own chart.
        log.with(|l| eval_metric_names(l))
            .into_iter()
            .filter(|k| k != "eval_loss")
            .enumerate()
            .map(|(i, name)| {
                let points = log.with(|l| {
                    l.iter()
                        .filter_map(|e| {
                            e.eval
                                .iter()
                                .find(|(k, _)| *k == name)
                                .map(|(_, v)| (e.step as f64, *v))
                        })
                        .collect()
                });
                Series {
                    name,
                    color: COLORS[(i + 2) % COLORS.len()],
                    points,
                    dots: true,
                }
            })
            .collect()
    });
    view! {
        <div class="charts" id="train-curves">
            <LineChart series=loss title="Training loss" x_label="step"/>
            <LineChart series=lr title="Learning rate" x_label="step"/>
            <LineChart series=metrics title="Evaluation metrics" x_label="step"/>
        </div>
        <Show when=move || log.with(|l| !l.is_empty())>
            <p class="explain"><a href="#train-log">"The numbers behind the curves: the log history table"</a></p>
        </Show>
    }
}

/// The evaluation metrics in the log, in order of appearance: not the epoch (an x of its own),
/// the runtime or the speeds.
fn eval_metric_names(log: &[LogEntry]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (k, _) in log.iter().flat_map(|e| e.eval.iter()) {
        let timing = k.ends_with("runtime") || k.contains("per_second");
        if k != "epoch" && !timing && !names.contains(k) {
            names.push(k.clone());
        }
    }
    names
}

/// The log history as the notebook prints it: one row per log, evaluation metrics beside.
/// `data-loss` keeps the full value (the tests compare it with the native engine).
#[component]
fn LogTable() -> impl IntoView {
    let (state, _) = use_app();
    let log = state.train.log;
    let metric_names = move || log.with(|l| eval_metric_names(l));
    view! {
        <Show when=move || log.with(|l| !l.is_empty())>
            <Scroll label="log history" class="log">
                <table id="train-log" class="rows">
                    <thead><tr>
                        <th>"step"</th><th>"epoch"</th><th>"loss"</th><th>"learning_rate"</th>
                        <th>"grad_norm"</th><th>"examples/s"</th>
                        {move || metric_names().into_iter().map(|n| view! { <th>{n}</th> }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {move || {
                            let names = metric_names();
                            log.get().into_iter().map(|e| {
                                let cell = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
                                let evals = names.iter().map(|n| {
                                    let v = e.eval.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
                                    view! { <td class="num">{cell(v)}</td> }
                                }).collect_view();
                                view! {
                                    <tr data-step=e.step data-loss=e.loss.map(|l| l.to_string()).unwrap_or_default()
                                        data-examples-per-second=e.examples_per_second.map(|v| v.to_string()).unwrap_or_default()
                                        data-wall=e.wall_s.to_string()>
                                        <td class="num">{e.step}</td>
                                        <td class="num">{format!("{:.2}", e.epoch)}</td>
                                        <td class="num">{cell(e.loss)}</td>
                                        <td class="num">{e.learning_rate.map(|v| format!("{v:.3e}")).unwrap_or_default()}</td>
                                        <td class="num">{cell(e.grad_norm)}</td>
                                        <td class="num">{e.examples_per_second.map(|v| format!("{v:.2}")).unwrap_or_default()}</td>
                                        {evals}
                                    </tr>
                                }
                            }).collect_view()
                        }}
                    </tbody>
                </table>
            </Scroll>
        </Show>
    }
}
