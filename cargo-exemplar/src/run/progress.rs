//! Showing a run as it happens: an indicatif progress bar when stderr is a terminal, plain
//! lines otherwise (CI logs, agents).

use std::io::IsTerminal;
use std::time::Duration;

use exemplar_mission::Outcome;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::style::Style;

/// The progress display.
pub struct Progress {
    bar: Option<ProgressBar>,
    style: Style,
}

impl Progress {
    /// A bar on a terminal, else plain lines; `quiet` shows only failures.
    pub fn new(style: Style) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress { bar, style }
    }

    /// Print a line above the bar (or plainly).
    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(b) => b.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// A binary starts.
    pub fn binary(&self, package: &str, kind: &str, target: &str) {
        let what = if kind == "test" {
            format!("{package} (test {target})")
        } else {
            format!("{package} ({kind} {target})")
        };
        let text = format!("{:>12} {what}", self.style.good("Running"));
        match &self.bar {
            Some(b) => b.set_message(what),
            None => eprintln!("{text}"),
        }
    }

    /// A binary listed `n` tests that will run or be reported.
    pub fn planned(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc_length(n);
        }
    }

    /// A test has an outcome.
    pub fn finished(&self, name: &str, outcome: Outcome, message: Option<&str>) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
        if outcome.is_failing() {
            let first = message.and_then(|m| m.lines().next()).unwrap_or("");
            let word = match outcome {
                Outcome::Crashed => "CRASHED",
                Outcome::Timeout => "TIMEOUT",
                _ => "FAILED",
            };
            self.line(&format!("{:>12} {name}: {first}", self.style.bad(word)));
        }
    }

    /// The run is over.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
