//! What a test build depends on in a mission file: its design ids and their statuses, and
//! nothing else.
//!
//! `#[design]` checks ids at compile time, so a test target must be rebuilt when an id is
//! added, removed or retired. It must not be rebuilt when `cargo exemplar run` rewrites
//! `signal:` and `history:`, nor when a directive's text is edited. So the build does not
//! depend on the mission file itself but on its *ids file*: `.exemplar/<mission file
//! name>.ids` beside the mission, one `ID STATUS` line per node. The macro tracks it once per
//! crate (creating it when missing, dated as the mission file); `cargo exemplar` refreshes it
//! before each build, writing it only when its content changes, so under `cargo exemplar` its
//! modification time moves exactly when the ids do. Plain `cargo test` does not refresh it.
//! The folder holds a `.gitignore` of `*`: the file is derived, never committed.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Mission;

/// The ids file of the mission at `mission_path`.
pub fn ids_file(mission_path: &Path) -> PathBuf {
    let name = mission_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| crate::DEFAULT_MISSION_FILE.to_owned());
    let dir = mission_path.parent().unwrap_or(Path::new("."));
    dir.join(".exemplar").join(format!("{name}.ids"))
}

/// The content of the ids file: `ID STATUS` per design node, in file order.
pub fn ids_text(mission: &Mission) -> String {
    let mut s = String::from("# derived from the mission file by cargo exemplar; not edited\n");
    for n in &mission.design {
        s.push_str(&n.id);
        s.push(' ');
        s.push_str(n.status.as_str());
        s.push('\n');
    }
    s
}

/// Write the ids file of `mission` when its content differs (or it is missing). Returns
/// whether it was written.
pub fn refresh(mission_path: &Path, mission: &Mission) -> std::io::Result<bool> {
    let path = ids_file(mission_path);
    let text = ids_text(mission);
    if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    write(&path, &text)?;
    Ok(true)
}

/// Write the ids file (with `text`, from [`ids_text`]) only when it does not exist yet, dated
/// as the mission file is: created during a build, it must not look newer than that build and
/// make the next one rebuild.
pub fn ensure(mission_path: &Path, text: &str) -> std::io::Result<PathBuf> {
    let path = ids_file(mission_path);
    if !path.exists() {
        let dated = std::fs::metadata(mission_path)
            .and_then(|m| m.modified())
            .ok();
        write_dated(&path, text, dated)?;
    }
    Ok(path)
}

/// Write atomically (a temporary file renamed over it), so concurrent compiler processes
/// never read half a file; the folder gets its `.gitignore` first.
fn write(path: &Path, text: &str) -> std::io::Result<()> {
    write_dated(path, text, None)
}

/// [`write`], the file's modification time set to `modified` when given. When the rename
/// fails but another process has written the same text there, that is as good.
fn write_dated(
    path: &Path,
    text: &str,
    modified: Option<std::time::SystemTime>,
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "# derived files of cargo exemplar\n*\n")?;
    }
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        if let Some(t) = modified {
            f.set_modified(t)?;
        }
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
        if std::fs::read_to_string(path).is_ok_and(|t| t == text) {
            return Ok(());
        }
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    const MISSION: &str = "id: m\nname: M\nlang: Rust\ndesign:\n  - id: S0\n    name: T\n    aspect_id: null\n    detail: { type: tenet, content: c }\n  - id: S1\n    name: D\n    aspect_id: S0\n    status: retired\n    detail: { invariant: i }\n";

    #[test]
    fn the_ids_file_moves_only_when_ids_or_statuses_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mission.yaml");
        std::fs::write(&path, MISSION).unwrap();
        let m = crate::parse_file(&path).unwrap();
        assert!(refresh(&path, &m).unwrap());
        let ids = ids_file(&path);
        assert_eq!(ids, dir.path().join(".exemplar/mission.yaml.ids"));
        assert!(
            std::fs::read_to_string(&ids)
                .unwrap()
                .ends_with("S0 active\nS1 retired\n")
        );
        assert!(!refresh(&path, &m).unwrap(), "same ids: not written again");
        let edited = MISSION.replace("invariant: i", "invariant: j");
        let m = crate::parse_str(&path, &edited).unwrap();
        assert!(
            !refresh(&path, &m).unwrap(),
            "a directive's text is not an id"
        );
        let retired = MISSION.replace("status: retired", "status: active");
        let m = crate::parse_str(&path, &retired).unwrap();
        assert!(refresh(&path, &m).unwrap());
        let ignore = std::fs::read_to_string(dir.path().join(".exemplar/.gitignore")).unwrap();
        assert!(ignore.lines().any(|l| l == "*"));
    }
}
