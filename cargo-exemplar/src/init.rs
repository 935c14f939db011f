//! `cargo exemplar init`: adopt exemplar in an existing crate or workspace.
//!
//! For each selected package (as `run` selects them: the package in the current folder, `-p`,
//! or `--workspace`) it writes a commented starter mission file where the package's mission
//! belongs, and adds `exemplar-test` as a dev-dependency with `cargo add` (so the manifest
//! keeps its layout). It refuses when a selected package already has a mission file, before
//! writing anything. Then it prints the next steps.

use std::path::Path;
use std::process::Command;

use crate::cli::InitArgs;
use crate::errors::{Error, ExitCode};
use crate::new::Dependency;

/// `cargo exemplar init`.
pub fn command(args: &InitArgs) -> Result<ExitCode, Error> {
    let packages = exemplar_runner::discover::package_missions(&(&args.missions).into())?;
    if let Some(p) = packages.iter().find(|p| p.mission_path.exists()) {
        return Err(Error::Usage(format!(
            "{} already exists (the mission of package {}); init writes nothing over it",
            p.mission_path.display(),
            p.name
        )));
    }
    let dep = Dependency::find();
    let mut done: Vec<&str> = Vec::new();
    let mut written: Vec<&std::path::Path> = Vec::new();
    for p in &packages {
        add_dependency(&p.manifest_path, &dep, &done)?;
        done.push(&p.name);
        // Packages may share one mission file: it is written once.
        if written.contains(&p.mission_path.as_path()) {
            continue;
        }
        written.push(&p.mission_path);
        let text = crate::schema::with_modeline(&starter_mission(&p.name));
        if let Some(dir) = p.mission_path.parent() {
            crate::new::write_schema(&dir.join(crate::schema::SCHEMA_FILE))?;
        }
        std::fs::write(&p.mission_path, text).map_err(|source| Error::Io {
            action: "write",
            path: p.mission_path.clone(),
            source,
        })?;
        println!(
            "{:>12} {} (package {}), and exemplar-test as a dev-dependency",
            "Created",
            p.mission_path.display(),
            p.name
        );
    }
    let missions: Vec<std::path::PathBuf> = written.iter().map(|p| p.to_path_buf()).collect();
    let dir = missions
        .first()
        .and_then(|m| m.parent())
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !missions.is_empty()
        && let Some(attributes) = crate::merge_driver::register(dir, &missions)?
    {
        println!(
            "{:>12} the merge driver of mission files ({} and git config merge.exemplar)",
            "Registered",
            attributes.display()
        );
    }
    println!("{NEXT_STEPS}");
    Ok(ExitCode::Ok)
}

/// `cargo add --dev exemplar-test` for the package of `manifest`, from `dep`; `done` names the
/// packages already set up, for the error.
fn add_dependency(manifest: &Path, dep: &Dependency, done: &[&str]) -> Result<(), Error> {
    let mut cmd = Command::new(exemplar_runner::build::cargo());
    cmd.args(["add", "--dev", "--quiet", "--manifest-path"])
        .arg(manifest);
    match dep {
        Dependency::Checkout(dir) => cmd.arg("--path").arg(dir),
        Dependency::Registry(v) => cmd.arg(format!("exemplar-test@{v}")),
    };
    let status = cmd.status().map_err(|source| Error::Io {
        action: "run cargo add for",
        path: manifest.to_owned(),
        source,
    })?;
    if !status.success() {
        let before = match done {
            [] => "nothing else was written".to_owned(),
            done => format!("packages set up before it: {}", done.join(", ")),
        };
        return Err(Error::Usage(format!(
            "cargo add could not add exemplar-test to {} ({status}); {before}",
            manifest.display()
        )));
    }
    Ok(())
}

/// A starter mission for package `name`: one idea and one proposed directive, commented.
pub fn starter_mission(name: &str) -> String {
    let id: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!(
        r#"# The mission of {name}: its design as a tree of ideas and testable directives.
# `cargo exemplar run` runs the tests tagged #[design(...)], measures the loss of each
# directive (its share of failing evidence), and rewrites the `signal:` and `history:`
# sections it appends below. Everything above them is yours: edit it freely.
id: {id}
name: {name}
lang: Rust
design:
  # An idea (aspect_id: null): a tenet in prose, measured through the directives under it.
  - id: S0
    name: What {name} promises
    aspect_id: null
    detail:
      type: tenet
      content: Replace this with what the crate must always do.
  # A directive: a testable invariant under an idea. Tag the tests that verify it:
  #   #[design(S1)]
  #   #[test]
  #   fn ...
  # It starts `proposed` (measured, never failing `cargo exemplar check`); make it
  # `active` once a test verifies it.
  - id: S1
    name: A first directive
    aspect_id: S0
    status: proposed
    detail:
      invariant: Replace this with a property a test can check.
"#
    )
}

const NEXT_STEPS: &str = "
Next:
  1. Edit the mission file: what the crate promises (S0) and a first directive (S1).
  2. Tag a test that verifies it, above its test attribute (#[test], #[tokio::test], #[rstest]):
         use exemplar::design;

         #[design(S1)]
         #[test]
         fn ...
  3. cargo exemplar run       runs every test, records each directive's loss in the mission file
     cargo exemplar list      shows each test with its directives
     cargo exemplar hook install   gates commits on the loss (cargo exemplar check)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_mission_is_a_valid_mission() {
        let text = starter_mission("my-crate");
        let m = exemplar_mission::parse_str(Path::new("mission.yaml"), &text).unwrap();
        assert_eq!(m.id, "my-crate");
        assert_eq!(m.design.len(), 2);
        assert_eq!(m.design[1].status, exemplar_mission::Status::Proposed);
    }
}
