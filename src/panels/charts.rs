//! Small SVG charts: a line chart for the curves, a bar chart for the length histogram.
//! Plain SVG in a fixed view box; the page's CSS scales it.

use leptos::prelude::*;

const W: f64 = 480.0;
const H: f64 = 180.0;
/// Room for the axis labels.
const LEFT: f64 = 52.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;
const RIGHT: f64 = 10.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    /// A CSS colour.
    pub color: &'static str,
    pub points: Vec<(f64, f64)>,
    /// Draw dots (sparse series such as evaluations) instead of a line.
    pub dots: bool,
}

/// Axis bounds over every point, padded so a flat series still shows.
fn bounds(series: &[Series]) -> Option<(f64, f64, f64, f64)> {
    let pts = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|p| p.1.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    let mut any = false;
    for &(x, y) in pts {
        any = true;
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !any {
        return None;
    }
    if x1 - x0 < 1e-12 {
        x1 = x0 + 1.0;
    }
    if y1 - y0 < 1e-12 {
        let pad = (y0.abs() * 0.1).max(1e-6);
        y0 -= pad;
        y1 += pad;
    }
    Some((x0, x1, y0, y1))
}

/// A short label for an axis value (`5e-5`, `0.693`, `1200`).
fn tick(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-2..1e5).contains(&a) {
        format!("{v:.1e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// The chart in words, for screen readers: each series' first and last point.
fn describe(title: &str, x_label: &str, series: &[Series]) -> String {
    let parts: Vec<String> = series
        .iter()
        .filter_map(|s| {
            let (first, last) = (s.points.first()?, s.points.last()?);
            Some(format!(
                "{}: {} points, {} {} to {}, from {} to {}",
                s.name,
                s.points.len(),
                x_label,
                tick(first.0),
                tick(last.0),
                tick(first.1),
                tick(last.1)
            ))
        })
        .collect();
    match parts.is_empty() {
        true => format!("{title}: no data yet"),
        false => format!("{title}. {}.", parts.join("; ")),
    }
}

/// A line chart of one or more series against a shared x axis (`x_label`: "step").
#[component]
pub fn LineChart(
    #[prop(into)] series: Signal<Vec<Series>>,
    title: &'static str,
    x_label: &'static str,
) -> impl IntoView {
    let body = move || {
        let all = series.get();
        let Some((x0, x1, y0, y1)) = bounds(&all) else {
            return view! { <text x=W / 2.0 y=H / 2.0 class="empty" text-anchor="middle">"no data yet"</text> }
                .into_any();
        };
        let sx = move |x: f64| LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        let sy = move |y: f64| H - BOTTOM - (y - y0) / (y1 - y0) * (H - BOTTOM - TOP);
        let lines = all
            .iter()
            .map(|s| {
                let pts: Vec<(f64, f64)> =
                    s.points.iter().filter(|p| p.1.is_finite()).map(|&(x, y)| (sx(x), sy(y))).collect();
                if s.dots || pts.len() == 1 {
                    pts.into_iter()
                        .map(|(x, y)| view! { <circle cx=x cy=y r="3" fill=s.color/> }.into_any())
                        .collect::<Vec<_>>()
                } else {
                    let d = pts.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ");
                    vec![view! { <polyline points=d fill="none" stroke=s.color stroke-width="1.5"/> }.into_any()]
                }
            })
            .collect::<Vec<_>>();
        let legend = all
            .iter()
            .enumerate()
            .map(|(i, s)| {
                // The name in the ink colour (legible on any background), a swatch in the line's.
                let y = TOP + 10.0 + 12.0 * i as f64;
                view! {
                    <text x=W - RIGHT - 18.0 y=y text-anchor="end" class="legend">{s.name.clone()}</text>
                    <line x1=W - RIGHT - 14.0 y1=y - 3.5 x2=W - RIGHT - 2.0 y2=y - 3.5 stroke=s.color stroke-width="3"/>
                }
            })
            .collect::<Vec<_>>();
        view! {
            <g class="axes">
                <line x1=LEFT y1=H - BOTTOM x2=W - RIGHT y2=H - BOTTOM/>
                <line x1=LEFT y1=TOP x2=LEFT y2=H - BOTTOM/>
                <text x=LEFT - 4.0 y=TOP + 8.0 text-anchor="end">{tick(y1)}</text>
                <text x=LEFT - 4.0 y=H - BOTTOM text-anchor="end">{tick(y0)}</text>
                <text x=LEFT y=H - 6.0 text-anchor="start">{tick(x0)}</text>
                <text x=W - RIGHT y=H - 6.0 text-anchor="end">{tick(x1)}</text>
                <text x=(LEFT + W) / 2.0 y=H - 6.0 text-anchor="middle">{x_label}</text>
            </g>
            {lines}
            {legend}
        }
        .into_any()
    };
    view! {
        <figure class="chart">
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none" role="img"
                aria-label=move || series.with(|s| describe(title, x_label, s))>{body}</svg>
        </figure>
    }
}

/// Vertical bars: `counts[i]` is the bin `[i * bin_width, (i + 1) * bin_width)`.
#[component]
pub fn HistogramChart(counts: Vec<usize>, bin_width: usize, title: String) -> impl IntoView {
    let n = counts.len().max(1) as f64;
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let bw = (W - LEFT - RIGHT) / n;
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let h = c as f64 / top * (H - BOTTOM - TOP);
            let tip = format!("{}–{} tokens: {c} rows", i * bin_width, (i + 1) * bin_width - 1);
            view! {
                <rect x=LEFT + i as f64 * bw + 0.5 y=H - BOTTOM - h width=(bw - 1.0).max(0.5) height=h class="hbar">
                    <title>{tip}</title>
                </rect>
            }
        })
        .collect::<Vec<_>>();
    let last = counts.len() * bin_width;
    let peak = counts
        .iter()
        .enumerate()
        .max_by_key(|&(_, c)| *c)
        .map_or(0, |(i, _)| i);
    let summary = format!(
        "{title}: {} rows in bins of {bin_width} tokens from 0 to {last}; the most, {}, at {}–{} tokens.",
        counts.iter().sum::<usize>(),
        counts.get(peak).copied().unwrap_or(0),
        peak * bin_width,
        ((peak + 1) * bin_width).saturating_sub(1)
    );
    view! {
        <figure class="chart">
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none" role="img" aria-label=summary>
                <g class="axes">
                    <line x1=LEFT y1=H - BOTTOM x2=W - RIGHT y2=H - BOTTOM/>
                    <text x=LEFT - 4.0 y=TOP + 8.0 text-anchor="end">{top as u64}</text>
                    <text x=LEFT - 4.0 y=H - BOTTOM text-anchor="end">"0"</text>
                    <text x=LEFT y=H - 6.0>"0"</text>
                    <text x=W - RIGHT y=H - 6.0 text-anchor="end">{last}</text>
                    <text x=(LEFT + W) / 2.0 y=H - 6.0 text-anchor="middle">"tokens per row"</text>
                </g>
                {bars}
            </svg>
        </figure>
    }
}
