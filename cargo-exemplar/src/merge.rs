//! `cargo exemplar merge`: the shards of a partitioned run, imported into one journal, made
//! the one run they are together, shown as a run is — or, with `--check`, gated as `check`
//! gates a run.

use crate::cli::MergeArgs;
use crate::errors::{Error, ExitCode};
use crate::style::ColorChoice;

/// `cargo exemplar merge`.
pub fn command(args: &MergeArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    crate::check::max_loss_in_range(args.max_loss)?;
    let plan = exemplar_runner::merge::MergePlan {
        selection: exemplar_runner::Selection {
            manifest_path: args.manifest_path.clone(),
            ..Default::default()
        },
        journal: match &args.journal {
            Some(dir) => exemplar_runner::JournalChoice::At(dir.clone()),
            None => exemplar_runner::JournalChoice::Default,
        },
        run_group: args.run_group.clone(),
        rewrite: !args.no_rewrite,
        note: args.note.clone(),
    };
    let session = exemplar_runner::merge::merge(&plan)?;
    let gate = args.check.then_some(crate::check::Gate {
        baseline: args.baseline.as_deref(),
        max_loss: args.max_loss,
        format: args.message_format,
    });
    crate::check::show_or_judge(&session, gate, args.message_format, color)
}
