//! `cargo exemplar design log [ID]`: the lineage of the design, from the journal's patch
//! records, with where the file was edited by hand between patches or since the last one.

use std::collections::BTreeMap;

use exemplar_formats::patch::{DesignOp, PatchEntry, PatchLog};
use exemplar_mission::patch::design_fingerprint;

use crate::cli::DesignLogArgs;
use crate::errors::{Error, ExitCode};
use crate::query::{emit, time};

/// Show the patches (those touching `args.id`, when given), oldest first.
pub(super) fn command(args: &DesignLogArgs) -> Result<ExitCode, Error> {
    let (_, ix, found) = crate::query::open_with_workspace(&args.journal)?;
    let (mission, id) = match args.id.as_deref().map(|t| t.rsplit_once('/')) {
        Some(Some((m, id))) => (Some(m.to_owned()), Some(id.to_owned())),
        Some(None) => (None, args.id.clone()),
        None => (None, None),
    };
    let mut last_result: BTreeMap<String, String> = BTreeMap::new();
    let mut patches = Vec::new();
    for (seq, p) in ix.design_patches()? {
        let operations: Vec<DesignOp> = serde_json::from_str(&p.operations).map_err(|e| {
            Error::Usage(format!(
                "the journal's design patch #{seq} does not read: {e}"
            ))
        })?;
        let edited_between = last_result.get(&p.mission).is_some_and(|r| *r != p.base);
        last_result.insert(p.mission.clone(), p.result.clone());
        let touches = id.as_deref().is_none_or(|id| touches(&operations, id));
        if touches && mission.as_deref().is_none_or(|m| m == p.mission) {
            patches.push(PatchEntry {
                seq,
                at: time(p.at_ms.div_euclid(1000)),
                mission: p.mission,
                base: p.base,
                result: p.result,
                edited_between,
                operations,
                note: p.note,
                author: p.author,
            });
        }
    }
    let current: BTreeMap<String, String> = found
        .map(|f| {
            f.packages
                .iter()
                .map(|p| {
                    (
                        p.mission.id.clone(),
                        design_fingerprint(&p.mission.design).to_hex(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let human = human(&patches, &current, &last_result, id.as_deref());
    let doc = PatchLog {
        format: "exemplar-design-log".into(),
        version: 1,
        id,
        patches,
        current,
    };
    emit(args.journal.message_format, human, &doc);
    Ok(ExitCode::Ok)
}

/// Whether an operation is about `id`: on it, or adding or moving a node under it.
fn touches(ops: &[DesignOp], id: &str) -> bool {
    ops.iter().any(|op| {
        op.id() == id
            || matches!(op, DesignOp::Add { parent: Some(p), .. } | DesignOp::Move { parent: Some(p), .. } if p == id)
    })
}

fn human(
    patches: &[PatchEntry],
    current: &BTreeMap<String, String>,
    last: &BTreeMap<String, String>,
    id: Option<&str>,
) -> String {
    let short = |h: &str| h[..16.min(h.len())].to_owned();
    let mut out = String::new();
    if patches.is_empty() {
        out.push_str(&match id {
            Some(id) => format!("no design patch touches {id}\n"),
            None => "no design patches yet (`cargo exemplar design --help`)\n".to_owned(),
        });
    }
    for p in patches {
        if p.edited_between {
            out.push_str(&format!("   ({} edited by hand before this)\n", p.mission));
        }
        out.push_str(&format!(
            "#{:<6} {}  {}  {} -> {}  {}\n",
            p.seq,
            p.at,
            p.mission,
            short(&p.base),
            short(&p.result),
            p.author.as_deref().unwrap_or("-")
        ));
        for op in &p.operations {
            out.push_str(&format!("         {op}\n"));
        }
        if let Some(note) = &p.note {
            out.push_str(&format!("         note: {note}\n"));
        }
    }
    for (mission, now) in current {
        match last.get(mission) {
            Some(r) if r == now => {
                out.push_str(&format!(
                    "{mission}: the design is as the latest patch left it ({})\n",
                    short(now)
                ));
            }
            Some(_) => out.push_str(&format!(
                "{mission}: the design was edited by hand since the latest patch (now {})\n",
                short(now)
            )),
            None => {}
        }
    }
    out
}
