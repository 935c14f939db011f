//! Loss curves as inline SVG.
//!
//! A small hand-made module rather than a plotting crate: the charts are one polyline over a
//! fixed 0..1 loss axis with a few labels and era markers, which is a few dozen lines, while a
//! plotting crate (plotters and its font stack) would be most of this binary's build. Every
//! value drawn is a number; labels go through maud and are escaped.

use maud::{Markup, html};

/// A chart's size in SVG units.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Draw axes and labels.
    pub axes: bool,
}

/// The main curve of a mission.
pub const LARGE: Size = Size {
    w: 640.0,
    h: 200.0,
    axes: true,
};
/// A directive's small curve.
pub const SMALL: Size = Size {
    w: 160.0,
    h: 36.0,
    axes: false,
};

/// A loss curve over `runs` runs: `points` are (run index, loss in 0..1); `eras` are run
/// indexes where the design changed.
pub fn curve(
    points: &[(usize, f64)],
    runs: usize,
    eras: &[usize],
    size: Size,
    label: &str,
) -> Markup {
    let pad = if size.axes { 28.0 } else { 2.0 };
    let span = (runs.max(2) - 1) as f64;
    let x = |i: usize| pad + (i as f64 / span) * (size.w - 2.0 * pad);
    let y = |l: f64| pad + (1.0 - l.clamp(0.0, 1.0)) * (size.h - 2.0 * pad);
    let pts: String = points
        .iter()
        .map(|(i, l)| format!("{:.1},{:.1}", x(*i), y(*l)))
        .collect::<Vec<_>>()
        .join(" ");
    let last = points.last().copied();
    html! {
        svg class=(if size.axes { "curve large" } else { "curve small" })
            viewBox=(format!("0 0 {} {}", size.w, size.h))
            role="img" aria-label=(label) {
            title { (label) }
            @if size.axes {
                line class="axis" x1=(pad) y1=(y(0.0)) x2=(size.w - pad) y2=(y(0.0)) {}
                line class="axis" x1=(pad) y1=(y(1.0)) x2=(pad) y2=(y(0.0)) {}
                text class="tick" x=(pad - 4.0) y=(y(1.0) + 4.0) text-anchor="end" { "1" }
                text class="tick" x=(pad - 4.0) y=(y(0.0) + 4.0) text-anchor="end" { "0" }
                text class="tick" x=(size.w - pad) y=(size.h - 6.0) text-anchor="end" { (runs) " runs" }
            }
            @for e in eras {
                line class="era" x1=(format!("{:.1}", x(*e))) y1=(pad) x2=(format!("{:.1}", x(*e))) y2=(size.h - pad) {}
            }
            @if points.len() == 1 {
                circle class="dot" cx=(format!("{:.1}", x(points[0].0))) cy=(format!("{:.1}", y(points[0].1))) r="2.5" {}
            } @else if !points.is_empty() {
                polyline class="line" points=(pts) {}
            }
            @if let Some((i, l)) = last {
                circle class=(if l > 0.0 { "dot bad" } else { "dot good" }) cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(l))) r="2.5" {}
            }
        }
    }
}
