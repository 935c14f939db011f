//! Discovery: the packages to run and their mission files, through `cargo metadata`.
//!
//! A package takes part when it has a mission file: `[package.metadata.exemplar] mission` or
//! `mission.yaml` beside its `Cargo.toml`. Selected packages without one are listed as skipped,
//! with the path that was looked for, so nobody wonders why their tests did not run.

use std::path::{Path, PathBuf};

use cargo_metadata::{Metadata, MetadataCommand, Package};
use exemplar_mission::{DEFAULT_HISTORY_CAP, DEFAULT_MISSION_FILE, Mission, MissionErrors};
use serde::Serialize;

use crate::cli::Selection;
use crate::errors::Error;

/// A package with a mission.
#[derive(Debug, Clone)]
pub struct MissionPackage {
    /// Package name.
    pub name: String,
    /// The folder of its Cargo.toml.
    pub dir: PathBuf,
    /// The parsed mission (its `path` is absolute).
    pub mission: Mission,
    /// The mission file as shown to people: relative to the workspace root.
    pub display: PathBuf,
    /// `[package.metadata.exemplar] history` (how many history entries to keep).
    pub history_cap: usize,
    /// `[package.metadata.exemplar] max-loss`: the ceiling `check` enforces.
    pub max_loss: Option<f64>,
    /// Tests of the package that `cargo test` would run but exemplar does not.
    pub not_run: Vec<UnrunTarget>,
}

/// Tests that exist but that exemplar does not run: doctests, and examples and benches that
/// `cargo test` only builds. Listed so that nothing is passed over in silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnrunTarget {
    /// Package name.
    pub package: String,
    /// Target name.
    pub target: String,
    /// `doctest`, `example` or `bench`.
    pub kind: &'static str,
    /// Why exemplar does not run it, and what does.
    pub reason: &'static str,
}

/// The targets of `p` whose tests exemplar does not run.
fn not_run(p: &Package) -> Vec<UnrunTarget> {
    let mut out = Vec::new();
    for t in &p.targets {
        let kind = if t.is_lib() && t.doctest {
            (
                "doctest",
                "exemplar does not run doctests; `cargo test --doc` does",
            )
        } else if t.is_example() && !t.test {
            (
                "example",
                "built by `cargo test`, not run; set `test = true` to run its tests",
            )
        } else if t.is_bench() && !t.test {
            ("bench", "benchmarks run with `cargo bench`")
        } else {
            continue;
        };
        out.push(UnrunTarget {
            package: p.name.to_string(),
            target: t.name.clone(),
            kind: kind.0,
            reason: kind.1,
        });
    }
    out
}

/// What discovery found.
#[derive(Debug)]
pub struct Discovery {
    /// The workspace root.
    pub root: PathBuf,
    /// The target directory.
    pub target_dir: PathBuf,
    /// Selected packages with a mission.
    pub packages: Vec<MissionPackage>,
    /// Selected packages without one: (name, the path looked for).
    pub skipped: Vec<(String, PathBuf)>,
}

/// Read the workspace and the mission files of the selected packages.
pub fn discover(sel: &Selection) -> Result<Discovery, Error> {
    let mut cmd = MetadataCommand::new();
    if let Some(p) = &sel.manifest_path {
        cmd.manifest_path(p);
    }
    cmd.no_deps();
    let meta = cmd.exec().map_err(|e| Error::Metadata(e.to_string()))?;
    let selected = select(&meta, sel)?;
    let mut packages = Vec::new();
    let mut skipped = Vec::new();
    let mut errors: Vec<MissionErrors> = Vec::new();
    for p in selected {
        let dir = p
            .manifest_path
            .parent()
            .map(|d| d.as_std_path().to_owned())
            .unwrap_or_default();
        let settings = p.metadata.get("exemplar");
        let rel = settings
            .and_then(|e| e.get("mission"))
            .and_then(|m| m.as_str())
            .unwrap_or(DEFAULT_MISSION_FILE);
        let history_cap = settings
            .and_then(|e| e.get("history"))
            .and_then(|h| h.as_u64())
            .map(|h| h as usize)
            .unwrap_or(DEFAULT_HISTORY_CAP);
        let max_loss = settings
            .and_then(|e| e.get("max-loss"))
            .and_then(|m| m.as_f64());
        let path = dir.join(rel);
        if !path.exists() {
            skipped.push((p.name.to_string(), path));
            continue;
        }
        let shown = relative_to(&path, meta.workspace_root.as_std_path());
        match exemplar_mission::parse_file(&path) {
            Ok(mission) => {
                packages.push(MissionPackage {
                    name: p.name.to_string(),
                    dir,
                    mission,
                    display: shown,
                    history_cap,
                    max_loss,
                    not_run: not_run(p),
                });
            }
            Err(mut e) => {
                for err in &mut e.0 {
                    err.path = shown.clone();
                }
                errors.push(e);
            }
        }
    }
    if let Some(first) = errors.into_iter().reduce(|mut a, b| {
        a.0.extend(b.0);
        a
    }) {
        return Err(Error::Mission(first));
    }
    if packages.is_empty() {
        return Err(Error::NoMission {
            looked: skipped
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(Discovery {
        root: meta.workspace_root.clone().into_std_path_buf(),
        target_dir: meta.target_directory.clone().into_std_path_buf(),
        packages,
        skipped,
    })
}

fn select<'a>(meta: &'a Metadata, sel: &Selection) -> Result<Vec<&'a Package>, Error> {
    let members = meta.workspace_packages();
    if !sel.packages.is_empty() {
        let mut out = Vec::new();
        for spec in &sel.packages {
            let name = spec.split(['@', ':']).next().unwrap_or(spec);
            match members.iter().find(|p| p.name.as_str() == name) {
                Some(p) => out.push(*p),
                None => {
                    return Err(Error::Usage(format!(
                        "package `{spec}` is not a member of the workspace (members: {})",
                        members
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
        return Ok(out);
    }
    if sel.workspace {
        return Ok(members);
    }
    if let Some(root) = meta.root_package() {
        return Ok(vec![root]);
    }
    Ok(meta.workspace_default_packages())
}

/// `path` relative to `base` when it is inside it.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base)
        .map(Path::to_owned)
        .unwrap_or_else(|_| path.to_owned())
}
