//! `cargo exemplar ingest`: the results of another runner made a run, shown as a run is — or,
//! with `--check`, gated as `check` gates a run.

use exemplar_runner::ingest::{IngestPlan, ReportFile, ReportKind};
use exemplar_runner::{Reporter, RunEvent};

use crate::cli::IngestArgs;
use crate::errors::{Error, ExitCode};
use crate::style::{ColorChoice, Style};

/// Warnings to stderr, as a run shows them.
struct Warnings(Style);

impl Reporter for Warnings {
    fn report(&mut self, event: RunEvent<'_>) {
        match event {
            RunEvent::Warning(text) => eprintln!("{:>12} {text}", self.0.warn("Warning")),
            RunEvent::WaitingForJournal { dir, holder } => eprintln!(
                "{:>12} for {holder} to finish with the journal at {}",
                self.0.warn("Waiting"),
                dir.display()
            ),
            _ => {}
        }
    }
}

/// `cargo exemplar ingest`.
pub fn command(args: &IngestArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    crate::check::max_loss_in_range(args.max_loss)?;
    let mut reports: Vec<ReportFile> = args
        .junit
        .iter()
        .map(|p| ReportFile {
            kind: ReportKind::Junit,
            path: p.clone(),
        })
        .collect();
    reports.extend(args.pytest_reportlog.iter().map(|p| ReportFile {
        kind: ReportKind::PytestReportLog,
        path: p.clone(),
    }));
    let plan = IngestPlan {
        selection: exemplar_runner::Selection {
            packages: args.packages.clone(),
            workspace: args.workspace,
            manifest_path: args.manifest_path.clone(),
            mission: args.mission.clone(),
            ..Default::default()
        },
        journal: match &args.journal {
            Some(dir) => exemplar_runner::JournalChoice::At(dir.clone()),
            None => exemplar_runner::JournalChoice::Default,
        },
        reports,
        source_root: args.source_root.clone(),
        complete: args.complete,
        rewrite: !args.no_rewrite,
        note: args.note.clone(),
        wait: !args.no_wait,
    };
    let mut warnings = Warnings(color.for_stderr());
    let session = exemplar_runner::ingest::ingest(&plan, &mut warnings)?;
    let gate = args.check.then_some(crate::check::Gate {
        baseline: args.baseline.as_deref(),
        max_loss: args.max_loss,
        format: args.message_format,
    });
    crate::check::show_or_judge(&session, gate, args.message_format, color)
}
