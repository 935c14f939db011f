//! `cargo exemplar new --template NAME PATH`: start a project from a bundled reference mission.
//!
//! The templates are compiled into the binary (see [`bundle`]), so an installed
//! `cargo-exemplar` needs no checkout. The new project is a package of its own: its manifest
//! gets an empty `[workspace]`, and its mission file keeps the design but starts with no signal
//! and no history. Its `exemplar-test` dev-dependency is the checkout this binary was built
//! from when that checkout is still there (with the checkout's lockfile, so it builds with the
//! versions tested there), else `exemplar-test` of this version from crates.io.
//!
//! As `cargo new` does, the package is named after its folder (or `--name`), the project gets a
//! `.gitignore` (build output and the journal), and a git repository when it is not inside
//! one. The library keeps the template's crate name (`[lib] name`), so the template's tests and
//! benchmarks compile unchanged. kv's replay of its four iterations comes as a script that works
//! in the new project.

pub mod bundle;
mod iterate;

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
];

/// The checkout this binary was built from.
fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_owned()
}

/// Where a new project gets `exemplar-test` from.
pub enum Dependency {
    /// The `exemplar` folder of the checkout this binary was built from.
    Checkout(PathBuf),
    /// crates.io, this version.
    Registry(&'static str),
}

impl Dependency {
    /// The checkout this binary was built from, when it is still there; else crates.io.
    pub fn find() -> Dependency {
        Dependency::at(&checkout())
    }

    /// The `exemplar` folder of the checkout at `root`, when `root` is one; else crates.io.
    fn at(root: &Path) -> Dependency {
        let dir = root.join("exemplar");
        let ours = std::fs::read_to_string(dir.join("Cargo.toml"))
            .is_ok_and(|t| t.contains("name = \"exemplar-test\""));
        if ours {
            Dependency::Checkout(dir)
        } else {
            Dependency::Registry(env!("CARGO_PKG_VERSION"))
        }
    }

