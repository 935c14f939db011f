//! Discovery: the packages to run and their mission files, through `cargo metadata`.
//!
//! A package takes part when it has a mission file: `[package.metadata.exemplar] mission` or
//! `mission.yaml` beside its `Cargo.toml`. Selected packages without one are listed as skipped,
//! with the path that was looked for, so nobody wonders why their tests did not run. A mission
//! outside any Cargo package is found by [`crate::standalone`].

use std::path::{Path, PathBuf};

use cargo_metadata::{Metadata, MetadataCommand, Package};
use exemplar_formats::list::UnrunTarget;
use exemplar_formats::run::SkippedPackage;
use exemplar_mission::{DEFAULT_HISTORY_CAP, DEFAULT_MISSION_FILE, Mission, MissionErrors};

use crate::errors::Error;
use crate::groups::TestGroup;
use crate::plan::{JournalChoice, Selection};

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
    /// `[package.metadata.exemplar] retries`: `--retries` for this package's tests when the
    /// command line does not say.
    pub retries: Option<u32>,
    /// `[package.metadata.exemplar.test-groups]`: tests that run alone or with a bounded
    /// concurrency, in name order.
    pub groups: Vec<TestGroup>,
    /// Tests of the package that `cargo test` would run but exemplar does not.
    pub not_run: Vec<UnrunTarget>,
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
            kind: kind.0.to_owned(),
            reason: kind.1.to_owned(),
        });
    }
    out
}

/// What discovery found.
#[derive(Debug)]
pub struct Discovery {
    /// The workspace root.
    pub root: PathBuf,
    /// Selected packages with a mission.
    pub packages: Vec<MissionPackage>,
    /// Selected packages without one.
    pub skipped: Vec<SkippedPackage>,
}

/// The workspace root of `manifest_path` (or of the current folder), for commands that read
/// the journal without running anything. Discovery finds the same root.
pub fn workspace_root(manifest_path: Option<&Path>) -> Result<PathBuf, Error> {
    if manifest_path.is_none()
        && let Some(mission) = standalone_here()
    {
        return Ok(mission.parent().map(Path::to_owned).unwrap_or_default());
    }
    let mut cmd = MetadataCommand::new();
    if let Some(p) = manifest_path {
        cmd.manifest_path(p);
    }
    cmd.no_deps();
    Ok(cmd.exec()?.workspace_root.into_std_path_buf())
}

/// The journal folder of the workspace of `manifest_path` (or of the current folder): the one
/// function every command that reads or writes the journal finds it with. `None` for
/// [`JournalChoice::Off`].
pub fn journal_dir(
    manifest_path: Option<&Path>,
    choice: &JournalChoice,
) -> Result<Option<PathBuf>, Error> {
    match choice {
        JournalChoice::Default => {
            let root = workspace_root(manifest_path)?;
            Ok(crate::journal::location(choice, &root))
        }
        _ => Ok(crate::journal::location(choice, Path::new("."))),
    }
}

/// The mission file of the project around the current folder, when it is not a Cargo one.
fn standalone_here() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    crate::standalone::find_upward(&cwd)
}

/// `cargo metadata` of the workspace `sel` starts from (no dependencies).
fn metadata(sel: &Selection) -> Result<cargo_metadata::Metadata, Error> {
    let mut cmd = MetadataCommand::new();
    if let Some(p) = &sel.manifest_path {
        cmd.manifest_path(p);
    }
    cmd.no_deps();
    cmd.other_options(sel.cargo.metadata_args());
    Ok(cmd.exec()?)
}

