//! `cargo exemplar new --template NAME PATH`: start a project from a bundled reference mission.
//!
//! The template's files are embedded in the binary (see `build.rs`). The new project is a
//! package of its own: its manifest gets an empty `[workspace]` and points `exemplar` at the
//! checkout this binary was built from (exemplar is not on crates.io yet), it gets this
//! workspace's lockfile so it builds with the versions tested here, and its mission file keeps
//! the design but starts with no signal and no history.

use std::path::{Path, PathBuf};

use crate::cli::NewArgs;
use crate::errors::{Error, ExitCode};

/// One file of a template: its path in the template, its contents.
pub type TemplateFile = (&'static str, &'static [u8]);

/// A template: its name and its files.
pub type Template = (&'static str, &'static [TemplateFile]);

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The names of the bundled templates.
pub fn names() -> Vec<&'static str> {
    TEMPLATES.iter().map(|(n, _)| *n).collect()
}

/// Where the `exemplar` crate of the checkout this binary was built from is.
fn exemplar_crate() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .join("exemplar")
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
    let Some((name, files)) = TEMPLATES.iter().find(|(n, _)| *n == args.template) else {
        return Err(Error::Usage(format!(
            "no template `{}`; the templates are: {}",
            args.template,
            names().join(", ")
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
    let exemplar = exemplar_crate();
    if !exemplar.join("Cargo.toml").is_file() {
        return Err(Error::Usage(format!(
            "this cargo-exemplar was built from {}, which no longer has the exemplar crate; exemplar is not on crates.io yet, so a new project depends on that checkout",
            exemplar.display()
        )));
    }
    for (rel, bytes) in files.iter() {
        let target = dest.join(rel);
        match *rel {
            "Cargo.toml" => {
                let text = String::from_utf8_lossy(bytes);
                write(&target, standalone_manifest(&text, &exemplar).as_bytes())?;
            }
            "mission.yaml" => {
                let text = String::from_utf8_lossy(bytes);
                write(&target, fresh_mission(&text).as_bytes())?;
            }
            _ => write(&target, bytes)?,
        }
    }
    write(&dest.join("Cargo.lock"), LOCKFILE)?;
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
    fn every_template_has_a_manifest_a_mission_and_tests() {
        assert_eq!(names(), ["kv", "persist", "hexmap"]);
        for (name, files) in TEMPLATES {
            let has = |p: &str| files.iter().any(|(r, _)| *r == p);
            assert!(has("Cargo.toml") && has("mission.yaml"), "{name}");
            assert!(files.iter().any(|(r, _)| r.starts_with("tests/")), "{name}");
            assert!(
                !files
                    .iter()
                    .any(|(r, _)| r.contains("target/") || r.ends_with("Cargo.lock")),
                "{name}"
            );
        }
    }

    #[test]
    fn a_fresh_mission_keeps_the_design_and_drops_the_signal() {
        for (name, files) in TEMPLATES {
            let (_, text) = files.iter().find(|(r, _)| *r == "mission.yaml").unwrap();
            let text = std::str::from_utf8(text).unwrap();
            assert!(
                text.contains("\nsignal:"),
                "{name} is committed with its signal"
            );
            let fresh = fresh_mission(text);
            assert!(!fresh.contains("\nsignal:") && !fresh.contains("\nhistory:"));
            let mission = exemplar_mission::parse_str(Path::new("mission.yaml"), &fresh).unwrap();
            let full = exemplar_mission::parse_str(Path::new("mission.yaml"), text).unwrap();
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
