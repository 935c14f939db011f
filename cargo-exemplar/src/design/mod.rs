//! `cargo exemplar design`: the design changed by structured patches, and their lineage.
//!
//! A patch command builds an [`exemplar-design-patch`](exemplar_formats::patch) document from
//! its flags (or reads one, `design apply`), takes the journal's writer lock (so no run or
//! other patch writes the mission file meanwhile), reads the mission file, checks the patch
//! against it ([`exemplar_mission::patch`]: ids, parents, cycles, values, linked tests, and the
//! `--base` fingerprint), writes the file atomically (refused if it changed since it was read)
//! and records the patch in the journal with the fingerprints before and after. `design log`
//! reads them back.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use exemplar_formats::design::Status;
use exemplar_formats::patch::{
    Conflict, DesignOp, DesignPatch, PATCH_FORMAT, PATCH_VERSION, PatchApplied,
};
use exemplar_mission::PatchError;
use exemplar_mission::patch::{self, LinkedTest};
use exemplar_mission::rewrite::write_atomic;
use exemplar_runner::discover::{self, MissionPackage};
use exemplar_runner::{JournalChoice, Selection};
use exemplar_store::records::DesignPatched;
use exemplar_store::{Contention, JournalWriter, Record, WriterOptions};

use crate::cli::{DesignAction, DesignCommand, DetailArgs, PatchArgs};
use crate::errors::{Error, ExitCode};
use crate::query::emit;

mod log;

/// Run a `design` subcommand.
pub fn command(cmd: &DesignCommand) -> Result<ExitCode, Error> {
    let (patch, args, id) = match &cmd.action {
        DesignAction::Log(args) => return log::command(args),
        DesignAction::Apply(a) => (read_document(&a.file)?, &a.patch, None),
        other => {
            let (op, args, id) = operation(other)?;
            let doc = DesignPatch {
                format: None,
                version: PATCH_VERSION,
                mission: None,
                base: None,
                note: None,
                author: None,
                operations: vec![op],
            };
            (doc, args, Some(id))
        }
    };
    apply(patch, args, id.as_deref())
}

/// One operation from its flags, with the patch flags and the id as typed (`MISSION/S3`).
fn operation(action: &DesignAction) -> Result<(DesignOp, &PatchArgs, String), Error> {
    let id = |typed: &str| bare(typed).to_owned();
    Ok(match action {
        DesignAction::Add(a) => {
            let detail = detail_map(&a.detail)?;
            let op = DesignOp::Add {
                id: id(&a.id),
                name: a.name.clone(),
                parent: a.parent.clone(),
                status: a.proposed.then_some(Status::Proposed),
                detail,
            };
            (op, &a.patch, a.id.clone())
        }
        DesignAction::Update(a) => {
            let mut detail: BTreeMap<String, Option<String>> = detail_map(&a.detail)?
                .into_iter()
                .map(|(k, v)| (k, Some(v)))
                .collect();
            for key in &a.unset {
                if detail.insert(key.clone(), None).is_some() {
                    return Err(Error::Usage(format!("--unset {key}: the key is also set")));
                }
            }
            let op = DesignOp::Update {
                id: id(&a.id),
                name: a.name.clone(),
                detail,
            };
            (op, &a.patch, a.id.clone())
        }
        DesignAction::Retire(a) => (DesignOp::Retire { id: id(&a.id) }, &a.patch, a.id.clone()),
        DesignAction::Propose(a) => (DesignOp::Propose { id: id(&a.id) }, &a.patch, a.id.clone()),
        DesignAction::Activate(a) => (DesignOp::Activate { id: id(&a.id) }, &a.patch, a.id.clone()),
        DesignAction::Remove(a) => (DesignOp::Remove { id: id(&a.id) }, &a.patch, a.id.clone()),
        DesignAction::Move(a) => {
            let op = DesignOp::Move {
                id: id(&a.id),
                parent: if a.top { None } else { a.parent.clone() },
            };
            (op, &a.patch, a.id.clone())
        }
        DesignAction::Apply(_) | DesignAction::Log(_) => unreachable!("handled by the caller"),
    })
}

