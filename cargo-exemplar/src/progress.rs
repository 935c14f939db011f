//! Showing a run as it happens: an indicatif progress bar when stderr is a terminal, plain
//! lines otherwise (CI logs, agents). It is the command line's [`Reporter`].

use std::io::IsTerminal;
use std::path::Path;

use exemplar_formats::run::SkippedPackage;
use std::time::Duration;

use exemplar_formats::Outcome;
use exemplar_runner::{Reporter, RunEvent};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::style::Style;

/// The progress display.
pub struct Progress {
    bar: Option<ProgressBar>,
    style: Style,
}

impl Progress {
    /// A bar on a terminal, else plain lines.
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
    fn line(&self, text: &str) {
        match &self.bar {
            Some(b) => b.println(text),
            None => eprintln!("{text}"),
        }
    }

    fn skipping(&self, skipped: &[SkippedPackage], root: &Path) {
        let text = match skipped {
            [] => return,
            [one] => format!(
                "package {}: no mission file at {}",
                one.package,
                one.looked_for
                    .strip_prefix(root)
                    .unwrap_or(&one.looked_for)
                    .display()
            ),
            many => format!(
                "{} packages without a mission file: {}",
                many.len(),
                many.iter()
                    .map(|s| s.package.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        self.line(&format!("{:>12} {text}", self.style.warn("Skipping")));
    }

    fn binary(&self, package: &str, kind: &str, target: &str) {
        let what = format!("{package} ({kind} {target})");
        match &self.bar {
            Some(b) => b.set_message(what),
            None => eprintln!("{:>12} {what}", self.style.good("Running")),
        }
    }

    fn finished(&self, name: &str, outcome: Outcome, message: Option<&str>) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
        if outcome.is_failing() {
            let first = message.map(exemplar_formats::headline).unwrap_or("");
            let word = match outcome {
                Outcome::Crashed => "CRASHED",
                Outcome::Timeout => "TIMEOUT",
                _ => "FAILED",
            };
            self.line(&format!("{:>12} {name}: {first}", self.style.bad(word)));
        }
    }
}

impl Reporter for Progress {
    fn report(&mut self, event: RunEvent<'_>) {
        match event {
            RunEvent::Skipping { packages, root } => self.skipping(packages, root),
            RunEvent::WaitingForJournal { dir, holder } => self.line(&format!(
                "{:>12} for the journal at {} (another run, pid {holder}, is writing it)",
                self.style.warn("Waiting"),
                dir.display()
            )),
            RunEvent::RecoveredJournal(note) => {
                self.line(&format!("{:>12} {note}", self.style.warn("Recovered")))
            }
            RunEvent::BinaryStarted(bin) => self.binary(&bin.package, &bin.kind, &bin.target),
            RunEvent::Planned(n) => {
                if let Some(b) = &self.bar {
                    b.inc_length(n);
                }
            }
            RunEvent::TestFinished(t) => {
                if let Some(outcome) = t.outcome {
                    self.finished(&t.name, outcome, t.message.as_deref());
                }
            }
            RunEvent::Executed => {
                if let Some(b) = &self.bar {
                    b.finish_and_clear();
                }
            }
        }
    }
}
