//! `cargo exemplar watch`: on each save, run the tests linked to what changed, and print how
//! each mission's loss moved.
//!
//! The workspace's packages are watched (with `notify`, as bacon and cargo-watch do), minus
//! `target/`, the journal and `.git/`. Changes that arrive together (within `--debounce`) make
//! one step:
//!
//! - a file of an integration test target (`tests/NAME.rs`, or under `tests/NAME/`) runs that
//!   target (`run -p PACKAGE --test NAME`);
//! - any other file of a package (its `src/`, `Cargo.toml`, ...) runs the whole package;
//! - a mission file whose design changed runs the tests linked to the directives that were
//!   added or changed, and their subtrees (`run --design IDS`); a mission file whose design did
//!   not change (a run rewriting `signal:` and `history:`, this watcher's own included) runs
//!   nothing.
//!
//! Each step is an ordinary `cargo exemplar run` of this binary, journaled as the partial run
//! it is (its targets or its design filter are in its start record), and followed by one line
//! per mission: its loss before and after.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use exemplar_mission::{Fingerprint, Mission};
use exemplar_runner::Selection;
use exemplar_runner::discover::{self, Discovery};
use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode, Watcher};

use crate::cli::WatchArgs;
use crate::errors::{Error, ExitCode};

/// What one step runs: `run` arguments, and why.
#[derive(Debug, PartialEq)]
struct Step {
    why: String,
    args: Vec<String>,
}

/// Watch until interrupted.
pub fn command(args: &WatchArgs) -> Result<ExitCode, Error> {
    let selection = Selection::from(&args.missions);
    let found = discover::discover(&selection)?;
    let journal = match &args.journal {
        Some(dir) => dir.clone(),
        None => exemplar_runner::journal::location(
            &exemplar_runner::JournalChoice::Default,
            &found.root,
        )
        .expect("the default journal has a folder"),
    };
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Reads (a build opening every source) and metadata (a touch) change nothing.
        if let Ok(e) = event
            && matches!(
                e.kind,
                EventKind::Create(_) | EventKind::Remove(_) | EventKind::Modify(_)
            )
            && !matches!(e.kind, EventKind::Modify(ModifyKind::Metadata(_)))
        {
            let _ = tx.send(e.paths);
        }
    })
    .map_err(|e| Error::Usage(format!("cannot watch the files: {e}")))?;
    for p in &found.packages {
        watcher
            .watch(&p.dir, RecursiveMode::Recursive)
            .map_err(|e| Error::Usage(format!("cannot watch {}: {e}", p.dir.display())))?;
    }
    let ignored = [
        found.root.join("target"),
        journal.clone(),
        found.root.join(".git"),
    ];
    let mut designs = designs_of(&found);
    let start = Step {
        why: "start".into(),
        args: Vec::new(),
    };
    let mut losses = run_and_report(args, &journal, &start, &BTreeMap::new())?;
    settle(&rx, args.debounce);
    eprintln!("[watch] waiting for changes (Ctrl-C to stop)");
    while let Ok(first) = rx.recv() {
        let mut paths: BTreeSet<PathBuf> = first.into_iter().collect();
        while let Ok(more) = rx.recv_timeout(Duration::from_millis(args.debounce)) {
            paths.extend(more);
        }
        paths.retain(|p| !ignored.iter().any(|i| p.starts_with(i)) && matters(p));
        if paths.is_empty() {
            continue;
        }
        let found = match discover::discover(&selection) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("[watch] {e}; waiting for the next change");
                continue;
            }
        };
        let now = designs_of(&found);
        let steps = steps(&found, &paths, &designs, &now);
        designs = now;
        if steps.is_empty() {
            continue;
        }
        for step in &steps {
            losses = run_and_report(args, &journal, step, &losses)?;
        }
        settle(&rx, args.debounce);
        eprintln!("[watch] waiting for changes (Ctrl-C to stop)");
    }
    Ok(ExitCode::Ok)
}

/// Let go of what the runs themselves wrote (the mission files' signal and history): every
/// event until none has come for `debounce` milliseconds.
fn settle(rx: &mpsc::Receiver<Vec<PathBuf>>, debounce: u64) {
    while rx.recv_timeout(Duration::from_millis(debounce)).is_ok() {}
}

/// Whether a changed path can change what the tests do: Rust sources, manifests and mission
/// files. Folders, `Cargo.lock` (which builds write), editors' swap files and backups, and the
/// temporary files of a save by rename are not.
fn matters(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let kind = p.extension().and_then(|e| e.to_str()).unwrap_or("");
    matches!(kind, "rs" | "toml" | "yaml" | "yml")
        && !name.starts_with(".#")
        && !name.starts_with(".mission.")
}