/// Read the workspace and the mission files of the selected packages.
pub fn discover(sel: &Selection) -> Result<Discovery, Error> {
    if let Some(mission) = &sel.mission {
        return crate::standalone::discover(mission);
    }
    if sel.manifest_path.is_none()
        && let Some(mission) = standalone_here()
    {
        return crate::standalone::discover(&mission);
    }
    let meta = metadata(sel)?;
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
        let settings = Settings::of(p, &meta)?;
        let rel = settings.mission.as_deref().unwrap_or(DEFAULT_MISSION_FILE);
        let history_cap = settings.history.unwrap_or(DEFAULT_HISTORY_CAP);
        let max_loss = settings.max_loss;
        let retries = settings.retries;
        let groups = settings.groups;
        let path = dir.join(rel);
        if !path.exists() {
            skipped.push(SkippedPackage {
                package: p.name.to_string(),
                looked_for: path,
            });
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
                    retries,
                    groups,
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
                .map(|s| s.package.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(Discovery {
        root: meta.workspace_root.clone().into_std_path_buf(),
        packages,
        skipped,
    })
}

/// A selected package and where its mission file is (or would be).
#[derive(Debug, Clone)]
pub struct PackageMission {
    /// Package name.
    pub name: String,
    /// Its Cargo.toml.
    pub manifest_path: PathBuf,
    /// Its mission file: `[package.metadata.exemplar] mission`, else `mission.yaml` beside
    /// the manifest. It may not exist yet.
    pub mission_path: PathBuf,
}

/// The packages `sel` selects, with where their mission files belong, whether or not they
/// exist (for `init`).
pub fn package_missions(sel: &Selection) -> Result<Vec<PackageMission>, Error> {
    let meta = metadata(sel)?;
    let mut out = Vec::new();
    for p in select(&meta, sel)? {
        let manifest_path = p.manifest_path.clone().into_std_path_buf();
        let dir = manifest_path.parent().unwrap_or(Path::new(".")).to_owned();
        let settings = Settings::of(p, &meta)?;
        let rel = settings.mission.as_deref().unwrap_or(DEFAULT_MISSION_FILE);
        out.push(PackageMission {
            name: p.name.to_string(),
            mission_path: dir.join(rel),
            manifest_path,
        });
    }
    Ok(out)
}

/// `[package.metadata.exemplar]`, each key falling back to `[workspace.metadata.exemplar]`,
/// read strictly: a key of the wrong type is an error naming it, as the `#[design]` macro
/// reports it, never a silent fallback to the default.
#[derive(Debug, Default)]
struct Settings {
    mission: Option<String>,
    history: Option<usize>,
    max_loss: Option<f64>,
    retries: Option<u32>,
    groups: Vec<TestGroup>,
}

impl Settings {
    fn of(p: &Package, meta: &Metadata) -> Result<Settings, Error> {
        let own = Settings::read(p.manifest_path.as_std_path(), p.metadata.get("exemplar"))?;
        let manifest = meta.workspace_root.join("Cargo.toml");
        let ws = meta.workspace_metadata.get("exemplar");
        let ws = Settings::read(manifest.as_std_path(), ws)?;
        let mut groups = own.groups;
        let named = |g: &TestGroup| groups.iter().any(|o| o.name == g.name);
        let inherited: Vec<TestGroup> = ws.groups.into_iter().filter(|g| !named(g)).collect();
        groups.extend(inherited);
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Settings {
            mission: own.mission.or(ws.mission),
            history: own.history.or(ws.history),
            max_loss: own.max_loss.or(ws.max_loss),
            retries: own.retries.or(ws.retries),
            groups,
        })
    }

    fn read(manifest: &Path, table: Option<&serde_json::Value>) -> Result<Settings, Error> {
        let mut out = Settings::default();
        let Some(table) = table else {
            return Ok(out);
        };
        let bad = |key: &'static str, expected: &'static str, found: &serde_json::Value| {
            Error::BadMetadata {
                manifest: manifest.to_owned(),
                key,
                expected,
                found: found.to_string(),
            }
        };
        if let Some(v) = table.get("mission") {
            let m = v
                .as_str()
                .ok_or_else(|| bad("mission", "a path (string)", v))?;
            out.mission = Some(m.to_owned());
        }
        if let Some(v) = table.get("history") {
            let h = v
                .as_u64()
                .filter(|h| *h > 0)
                .ok_or_else(|| bad("history", "a positive integer", v))?;
            out.history = Some(h as usize);
        }
        if let Some(v) = table.get("max-loss") {
            let m = v
                .as_f64()
                .filter(|m| (0.0..=1.0).contains(m))
                .ok_or_else(|| bad("max-loss", "a number from 0 to 1", v))?;
            out.max_loss = Some(m);
        }
        if let Some(v) = table.get("retries") {
            let r = v
                .as_u64()
                .and_then(|r| u32::try_from(r).ok())
                .ok_or_else(|| bad("retries", "a whole number", v))?;
            out.retries = Some(r);
        }
        if let Some(v) = table.get("test-groups") {
            out.groups = crate::groups::parse(manifest, v)?;
        }
        Ok(out)
    }
}

fn select<'a>(meta: &'a Metadata, sel: &Selection) -> Result<Vec<&'a Package>, Error> {
    let members = meta.workspace_packages();
    if !sel.packages.is_empty() {
        let mut out = Vec::new();
        for spec in &sel.packages {
            let name = spec.split(['@', ':']).next().unwrap_or(spec);
            match members.iter().find(|p| p.name.as_str() == name) {
                Some(p) => out.push(*p),
                None => return Err(unknown(spec, &members)),
            }
        }
        return Ok(out);
    }
    if sel.workspace {
        for spec in &sel.exclude {
            if !members.iter().any(|p| p.name.as_str() == spec) {
                return Err(unknown(spec, &members));
            }
        }
        return Ok(members
            .into_iter()
            .filter(|p| !sel.exclude.iter().any(|e| e == p.name.as_str()))
            .collect());
    }
    if let Some(root) = meta.root_package() {
        return Ok(vec![root]);
    }
    Ok(meta.workspace_default_packages())
}

/// The error for a package spec that names no member of the workspace.
fn unknown(spec: &str, members: &[&Package]) -> Error {
    Error::UnknownPackage {
        spec: spec.to_owned(),
        members: members
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `path` relative to `base` when it is inside it.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base)
        .map(Path::to_owned)
        .unwrap_or_else(|_| path.to_owned())
}
