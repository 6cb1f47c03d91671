//! One module per panel, in the course's order, and the small pieces they share.

pub mod batches;
pub mod charts;
pub mod checkpoint;
pub mod dataset;
pub mod evaluate;
pub mod export;
pub mod tokenize;
pub mod train;
pub mod try_it;

use crate::app::{AppState, Link};
use leptos::prelude::*;

/// The state and the worker link every panel needs.
pub fn use_app() -> (AppState, Link) {
    (expect_context::<AppState>(), expect_context::<Link>())
}

/// A numbered panel with an anchor (`#id`) and the course's heading.
#[component]
pub fn Panel(id: &'static str, n: u32, title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="panel" id=id>
            <h2><span class="num">{n}</span>{title}</h2>
            {children()}
        </section>
    }
}

/// A box that scrolls wide or tall content inside the page, so the page itself never scrolls
/// sideways. A named region with a tab stop: the keyboard reaches it and scrolls it with the arrows.
#[component]
pub fn Scroll(
    #[prop(into)] label: String,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <div class=format!("scroll {class}") tabindex="0" role="region" aria-label=label>
            {children()}
        </div>
    }
}

/// `1234567` -> `1.23 MB`.
pub fn fmt_bytes(b: f64) -> String {
    match b {
        b if b >= 1e9 => format!("{:.2} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.1} MB", b / 1e6),
        b if b >= 1e3 => format!("{:.0} kB", b / 1e3),
        b => format!("{b:.0} B"),
    }
}

/// `66362880` -> `66.4M`.
pub fn fmt_count(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.2}B", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1}M", n as f64 / 1e6),
        n if n >= 10_000 => format!("{:.1}k", n as f64 / 1e3),
        n => n.to_string(),
    }
}

/// Seconds as `1:05:09` or `4:07`.
pub fn fmt_duration(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return "–".into();
    }
    let s = s.round() as u64;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A number as a form field shows it (`5e-5` stays `0.00005`).
pub fn parse_or<T: std::str::FromStr + Copy>(text: &str, fallback: T) -> T {
    text.trim().parse().unwrap_or(fallback)
}

/// Softmax probabilities and metric values as a bar: `width` in percent. Hidden from screen
/// readers: every bar has its number in text beside it.
#[component]
pub fn Bar(#[prop(into)] fraction: Signal<f64>) -> impl IntoView {
    view! {
        <div class="bar" aria-hidden="true"><div class="fill"
            style:width=move || format!("{:.1}%", (fraction.get() * 100.0).clamp(0.0, 100.0))>
        </div></div>
    }
}