/// `S3` of `kv/S3`.
fn bare(typed: &str) -> &str {
    typed.rsplit_once('/').map(|(_, id)| id).unwrap_or(typed)
}

fn detail_map(d: &DetailArgs) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    let named = [
        ("invariant", &d.invariant),
        ("constraint", &d.constraint),
        ("tradeoff", &d.tradeoff),
        ("type", &d.kind),
        ("content", &d.content),
    ];
    for (key, value) in named {
        if let Some(v) = value {
            out.insert(key.to_owned(), v.clone());
        }
    }
    for pair in &d.detail {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(Error::Usage(format!("--detail {pair}: expected KEY=VALUE")));
        };
        if out.insert(k.trim().to_owned(), v.to_owned()).is_some() {
            return Err(Error::Usage(format!(
                "--detail {pair}: `{k}` is given twice"
            )));
        }
    }
    Ok(out)
}

/// A patch document from a file or stdin, refused with its line and column when it does not
/// read.
fn read_document(file: &Path) -> Result<DesignPatch, Error> {
    let text = if file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|source| Error::Io {
                action: "read",
                path: file.to_owned(),
                source,
            })?;
        s
    } else {
        std::fs::read_to_string(file).map_err(|source| Error::Io {
            action: "read",
            path: file.to_owned(),
            source,
        })?
    };
    let doc: DesignPatch = serde_json::from_str(&text).map_err(|e| {
        Error::Usage(format!(
            "{}:{}:{}: not a design patch: {e}",
            file.display(),
            e.line(),
            e.column()
        ))
    })?;
    if doc.version != PATCH_VERSION || doc.format.as_deref().is_some_and(|f| f != PATCH_FORMAT) {
        return Err(Error::Usage(format!(
            "{}: a design patch of format {} version {} (this cargo-exemplar reads {PATCH_FORMAT} version {PATCH_VERSION})",
            file.display(),
            doc.format.as_deref().unwrap_or(PATCH_FORMAT),
            doc.version
        )));
    }
    if doc.operations.is_empty() {
        return Err(Error::Usage(format!(
            "{}: the patch has no operations",
            file.display()
        )));
    }
    Ok(doc)
}

