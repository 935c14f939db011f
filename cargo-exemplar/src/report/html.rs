//! The HTML report: one self-contained page (inline CSS and SVG, no script, no network), readable
//! on a phone and in dark mode. maud escapes every value, so test names and messages are text.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::data::ReportData;
use super::svg;
use crate::query::time;

const CSS: &str = r#"
:root { --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de; --bad: #cf222e; --good: #1a7f37; --accent: #0969da; --era: #bf8700; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #8d96a0; --line: #30363d; --bad: #ff7b72; --good: #3fb950; --accent: #58a6ff; --era: #d29922; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
.muted { color: var(--muted); } .bad { color: var(--bad); } .good { color: var(--good); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0.2rem 0 0; font-size: 0.8rem; }
svg.curve { color: var(--accent); display: block; }
svg.large { width: 100%; max-width: 640px; height: auto; }
svg.small { width: 160px; height: 36px; }
svg .line { fill: none; stroke: currentColor; stroke-width: 1.5; }
svg .axis { stroke: var(--line); }
svg .era { stroke: var(--era); stroke-dasharray: 3 2; }
svg .tick { fill: var(--muted); font-size: 10px; }
svg .dot.bad { fill: var(--bad); } svg .dot.good { fill: var(--good); } svg .dot { fill: currentColor; }
"#;

fn loss(l: Option<f64>) -> Markup {
    match l {
        Some(v) if v > 0.0 => html! { span class="bad" { (format!("{v:.3}")) } },
        Some(v) => html! { span class="good" { (format!("{v:.3}")) } },
        None => html! { span class="muted" { "–" } },
    }
}

/// The page.
pub fn render(d: &ReportData) -> String {
    let runs = d.runs.len();
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { "exemplar report" }
                style { (PreEscaped(CSS)) }
            }
            body {
                h1 { "exemplar report" }
                @if let Some(r) = d.latest() {
                    p class="muted" {
                        (runs) " runs; latest " code { (r.run_id) } " at " (time(r.started_at))
                        @if let Some(c) = &r.commit { " on " code { (c) } }
                        @if !r.complete() { " (incomplete)" }
                    }
                } @else {
                    p class="muted" { "The journal has no runs yet." }
                }
                @for m in &d.missions {
                    section class="mission" id=(format!("mission-{}", m.id)) {
                        h2 { "Mission " (m.id) ": " (m.name) " — loss " (loss(m.loss)) }
                        (svg::curve(&m.curve, runs, &[], svg::LARGE, &format!("loss of mission {} over {runs} runs", m.id)))
                        div class="scroll" {
                            table class="design" {
                                thead { tr { th { "ID" } th { "Name" } th { "Status" } th { "Loss" } th { "Curve" } } }
                                tbody {
                                    @for n in &m.nodes {
                                        tr {
                                            td { code { (n.id) } }
                                            td style=(format!("padding-left: {}rem", 0.5 + n.depth as f64 * 1.2)) {
                                                (n.name)
                                                @if let Some(i) = &n.invariant { br; span class="muted" { (i) } }
                                            }
                                            td { (n.status.as_str()) }
                                            td class="num" { (loss(n.loss)) }
                                            td { (svg::curve(&n.curve, runs, &n.eras, svg::SMALL, &format!("loss of {} over {runs} runs", n.id))) }
                                        }
                                    }
                                }
                            }
                        }
                        p class="muted" { "Dashed lines mark a change of the directive (a new era: older evidence no longer counts)." }
                    }
                }
                h2 { "Tests of the latest run" }
                div class="scroll" {
                    table class="tests" {
                        thead { tr { th { "Test" } th { "Directives" } th { "Outcome" } th { "Seconds" } } }
                        tbody {
                            @for t in &d.tests {
                                tr {
                                    td { code { (t.reference) } @if let Some(m) = &t.message { pre { (m) } } }
                                    td { (t.ids.join(", ")) }
                                    td class=(if matches!(t.outcome, "failed" | "crashed" | "timeout") { "bad" } else { "" }) { (t.outcome) }
                                    td class="num" { (format!("{:.3}", t.duration)) }
                                }
                            }
                        }
                    }
                }
                h2 { "Flaky tests" }
                @if d.flaky.is_empty() {
                    p class="muted" { "None: no outcome changed between runs of the same clean commit." }
                } @else {
                    ul class="flaky" {
                        @for f in &d.flaky {
                            li {
                                code { (f.reference) } " at " code { (f.commit) } ": "
                                (f.outcomes.iter().map(|o| word(o.outcome)).collect::<Vec<_>>().join(" → "))
                            }
                        }
                    }
                }
                h2 { "Since the previous run" }
                @if let Some((a, b, diff)) = &d.diff {
                    p class="muted" { code { (a) } " → " code { (b) } }
                    @if diff.is_empty() {
                        p { "No difference." }
                    }
                    @if !diff.flipped.is_empty() {
                        div class="scroll" {
                            table class="flipped" {
                                thead { tr { th { "Test" } th { "Before" } th { "After" } } }
                                tbody {
                                    @for f in &diff.flipped {
                                        tr { td { code { (f.reference) } } td { (word(f.from)) } td { (word(f.to)) } }
                                    }
                                }
                            }
                        }
                    }
                    @if !diff.loss.is_empty() {
                        ul class="loss-deltas" {
                            @for l in &diff.loss {
                                li { (l.mission) " " (if l.node.is_empty() { "(mission)" } else { l.node.as_str() }) ": " (loss(l.from)) " → " (loss(l.to)) }
                            }
                        }
                    }
                    @for (label, list) in [("added", &diff.design.added), ("changed", &diff.design.changed), ("removed", &diff.design.removed)] {
                        @if !list.is_empty() {
                            p { "Design " (label) ": " (list.iter().map(|n| format!("{}/{}", n.mission, n.id)).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                } @else {
                    p class="muted" { "Only one run so far." }
                }
                p class="muted" { "Generated by cargo exemplar from the signal journal." }
            }
        }
    };
    page.into_string()
}

fn word(o: Option<exemplar_formats::Outcome>) -> &'static str {
    o.map_or("absent", exemplar_formats::Outcome::as_str)
}
