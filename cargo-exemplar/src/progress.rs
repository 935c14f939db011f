//! Showing a run as it happens: an indicatif progress bar when stderr is a terminal, plain
//! lines otherwise (CI logs, agents). It is the command line's [`Reporter`].

use std::io::IsTerminal;
use std::path::Path;

use exemplar_formats::run::SkippedPackage;
use std::time::{Duration, Instant};

use exemplar_formats::Outcome;
use exemplar_runner::{Reporter, RunEvent};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::style::{Style, Verbosity};

/// The progress display.
pub struct Progress {
    /// Draw a bar on a terminal (false: plain lines, as when tests print live).
    animate: bool,
    bar: Option<ProgressBar>,
    /// Tests running now, with when they started.
    running: Vec<(String, Instant)>,
    style: Style,
    verbosity: Verbosity,
}

impl Progress {
    /// A bar on a terminal (unless `animate` is false), else plain lines. The bar appears
    /// once the first test binary starts, so the build's output is never drawn over.
    pub fn new(style: Style, animate: bool, verbosity: Verbosity) -> Progress {
        Progress {
            animate: animate && verbosity != Verbosity::Quiet && std::io::stderr().is_terminal(),
            bar: None,
            running: Vec::new(),
            style,
            verbosity,
        }
    }

    fn bar(&mut self) -> Option<&ProgressBar> {
        if self.animate && self.bar.is_none() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            self.bar = Some(bar);
        }
        self.bar.as_ref()
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

    fn binary(&mut self, package: &str, kind: &str, target: &str) {
        let what = format!("{package} ({kind} {target})");
        let quiet = self.verbosity == Verbosity::Quiet;
        match self.bar() {
            Some(b) => b.set_message(what),
            None if quiet => {}
            None => eprintln!("{:>12} {what}", self.style.good("Running")),
        }
    }

    /// The bar's message: the test running longest, and for how long.
    fn show_slowest(&self) {
        let (Some(bar), Some((name, t0))) = (&self.bar, self.running.first()) else {
            return;
        };
        let more = match self.running.len() {
            1 => String::new(),
            n => format!(" (+{} running)", n - 1),
        };
        bar.set_message(format!("{name} {:.0}s{more}", t0.elapsed().as_secs_f64()));
    }

    fn finished(&mut self, name: &str, outcome: Outcome, message: Option<&str>, duration: f64) {
        self.running.retain(|(n, _)| n != name);
        if let Some(b) = &self.bar {
            b.inc(1);
        }
        self.show_slowest();
        if self.verbosity == Verbosity::Quiet {
            return;
        }
        if self.verbosity == Verbosity::Verbose && !outcome.is_failing() {
            let word = outcome.as_str().to_uppercase();
            let word = match outcome {
                Outcome::Passed => self.style.good(&word),
                _ => self.style.warn(&word),
            };
            self.line(&format!("{word:>12} [{duration:>7.3}s] {name}"));
        }
        if outcome.is_failing() {
            let first = message.map(exemplar_formats::headline).unwrap_or("");
            let word = match outcome {
                Outcome::Crashed => "CRASHED",
                Outcome::Timeout => "TIMEOUT",
                Outcome::Stranded => "STRANDED",
                Outcome::Flaky => "FLAKY",
                _ => "FAILED",
            };
            let sep = if first.is_empty() { "" } else { ": " };
            self.line(&format!("{:>12} {name}{sep}{first}", self.style.bad(word)));
        }
    }
}

impl Reporter for Progress {
    fn report(&mut self, event: RunEvent<'_>) {
        match event {
            RunEvent::Skipping { .. } if self.verbosity == Verbosity::Quiet => {}
            RunEvent::Skipping { packages, root } => self.skipping(packages, root),
            RunEvent::WaitingForJournal { dir, holder } => self.line(&format!(
                "{:>12} for the journal at {} (another run, pid {holder}, is writing it)",
                self.style.warn("Waiting"),
                dir.display()
            )),
            RunEvent::RecoveredJournal(note) => {
                self.line(&format!("{:>12} {note}", self.style.warn("Recovered")))
            }
            RunEvent::Warning(text) => {
                self.line(&format!("{:>12} {text}", self.style.warn("Warning")))
            }
            RunEvent::Changed { .. } if self.verbosity == Verbosity::Quiet => {}
            RunEvent::Changed { since, ids } => {
                let text = match ids {
                    [] => format!("no directive since {since}: no test runs"),
                    ids => format!("{} since {since}: running their tests", ids.join(", ")),
                };
                self.line(&format!("{:>12} {text}", self.style.good("Changed")));
            }
            RunEvent::BinaryStarted(bin) => self.binary(&bin.package, &bin.kind, &bin.target),
            RunEvent::Planned(n) => {
                if let Some(b) = self.bar() {
                    b.inc_length(n);
                }
            }
            RunEvent::TestStarted { name, .. } => {
                self.running.push((name.to_owned(), Instant::now()));
                self.show_slowest();
            }
            RunEvent::TestFinished { record: t, .. } => {
                if let Some(outcome) = t.outcome {
                    self.finished(&t.name, outcome, t.message.as_deref(), t.duration);
                }
            }
            RunEvent::TestSlow { name, seconds, .. } if self.verbosity != Verbosity::Quiet => {
                let word = self.style.warn("SLOW");
                self.line(&format!("{word:>12} {name}: running for {seconds:.0}s"));
            }
            RunEvent::TestSlow { .. } => {}
            RunEvent::TestAmended { record: t, .. } if self.verbosity != Verbosity::Quiet => {
                let first = t.message.as_deref().map(exemplar_formats::headline);
                let outcome = t.outcome.map_or("?", Outcome::as_str);
                let word = self.style.warn(&outcome.to_uppercase());
                self.line(&format!("{word:>12} {}: {}", t.name, first.unwrap_or("")));
            }
            RunEvent::TestAmended { .. }
            | RunEvent::TestUpdated { .. }
            | RunEvent::BinaryFinished { .. } => {}
            RunEvent::Executed => {
                if let Some(b) = self.bar.take() {
                    b.finish_and_clear();
                }
            }
        }
    }
}