/// Check, write and journal `doc`.
fn apply(doc: DesignPatch, args: &PatchArgs, typed_id: Option<&str>) -> Result<ExitCode, Error> {
    let mission_hint = doc.mission.clone().or_else(|| {
        typed_id
            .and_then(|t| t.rsplit_once('/'))
            .map(|(m, _)| m.to_owned())
    });
    let found = discover::discover(&Selection {
        workspace: args.package.is_none(),
        packages: args.package.iter().cloned().collect(),
        manifest_path: args.journal.manifest_path.clone(),
        ..Selection::default()
    })?;
    let journal_dir = match &args.journal.journal {
        Some(dir) => dir.clone(),
        None => exemplar_runner::journal::location(&JournalChoice::Default, &found.root)
            .expect("the default journal has a folder"),
    };
    let pkg = choose(&found.packages, mission_hint.as_deref(), &doc.operations)?;
    // The lock first, then the file: no run or other patch writes it between our read and
    // our write.
    let writer = if args.dry_run {
        None
    } else {
        let contention = if args.no_wait {
            Contention::Fail
        } else {
            Contention::Wait
        };
        let w = JournalWriter::open(
            &journal_dir,
            contention,
            WriterOptions::default(),
            &mut |holder| {
                eprintln!("waiting for the journal's lock ({holder})");
            },
        )?;
        exemplar_runner::journal::ignore_itself(&journal_dir);
        // Under the lock no other writer of the file is at work: what a killed one left goes.
        for removed in exemplar_mission::rewrite::sweep_temporaries(&pkg.mission.path) {
            eprintln!(
                "removed {}: a temporary file left by a mission rewrite that was cut short",
                removed.display()
            );
        }
        Some(w)
    };
    let path = pkg.mission.path.clone();
    let mission = exemplar_mission::parse_file(&path)
        .map_err(|e| Error::Runner(exemplar_runner::Error::Mission(e)))?;
    let tests: Vec<LinkedTest> = mission
        .signal
        .iter()
        .map(|s| LinkedTest {
            reference: s.reference.clone(),
            ids: s.spec_ids.clone(),
        })
        .collect();
    let base = doc.base.as_deref().or(args.base.as_deref());
    let patched = match patch::apply(&mission, &doc.operations, base, &tests) {
        Err(PatchError::Conflict { base, current, .. }) => {
            return conflict(&doc, &mission, pkg, base, current, &args.journal);
        }
        other => other?,
    };
    let changed = patched.changed(&mission);
    let note = doc.note.clone().or_else(|| args.note.clone());
    let author = doc
        .author
        .clone()
        .or_else(|| args.author.clone())
        .or_else(|| git_author(&pkg.dir));
    let mut seq = None;
    if let Some(mut w) = writer.filter(|_| changed) {
        write_atomic(&path, &mission.source, &patched.text)?;
        let record = DesignPatched {
            mission: mission.id.clone(),
            package: pkg.name.clone(),
            at_ms: jiff::Timestamp::now().as_millisecond(),
            base: patched.base.to_hex(),
            result: patched.result.to_hex(),
            operations: serde_json::to_string(&doc.operations).expect("operations serialize"),
            note: note.clone(),
            author: author.clone(),
        };
        // The file is patched: a record the journal refuses (a full disk) is said as such.
        let not_recorded = |source| Error::NotRecorded {
            done: format!("patched {}", pkg.display.display()),
            source,
        };
        seq = Some(
            w.append_durable(&Record::DesignPatch(record))
                .map_err(not_recorded)?,
        );
        w.close().map_err(not_recorded)?;
    }
    let applied = PatchApplied {
        format: "exemplar-design-applied".into(),
        version: 1,
        mission: mission.id.clone(),
        path: pkg.display.display().to_string(),
        base: patched.base.to_hex(),
        result: patched.result.to_hex(),
        operations: doc.operations.clone(),
        note,
        author,
        written: changed && !args.dry_run,
        seq,
        warnings: retired_but_linked(&doc.operations, &tests),
        conflict: None,
    };
    for w in &applied.warnings {
        eprintln!("warning: {w}");
    }
    let human = human(
        &applied,
        &mission.source,
        &patched.text,
        args.dry_run,
        changed,
    );
    emit(args.journal.message_format, human, &applied);
    Ok(ExitCode::Ok)
}

/// A conflict as a value: for `--message-format json`, the document with `conflict` and
/// nothing written; for people, the error. Exit code 7 either way.
fn conflict(
    doc: &DesignPatch,
    mission: &exemplar_mission::Mission,
    pkg: &MissionPackage,
    base: String,
    current: String,
    journal: &crate::cli::JournalArgs,
) -> Result<ExitCode, Error> {
    let error = PatchError::Conflict {
        path: pkg.display.clone(),
        base: base.clone(),
        current: current.clone(),
    };
    let applied = PatchApplied {
        format: "exemplar-design-applied".into(),
        version: 1,
        mission: mission.id.clone(),
        path: pkg.display.display().to_string(),
        base: current.clone(),
        result: current.clone(),
        operations: doc.operations.clone(),
        note: doc.note.clone(),
        author: doc.author.clone(),
        written: false,
        seq: None,
        warnings: Vec::new(),
        conflict: Some(Conflict { base, current }),
    };
    emit(journal.message_format, String::new(), &applied);
    eprintln!("error: {error}");
    Ok(ExitCode::Conflict)
}

