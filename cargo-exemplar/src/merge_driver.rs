//! `cargo exemplar merge-driver`: git's merge driver for mission files, and its registration.
//!
//! Every run rewrites a mission file's `signal:` and `history:`, so merging two branches that
//! both ran conflicts there under git's line merge. The driver merges those two sections (see
//! `exemplar_mission::branches`) and takes the design from the side that changed it; when both
//! sides changed the design, it leaves the file to git's line merge, conflict markers and all.
//!
//! `new`, `init` and `hook install` register it: a `.gitattributes` line (`mission.yaml
//! merge=exemplar`, committed with the project) and the driver in the repository's git config
//! (`merge.exemplar.driver`, which git does not copy with a clone: `hook install` sets it in a
//! new clone).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::MergeDriverArgs;
use crate::errors::{Error, ExitCode};

/// The command git runs: base, ours (the result goes there), theirs, and the path.
pub const DRIVER: &str = "cargo exemplar merge-driver %O %A %B %P";

/// `cargo exemplar merge-driver BASE OURS THEIRS [PATH]`: 0 when merged, 1 on a conflict.
pub fn command(args: &MergeDriverArgs) -> Result<ExitCode, Error> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|source| Error::Io {
            action: "read",
            path: p.to_owned(),
            source,
        })
    };
    let (base, ours, theirs) = (read(&args.base)?, read(&args.ours)?, read(&args.theirs)?);
    let name = args.path.clone().unwrap_or_else(|| "mission.yaml".into());
    let base = (!base.is_empty()).then_some(base.as_str());
    match exemplar_mission::branches::merge(Path::new(&name), base, &ours, &theirs) {
        Ok(text) => {
            exemplar_mission::rewrite::write_atomic(&args.ours, &ours, &text)
                .map_err(exemplar_runner::Error::from)?;
            Ok(ExitCode::Ok)
        }
        Err(conflict) => {
            eprintln!("cargo exemplar merge-driver: {name}: {conflict}; git's line merge follows");
            let merged = Command::new("git")
                .args(["merge-file", "-L", "ours", "-L", "base", "-L", "theirs"])
                .args([&args.ours, &args.base, &args.theirs])
                .status()
                .map_err(|source| Error::Io {
                    action: "run git merge-file for",
                    path: args.ours.clone(),
                    source,
                })?;
            Ok(if merged.success() {
                ExitCode::Ok
            } else {
                ExitCode::Failed
            })
        }
    }
}

/// Register the driver for the mission files `missions` in the git work tree `dir` is in
/// (`None` outside one): a file named `mission.yaml` by that name wherever it is, another by
/// its path from the repository's top.
pub fn register(dir: &Path, missions: &[PathBuf]) -> Result<Option<PathBuf>, Error> {
    let Some(top) = git(dir, &["rev-parse", "--show-toplevel"]) else {
        return Ok(None);
    };
    let top = PathBuf::from(top);
    let patterns: Vec<String> = missions
        .iter()
        .map(|m| {
            let default = m
                .file_name()
                .is_some_and(|n| n == exemplar_mission::DEFAULT_MISSION_FILE);
            let absolute = std::fs::canonicalize(m).unwrap_or_else(|_| m.clone());
            match absolute.strip_prefix(&top) {
                Ok(rel) if !default => format!("/{}", rel.to_string_lossy().replace('\\', "/")),
                _ => exemplar_mission::DEFAULT_MISSION_FILE.to_owned(),
            }
        })
        .collect();
    let attributes = top.join(".gitattributes");
    let mut text = std::fs::read_to_string(&attributes).unwrap_or_default();
    for p in &patterns {
        let line = format!("{p} merge=exemplar");
        if !text.lines().any(|l| l.trim() == line) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&line);
            text.push('\n');
        }
    }
    std::fs::write(&attributes, text).map_err(|source| Error::Io {
        action: "write",
        path: attributes.clone(),
        source,
    })?;
    for (key, value) in [
        (
            "merge.exemplar.name",
            "cargo exemplar: signal and history of mission files",
        ),
        ("merge.exemplar.driver", DRIVER),
    ] {
        if git(&top, &["config", key, value]).is_none() {
            return Err(Error::Usage(format!(
                "cannot set git config {key} in {}",
                top.display()
            )));
        }
    }
    Ok(Some(attributes))
}

/// `git ARGS` in `dir`: its trimmed stdout when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
