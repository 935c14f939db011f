//! A mission outside any Cargo package: a Python, Go or JavaScript project whose tests another
//! runner runs, its results brought in by `ingest`.
//!
//! Such a mission is named with `--mission PATH`, or found without it: from the current folder
//! up, the first folder with a `mission.yaml` and no `Cargo.toml` on the way holds it. Its
//! folder is the project's root: the journal's default place (`.exemplar/` there), the root
//! the tests' files are relative to, and the "package" its records name is the mission's id.

use std::path::{Path, PathBuf};

use exemplar_mission::{DEFAULT_HISTORY_CAP, DEFAULT_MISSION_FILE};

use crate::discover::{Discovery, MissionPackage};
use crate::errors::Error;

/// The discovery of the one mission at `path`.
pub fn discover(path: &Path) -> Result<Discovery, Error> {
    let path = std::path::absolute(path).map_err(|source| Error::Io {
        action: "find",
        path: path.to_owned(),
        source,
    })?;
    if !path.is_file() {
        return Err(Error::NoMissionFile { path });
    }
    let root = path.parent().map(Path::to_owned).unwrap_or_default();
    let mission = exemplar_mission::parse_file(&path).map_err(|mut e| {
        for err in &mut e.0 {
            err.path = display(&path, &root);
        }
        Error::Mission(e)
    })?;
    let package = MissionPackage {
        name: mission.id.clone(),
        dir: root.clone(),
        display: display(&path, &root),
        mission,
        history_cap: DEFAULT_HISTORY_CAP,
        max_loss: None,
        retries: None,
        groups: Vec::new(),
        not_run: Vec::new(),
    };
    Ok(Discovery {
        root,
        packages: vec![package],
        skipped: Vec::new(),
    })
}

/// The mission file of the project around `from` when that project is not a Cargo one: the
/// first `mission.yaml` from `from` up, unless a `Cargo.toml` comes first.
pub fn find_upward(from: &Path) -> Option<PathBuf> {
    for dir in from.ancestors() {
        if dir.join("Cargo.toml").is_file() {
            return None;
        }
        let mission = dir.join(DEFAULT_MISSION_FILE);
        if mission.is_file() {
            return Some(mission);
        }
    }
    None
}

fn display(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_owned()
}
