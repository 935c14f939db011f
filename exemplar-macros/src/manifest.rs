//! What `#[design]` reads from the package's `Cargo.toml`: where its mission is, and the name
//! the crate uses for `exemplar-test`. Read once per package and manifest modification time,
//! so a thousand tests in a crate cost one read (the manifest is parsed with `toml`, which a
//! proc macro built without optimisation makes costly to repeat), while a long-lived
//! proc-macro server (rust-analyzer) sees an edited manifest.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use crate::recent::Recent;

/// The package's settings, as `#[design]` needs them.
pub(crate) struct Manifest {
    /// The mission file (absolute) and how messages name it, or why it cannot be known.
    pub(crate) mission: Result<(PathBuf, String), String>,
    /// The crate's name for `exemplar-test`.
    pub(crate) extern_name: String,
}

/// The manifest of the package in `dir` (the last answer reused for a second, see
/// [`Recent`]).
pub(crate) fn of(dir: &Path) -> Arc<Manifest> {
    static RECENT: Recent<PathBuf, Arc<Manifest>> = Recent::new();
    RECENT.get(dir.to_owned(), |dir| read(dir))
}

/// The manifest of the package in `dir`, read again only when it changed.
fn read(dir: &Path) -> Arc<Manifest> {
    type Manifests = HashMap<(PathBuf, Option<SystemTime>), Arc<Manifest>>;
    static MANIFESTS: OnceLock<Mutex<Manifests>> = OnceLock::new();
    let file = dir.join("Cargo.toml");
    let stamp = std::fs::metadata(&file).and_then(|m| m.modified()).ok();
    let mut manifests = MANIFESTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    manifests
        .entry((dir.to_owned(), stamp))
        .or_insert_with(|| {
            Arc::new(Manifest {
                mission: crate::mission::mission_path(dir),
                extern_name: crate::krate::extern_name(&file),
            })
        })
        .clone()
}