    /// The value of `exemplar-test = ...` in a manifest.
    fn toml(&self) -> String {
        match self {
            Dependency::Checkout(dir) => {
                format!(
                    "{{ path = {:?} }}",
                    dir.display().to_string().replace('\\', "/")
                )
            }
            Dependency::Registry(v) => format!("{v:?}"),
        }
    }
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

/// The manifest of a standalone copy: the package named `package` (its library keeps the
/// template's crate name), `exemplar-test` from `dep`, its own workspace.
fn standalone_manifest(text: &str, template: &str, package: &str, dep: &Dependency) -> String {
    let mut out = text.replace(
        "exemplar-test = { path = \"../../exemplar\" }",
        &format!("exemplar-test = {}", dep.toml()),
    );
    if package != template {
        out = out.replacen(
            &format!("[package]\nname = \"{template}\""),
            &format!("[package]\nname = \"{package}\""),
            1,
        );
        if !out.contains("\n[lib]") {
            out.push_str(&format!(
                "\n# The library keeps the template's crate name, so the tests' `use {template}::...`\n# compile as they are; rename it here and in them to make it yours.\n[lib]\nname = \"{template}\"\n"
            ));
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(
        "\n# A project of its own, not a member of the workspace around it.\n[workspace]\n",
    );
    out
}

/// The mission file's JSON Schema at `path`.
pub fn write_schema(path: &Path) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(&crate::schema::mission_schema())
        .expect("the schema serializes");
    write(path, format!("{text}\n").as_bytes())
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

/// The package name of a new project: `--name`, else the folder's name, checked as cargo
/// checks it.
fn package_name(args: &NewArgs) -> Result<String, Error> {
    let name = match &args.name {
        Some(n) => n.clone(),
        None => args
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned(),
    };
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(Error::Usage(format!(
            "`{name}` is not a valid package name (letters, digits, `-` and `_`, starting with a letter); give one with --name"
        )));
    }
    Ok(name)
}

/// `.gitignore` of a new project.
const GITIGNORE: &str = "# Build output.\n/target/\n# The signal journal: this machine's run history. The mission file carries the signal and\n# the gradient history that belong in git; to share the journal itself, see the book's\n# \"The signal journal\" chapter (journal export/import).\n/.exemplar/\n";

/// `git init` in `dest` unless it is inside a work tree already (as `cargo new`).
fn git_init(dest: &Path) -> Result<bool, Error> {
    let inside = std::process::Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(dest)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if inside {
        return Ok(false);
    }
    let status = std::process::Command::new("git")
        .args(["init", "--quiet"])
        .current_dir(dest)
        .status()
        .map_err(|source| Error::Io {
            action: "run git init in",
            path: dest.to_owned(),
            source,
        })?;
    Ok(status.success())
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
    let files = bundle::files(bundle::BUNDLE, name);
    if files.is_empty() {
        return Err(Error::Usage(
            "this cargo-exemplar was built without its templates; reinstall it (`cargo install cargo-exemplar`)".into(),
        ));
    }
    let package = package_name(args)?;
    let dep = Dependency::find();
    for f in &files {
        let target = dest.join(f.path);
        if f.path == "Cargo.toml" {
            let text = String::from_utf8_lossy(f.bytes);
            let manifest = standalone_manifest(&text, name, &package, &dep);
            write(&target, manifest.as_bytes())?;
        } else if f.path == exemplar_mission::DEFAULT_MISSION_FILE {
            // Editors validate and complete the mission against the schema beside it.
            let text = crate::schema::with_modeline(&String::from_utf8_lossy(f.bytes));
            write(&target, text.as_bytes())?;
            write_schema(&dest.join(crate::schema::SCHEMA_FILE))?;
        } else {
            write(&target, f.bytes)?;
        }
    }
    if let Dependency::Checkout(_) = dep {
        let lock = checkout().join("Cargo.lock");
        let lockfile = std::fs::read(&lock).map_err(|source| Error::Io {
            action: "read",
            path: lock,
            source,
        })?;
        write(&dest.join("Cargo.lock"), &lockfile)?;
    }
    write(&dest.join(".gitignore"), GITIGNORE.as_bytes())?;
    if files.iter().any(|f| f.path.starts_with("iterations/")) {
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("cargo-exemplar"));
        let script = dest.join("iterate.sh");
        write(&script, iterate::script(&exe).as_bytes())?;
        make_executable(&script)?;
    }
    let repo = if git_init(dest)? {
        ", in a new git repository"
    } else {
        ""
    };
    // Branches that both ran merge their mission file without a conflict.
    crate::merge_driver::register(dest, &[dest.join(exemplar_mission::DEFAULT_MISSION_FILE)])?;
    println!(
        "created package `{package}` in {} from the `{name}` template{repo}\n  run its tests and measure its loss: cargo exemplar run --manifest-path {}",
        dest.display(),
        dest.join("Cargo.toml").display()
    );
    Ok(ExitCode::Ok)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|source| {
        Error::Io {
            action: "make executable",
            path: path.to_owned(),
            source,
        }
    })
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<(), Error> {
    Ok(())
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
                    c == "target" || c == "Cargo.lock" || c == "corpus"
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
    fn far_from_a_checkout_the_dependency_comes_from_crates_io() {
        assert!(matches!(Dependency::find(), Dependency::Checkout(_)));
        let elsewhere = tempfile::tempdir().unwrap();
        match Dependency::at(elsewhere.path()) {
            Dependency::Registry(v) => assert_eq!(v, env!("CARGO_PKG_VERSION")),
            Dependency::Checkout(d) => panic!("a checkout at {}", d.display()),
        }
    }

    #[test]
    fn the_manifest_points_at_this_checkout_and_stands_alone() {
        let template = "[package]\nname = \"kv\"\n[dev-dependencies]\nexemplar-test = { path = \"../../exemplar\" }\n";
        let dep = Dependency::Checkout(PathBuf::from("/src/exemplar/exemplar"));
        let m = standalone_manifest(template, "kv", "mystore", &dep);
        let doc: toml::Table = m.parse().unwrap();
        assert_eq!(
            doc["dev-dependencies"]["exemplar-test"]["path"].as_str(),
            Some("/src/exemplar/exemplar")
        );

        assert!(doc["workspace"].as_table().unwrap().is_empty());
        assert_eq!(doc["package"]["name"].as_str(), Some("mystore"));
        assert_eq!(doc["lib"]["name"].as_str(), Some("kv"));
        let m = standalone_manifest(template, "kv", "kv", &Dependency::Registry("0.3.1"));
        let doc: toml::Table = m.parse().unwrap();
        assert_eq!(
            doc["dev-dependencies"]["exemplar-test"].as_str(),
            Some("0.3.1")
        );
    }
}