/// Each mission's nodes by id: (fingerprint, parent, status word).
type Designs = BTreeMap<String, BTreeMap<String, (Fingerprint, Option<String>, &'static str)>>;

fn designs_of(found: &Discovery) -> Designs {
    found
        .packages
        .iter()
        .map(|p| (p.mission.id.clone(), nodes(&p.mission)))
        .collect()
}

fn nodes(m: &Mission) -> BTreeMap<String, (Fingerprint, Option<String>, &'static str)> {
    m.design
        .iter()
        .map(|n| {
            (
                n.id.clone(),
                (Fingerprint::of(n), n.aspect_id.clone(), n.status.as_str()),
            )
        })
        .collect()
}

/// The runs a batch of changed paths calls for.
fn steps(
    found: &Discovery,
    paths: &BTreeSet<PathBuf>,
    before: &Designs,
    now: &Designs,
) -> Vec<Step> {
    let mut out = Vec::new();
    let mut changed_ids: BTreeSet<String> = BTreeSet::new();
    for p in &found.packages {
        let was = before.get(&p.mission.id);
        for (id, node) in now.get(&p.mission.id).into_iter().flatten() {
            if was.and_then(|w| w.get(id)) != Some(node) {
                changed_ids.insert(id.clone());
            }
        }
        let mine: Vec<&PathBuf> = paths
            .iter()
            .filter(|f| f.starts_with(&p.dir) && **f != p.mission.path)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let tests: BTreeSet<String> = mine.iter().filter_map(|f| test_target(&p.dir, f)).collect();
        let shown: Vec<String> = mine
            .iter()
            .map(|f| {
                f.strip_prefix(&found.root)
                    .unwrap_or(f)
                    .display()
                    .to_string()
            })
            .collect();
        let mut args = vec!["-p".to_owned(), p.name.clone()];
        // Only test files: their targets; anything else of the package: all of it.
        if mine.iter().all(|f| test_target(&p.dir, f).is_some()) {
            for t in &tests {
                args.extend(["--test".to_owned(), t.clone()]);
            }
        }
        out.push(Step {
            why: format!("{} changed", shown.join(", ")),
            args,
        });
    }
    let code_ran_everything = out.iter().any(|s| !s.args.iter().any(|a| a == "--test"));
    if !changed_ids.is_empty() && !code_ran_everything {
        let ids: Vec<String> = changed_ids.into_iter().collect();
        out.push(Step {
            why: format!("the design changed: {}", ids.join(", ")),
            args: vec![format!("--design={}", ids.join(","))],
        });
    }
    out
}

/// The integration test target a file belongs to: `tests/NAME.rs`, or a file under
/// `tests/NAME/`.
fn test_target(package: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(package.join("tests")).ok()?;
    let mut parts = rel.components();
    let first = parts.next()?.as_os_str().to_str()?;
    match parts.next() {
        None => first.strip_suffix(".rs").map(str::to_owned),
        Some(_) => Some(first.to_owned()),
    }
}

/// Run one step (this binary's `run`), then print each mission's loss against `before`;
/// returns the losses after it.
fn run_and_report(
    args: &WatchArgs,
    journal: &Path,
    step: &Step,
    before: &BTreeMap<String, f64>,
) -> Result<BTreeMap<String, f64>, Error> {
    let exe = std::env::current_exe().map_err(|source| Error::Io {
        action: "find",
        path: "cargo-exemplar".into(),
        source,
    })?;
    let mut run_args = vec!["exemplar".to_owned(), "run".to_owned()];
    run_args.extend(step.args.iter().cloned());
    run_args.push(format!("--journal={}", journal.display()));
    if let Some(m) = &args.missions.manifest_path {
        run_args.push(format!("--manifest-path={}", m.display()));
    }
    if !args.harness_args.is_empty() {
        run_args.push("--".into());
        run_args.extend(args.harness_args.iter().cloned());
    }
    eprintln!(
        "[watch] {}: cargo exemplar {}",
        step.why,
        run_args[1..].join(" ")
    );
    let status = Command::new(&exe)
        .args(&run_args)
        .status()
        .map_err(|source| Error::Io {
            action: "run",
            path: exe.clone(),
            source,
        })?;
    let after = latest_losses(&exe, journal, args);
    for (mission, loss) in &after {
        match before.get(mission) {
            Some(was) if (was - loss).abs() > 1e-9 => {
                eprintln!(
                    "[watch] {mission}: loss {was:.3} -> {loss:.3} ({:+.3})",
                    loss - was
                )
            }
            Some(_) => eprintln!("[watch] {mission}: loss {loss:.3} (unchanged)"),
            None => eprintln!("[watch] {mission}: loss {loss:.3}"),
        }
    }
    if !status.success() && after.is_empty() {
        eprintln!("[watch] the run ended with {status}; no loss was recorded");
    }
    Ok(if after.is_empty() {
        before.clone()
    } else {
        after
    })
}

/// The losses of the journal's latest complete run, by mission.
fn latest_losses(exe: &Path, journal: &Path, args: &WatchArgs) -> BTreeMap<String, f64> {
    let mut cmd = Command::new(exe);
    cmd.args(["exemplar", "status", "--message-format=json"])
        .arg(format!("--journal={}", journal.display()));
    if let Some(m) = &args.missions.manifest_path {
        cmd.arg(format!("--manifest-path={}", m.display()));
    }
    let Ok(out) = cmd.output() else {
        return BTreeMap::new();
    };
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    doc["missions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| Some((m["id"].as_str()?.to_owned(), m["loss"].as_f64()?)))
        .collect()
}
