//! `cargo exemplar new --template NAME PATH`: start a project from a bundled reference mission.
//!
//! The templates are read from the checkout this binary was built from: the new project
//! depends on that checkout's `exemplar` crate anyway (exemplar is not on crates.io yet), and
//! reading them there keeps them current without rebuilding the binary whenever a run rewrites
//! a template's mission file. The new project is a package of its own: its manifest gets an
//! empty `[workspace]` and points `exemplar` at the checkout, it gets the checkout's lockfile
//! so it builds with the versions tested there, and its mission file keeps the design but
//! starts with no signal and no history. Build outputs, fuzzing corpora and the kv tutorial's
//! replay script (which only works inside the repository) stay behind.

use std::path::{Path, PathBuf};

use crate::cli::NewArgs;
use crate::errors::{Error, ExitCode};

/// The bundled templates.
pub const TEMPLATES: &[&str] = &["kv", "persist", "hexmap"];

/// Names left out of a new project.
const SKIP: &[&str] = &[
    "target",
    "corpus",
    "artifacts",
    "coverage",
    "Cargo.lock",
    "iterate.sh",
    "iterations",
];

/// The checkout this binary was built from.
fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_owned()
}

/// The files of the template in `dir`, relative to it, in a stable order.
pub fn template_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
        let read = std::fs::read_dir(dir).map_err(|source| Error::Io {
            action: "read",
            path: dir.to_owned(),
            source,
        })?;
        let mut entries: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if SKIP.contains(&name) || name.starts_with('.') || name.ends_with(".snap.new") {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out)?;
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_owned());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    Ok(out)
}

/// The mission text without its `signal:` and `history:` sections (they come last).
pub fn fresh_mission(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("signal:") || line.starts_with("history:") {
            break;
        }
        out.push_str(line);
    }
    out
}

/// The manifest of a standalone copy: `exemplar` by absolute path, its own workspace.
fn standalone_manifest(text: &str, exemplar: &Path) -> String {
    let path = exemplar.display().to_string().replace('\\', "/");
    let mut out = text.replace("path = \"../../exemplar\"", &format!("path = {path:?}"));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(
        "\n# A project of its own, not a member of the workspace around it.\n[workspace]\n",
    );
    out
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io = |action: &'static str| {
        let path = path.to_owned();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io("create"))?;
    }
    std::fs::write(path, bytes).map_err(io("write"))
}

/// Write template `args.template` to `args.path`.
pub fn command(args: &NewArgs) -> Result<ExitCode, Error> {
    let Some(name) = TEMPLATES.iter().find(|n| **n == args.template) else {
        return Err(Error::Usage(format!(
            "no template `{}`; the templates are: {}",
            args.template,
            TEMPLATES.join(", ")
        )));
    };
    let dest = &args.path;
    if dest.exists() {
        let empty = std::fs::read_dir(dest)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(Error::Usage(format!(
                "{} already exists and is not an empty folder; choose a new path",
                dest.display()
            )));
        }
    }
    let root = checkout();
    let exemplar = root.join("exemplar");
    let source = root.join("templates").join(name);
    if !exemplar.join("Cargo.toml").is_file() || !source.join("mission.yaml").is_file() {
        return Err(Error::Usage(format!(
            "this cargo-exemplar was built from {}, which no longer holds the exemplar crate and the templates; exemplar is not on crates.io yet, so a new project needs that checkout",
            root.display()
        )));
    }
    let files = template_files(&source)?;
    for rel in &files {
        let from = source.join(rel);
        let bytes = std::fs::read(&from).map_err(|source| Error::Io {
            action: "read",
            path: from.clone(),
            source,
        })?;
        let target = dest.join(rel);
        match rel.to_str() {
            Some("Cargo.toml") => {
                let text = String::from_utf8_lossy(&bytes);
                write(&target, standalone_manifest(&text, &exemplar).as_bytes())?;
            }
            Some("mission.yaml") => {
                let text = String::from_utf8_lossy(&bytes);
                write(&target, fresh_mission(&text).as_bytes())?;
            }
            _ => write(&target, &bytes)?,
        }
    }
    let lock = root.join("Cargo.lock");
    let lockfile = std::fs::read(&lock).map_err(|source| Error::Io {
        action: "read",
        path: lock,
        source,
    })?;
    write(&dest.join("Cargo.lock"), &lockfile)?;
    println!(
        "created {} from the `{name}` template ({} files)\n  run its tests and measure its loss: cargo exemplar run --manifest-path {}",
        dest.display(),
        files.len() + 1,
        dest.join("Cargo.toml").display()
    );
    Ok(ExitCode::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_has_a_manifest_a_mission_and_tests_and_no_build_output() {
        for name in TEMPLATES {
            let dir = checkout().join("templates").join(name);
            let files = template_files(&dir).unwrap();
            let has = |p: &str| files.iter().any(|r| r == Path::new(p));
            assert!(has("Cargo.toml") && has("mission.yaml"), "{name}");
            assert!(files.iter().any(|r| r.starts_with("tests")), "{name}");
            assert!(
                !files.iter().any(|r| r.components().any(|c| {
                    let c = c.as_os_str();
                    c == "target" || c == "Cargo.lock" || c == "corpus" || c == "iterate.sh"
                })),
                "{name}: {files:?}"
            );
            let text = std::fs::read_to_string(dir.join("mission.yaml")).unwrap();
            assert!(
                text.contains("\nsignal:"),
                "{name} is committed with its signal"
            );
            let fresh = fresh_mission(&text);
            assert!(!fresh.contains("\nsignal:") && !fresh.contains("\nhistory:"));
            let mission = exemplar_mission::parse_str(Path::new("mission.yaml"), &fresh).unwrap();
            let full = exemplar_mission::parse_str(Path::new("mission.yaml"), &text).unwrap();
            assert_eq!(mission.design, full.design, "{name}");
            assert!(mission.signal.is_empty() && mission.history.is_empty());
        }
    }

    #[test]
    fn the_manifest_points_at_this_checkout_and_stands_alone() {
        let m = standalone_manifest(
            "[package]\nname = \"kv\"\n[dev-dependencies]\nexemplar = { path = \"../../exemplar\" }\n",
            Path::new("/src/exemplar/exemplar"),
        );
        let doc: toml::Table = m.parse().unwrap();
        assert_eq!(
            doc["dev-dependencies"]["exemplar"]["path"].as_str(),
            Some("/src/exemplar/exemplar")
        );
        assert!(doc["workspace"].as_table().unwrap().is_empty());
    }
}