/// A warning for each retired node that tests still link: `#[design]` refuses a retired id,
/// so those tests do not build until they drop it.
fn retired_but_linked(ops: &[DesignOp], tests: &[LinkedTest]) -> Vec<String> {
    ops.iter()
        .filter_map(|op| match op {
            DesignOp::Retire { id } => {
                let linking: Vec<&str> = tests
                    .iter()
                    .filter(|t| t.ids.contains(id))
                    .map(|t| t.reference.as_str())
                    .collect();
                (!linking.is_empty()).then(|| {
                    format!(
                        "{id} is retired but tests still link it: {}; they will not build until they drop `{id}` from #[design(...)]",
                        linking.join(", ")
                    )
                })
            }
            _ => None,
        })
        .collect()
}

/// The package whose mission the patch is for: the one named, else the one that has the
/// nodes the operations name, else the only one.
fn choose<'a>(
    packages: &'a [MissionPackage],
    named: Option<&str>,
    ops: &[DesignOp],
) -> Result<&'a MissionPackage, Error> {
    if let Some(m) = named {
        return packages
            .iter()
            .find(|p| p.mission.id == m || p.name == m)
            .ok_or_else(|| Error::Usage(format!("no mission or package `{m}` in this workspace")));
    }
    if let [only] = packages {
        return Ok(only);
    }
    let has = |p: &MissionPackage| {
        ops.iter()
            .filter(|op| !matches!(op, DesignOp::Add { .. }))
            .all(|op| p.mission.node(op.id()).is_some())
    };
    let fitting: Vec<&MissionPackage> = packages.iter().filter(|p| has(p)).collect();
    let ids = |list: &[&MissionPackage]| {
        list.iter()
            .map(|p| p.mission.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all: Vec<&MissionPackage> = packages.iter().collect();
    match fitting.as_slice() {
        [one] => Ok(one),
        [] if packages.is_empty() => Err(Error::Usage("no package here has a mission file".into())),
        [] => Err(Error::Usage(format!(
            "no mission of this workspace ({}) has every node the patch names: say which with -p PACKAGE or as MISSION/ID",
            ids(&all)
        ))),
        several => Err(Error::Usage(format!(
            "several missions could take this patch ({}): say which with -p PACKAGE or as MISSION/ID",
            ids(several)
        ))),
    }
}

/// `Name <email>` from git's configuration, as commits are signed.
fn git_author(dir: &Path) -> Option<String> {
    let name = exemplar_runner::git::git(dir, &["config", "user.name"])?;
    match exemplar_runner::git::git(dir, &["config", "user.email"]) {
        Some(email) => Some(format!("{name} <{email}>")),
        None => Some(name),
    }
}

fn human(a: &PatchApplied, before: &str, after: &str, dry_run: bool, changed: bool) -> String {
    let ops: Vec<String> = a.operations.iter().map(ToString::to_string).collect();
    let short = |h: &str| h[..16.min(h.len())].to_owned();
    let mut out = String::new();
    if !changed {
        out.push_str(&format!(
            "{} ({}): the design already is as the patch makes it; nothing written\n",
            a.mission, a.path
        ));
        return out;
    }
    let verb = if dry_run { "would patch" } else { "patched" };
    out.push_str(&format!(
        "{verb} {} ({}): {}\n  design {} -> {}\n",
        a.mission,
        a.path,
        ops.join("; "),
        short(&a.base),
        short(&a.result)
    ));
    if dry_run {
        out.push_str(&diff_lines(before, after));
    } else {
        out.push_str("  the next `cargo exemplar run` measures it; `cargo exemplar design log` shows the lineage\n");
    }
    out
}

/// The lines a patch changes, `-` removed and `+` added (the common head and tail left out).
fn diff_lines(before: &str, after: &str) -> String {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = format!("  @@ line {}\n", head + 1);
    for l in &a[head..a.len() - tail] {
        out.push_str(&format!("  -{l}\n"));
    }
    for l in &b[head..b.len() - tail] {
        out.push_str(&format!("  +{l}\n"));
    }
    out
}
