//! Finding and reading the package's mission file at compile time, once per compiler process.
//!
//! The mission is `[package.metadata.exemplar] mission` of the package being compiled (its
//! `Cargo.toml` is found through `CARGO_MANIFEST_DIR`), or `mission.yaml` beside it. Results
//! are cached by path, size and modification time, so a thousand `#[design]` tests in a crate
//! parse the file once, and a long-lived proc-macro server (rust-analyzer) sees edits (within
//! a second: an answer is reused that long before the files are looked at again).
//!
//! What the build depends on is the mission's *ids file* (see
//! [`exemplar_mission::tracking`]), named once per crate by [`track_once`]: editing a
//! directive's text or rewriting `signal:` and `history:` rebuilds nothing.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use exemplar_mission::Status;

use crate::recent::Recent;

/// The ids a test may name, and all ids with their status for messages.
pub(crate) struct KnownIds {
    /// The mission file, absolute.
    pub path: PathBuf,
    /// How the file is named in messages (relative to the package).
    pub display: String,
    /// Every design node: id and status.
    pub nodes: Vec<(String, Status)>,
    /// The ids a test may name: those not retired.
    pub linkable: HashSet<String>,
    /// The ids file's content for this mission.
    pub ids_text: String,
}

type Cached = Arc<Result<KnownIds, String>>;

struct Entry {
    stamp: (u64, Option<SystemTime>),
    value: Cached,
}

fn cache() -> &'static Mutex<HashMap<PathBuf, Entry>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Entry>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The mission of the package being compiled.
///
/// `EXEMPLAR_MISSION` (an absolute path) overrides the package's mission. It exists for tools
/// that compile tests outside their package (such as trybuild); cargo does not rebuild when it
/// changes.
pub(crate) fn load() -> Cached {
    static RECENT: Recent<(Option<OsString>, Option<OsString>), Cached> = Recent::new();
    let key = (
        std::env::var_os("EXEMPLAR_MISSION"),
        std::env::var_os("CARGO_MANIFEST_DIR"),
    );
    RECENT.get(key, |_| load_now())
}

fn load_now() -> Cached {
    if let Some(path) = std::env::var_os("EXEMPLAR_MISSION") {
        let path = PathBuf::from(path);
        let display = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        return cached(path, display);
    }
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return Arc::new(Err(
            "CARGO_MANIFEST_DIR is not set: #[design] must be compiled by cargo".into(),
        ));
    };
    let (path, display) = match crate::manifest::of(Path::new(&dir)).mission.clone() {
        Ok(p) => p,
        Err(e) => return Arc::new(Err(e)),
    };
    cached(path, display)
}

fn cached(path: PathBuf, display: String) -> Cached {
    let stamp = std::fs::metadata(&path)
        .map(|m| (m.len(), m.modified().ok()))
        .unwrap_or((0, None));
    let mut map = cache().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = map.get(&path)
        && e.stamp == stamp
    {
        return e.value.clone();
    }
    let value = Arc::new(read(&path, &display));
    map.insert(
        path,
        Entry {
            stamp,
            value: value.clone(),
        },
    );
    value
}

/// Where the package in `dir` keeps its mission, and how messages name it.
pub(crate) fn mission_path(dir: &Path) -> Result<(PathBuf, String), String> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let doc: toml::Table = text
        .parse()
        .map_err(|e| format!("cannot parse {}: {e}", manifest.display()))?;
    let configured = doc
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("exemplar"))
        .and_then(|e| e.get("mission"));
    let rel = match configured {
        None => exemplar_mission::DEFAULT_MISSION_FILE.to_owned(),
        Some(toml::Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(format!(
                "{}: [package.metadata.exemplar] mission must be a path string",
                manifest.display()
            ));
        }
    };
    Ok((dir.join(&rel), rel))
}

fn read(path: &Path, display: &str) -> Result<KnownIds, String> {
    if !path.exists() {
        return Err(format!(
            "no mission file at {display} (looked in {}): #[design] ids are checked against \
             the package's mission file; create it, or set [package.metadata.exemplar] mission",
            path.display()
        ));
    }
    // The design alone: `signal:` and `history:` may be most of the file.
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let m = exemplar_mission::parse_design_str(path, &text)
        .map_err(|e| format!("the mission file is invalid:\n{e}"))?;
    Ok(KnownIds {
        path: path.to_owned(),
        display: display.to_owned(),
        nodes: m.design.iter().map(|n| (n.id.clone(), n.status)).collect(),
        linkable: m
            .design
            .iter()
            .filter(|n| n.status != Status::Retired)
            .map(|n| n.id.clone())
            .collect(),
        ids_text: exemplar_mission::tracking::ids_text(&m),
    })
}

/// The crate's dependency on the ids file, once per crate (see [`track_once`]): `const _:
/// &[u8] = include_bytes!(PATH);`, which puts the file in the crate's dep-info, so cargo
/// rebuilds it when an id changes, and only then.
pub(crate) fn track_tokens(known: &KnownIds) -> Option<proc_macro2::TokenStream> {
    let path = track_once(known)?.to_string_lossy().into_owned();
    Some(quote::quote!(
        const _: &[u8] = ::core::include_bytes!(#path);
    ))
}

/// The file the crate being compiled must depend on so that cargo rebuilds it when the
/// mission's ids change: the ids file, created when missing (the mission file itself when the
/// ids file cannot be written). `None` after the first call in a crate: one dependency per
/// crate, however many tests it tags.
pub(crate) fn track_once(known: &KnownIds) -> Option<PathBuf> {
    static TRACKED: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    let krate = format!(
        "{}@{}",
        std::env::var("CARGO_CRATE_NAME").unwrap_or_default(),
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()
    );
    let mut tracked = TRACKED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if tracked.contains(&krate) {
        return None;
    }
    tracked.push(krate);
    Some(
        exemplar_mission::tracking::ensure(&known.path, &known.ids_text)
            .unwrap_or_else(|_| known.path.clone()),
    )
}
