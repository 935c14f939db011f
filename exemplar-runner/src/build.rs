//! Building the test binaries: `cargo test --no-run --message-format=json-render-diagnostics`,
//! forwarding the package selection and build flags, and collecting the executables of test
//! targets from cargo's artifact messages. Compiler diagnostics go to stderr as cargo renders
//! them.

use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cargo_metadata::Message;

use crate::discover::MissionPackage;
use crate::errors::Error;
use crate::plan::Selection;

/// A built test executable.
#[derive(Debug, Clone)]
pub struct TestBinary {
    /// Package name.
    pub package: String,
    /// The target's name (`kv` for `tests/kv.rs`).
    pub target: String,
    /// `test`, `lib`, `bin`, `example`, `bench`.
    pub kind: String,
    /// The executable.
    pub path: PathBuf,
    /// The target's source file.
    pub src_path: PathBuf,
}

/// Write each mission's ids file when its ids or statuses changed.
fn refresh_ids(packages: &[MissionPackage]) -> Result<(), Error> {
    for p in packages {
        exemplar_mission::tracking::refresh(&p.mission.path, &p.mission).map_err(|source| {
            Error::Io {
                action: "write",
                path: exemplar_mission::tracking::ids_file(&p.mission.path),
                source,
            }
        })?;
    }
    Ok(())
}

/// The cargo to run: the one that started us, else `cargo` on the PATH.
pub fn cargo() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

/// Build the tests of `packages` and return their executables, in cargo's order.
///
/// Each mission's ids file is refreshed first (see [`exemplar_mission::tracking`]): the tests
/// of a package are rebuilt when, and only when, its mission's ids or statuses changed.
pub fn build(sel: &Selection, packages: &[MissionPackage]) -> Result<Vec<TestBinary>, Error> {
    refresh_ids(packages)?;
    let mut cmd = Command::new(cargo());
    cmd.args([
        "test",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]);
    if let Some(m) = &sel.manifest_path {
        cmd.arg("--manifest-path").arg(m);
    }
    for p in packages {
        cmd.args(["--package", &p.name]);
    }
    for f in &sel.features {
        cmd.args(["--features", f]);
    }
    if sel.all_features {
        cmd.arg("--all-features");
    }
    if sel.no_default_features {
        cmd.arg("--no-default-features");
    }
    if sel.release {
        cmd.arg("--release");
    }
    if sel.targets.lib {
        cmd.arg("--lib");
    }
    if sel.targets.bins {
        cmd.arg("--bins");
    }
    for t in &sel.targets.tests {
        cmd.args(["--test", t]);
    }
    cmd.args(sel.cargo.args());
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .stdin(Stdio::null());
    let mut child = cmd.spawn().map_err(|source| Error::Io {
        action: "start",
        path: cargo(),
        source,
    })?;
    let stdout = child.stdout.take().expect("stdout was piped");
    let mut out = Vec::new();
    for msg in Message::parse_stream(BufReader::new(stdout)) {
        let msg = msg.map_err(|source| Error::Io {
            action: "read the output of",
            path: cargo(),
            source,
        })?;
        if let Message::CompilerArtifact(a) = msg
            && a.profile.test
            && let Some(exe) = a.executable
        {
            let package = packages.iter().find(|p| {
                a.manifest_path.parent().map(|d| d.as_std_path()) == Some(p.dir.as_path())
            });
            if let Some(p) = package {
                out.push(TestBinary {
                    package: p.name.clone(),
                    target: a.target.name.clone(),
                    kind: a
                        .target
                        .kind
                        .first()
                        .map(|k| k.to_string())
                        .unwrap_or_default(),
                    path: exe.into_std_path_buf(),
                    src_path: a.target.src_path.into_std_path_buf(),
                });
            }
        }
    }
    let status = child.wait().map_err(|source| Error::Io {
        action: "wait for",
        path: cargo(),
        source,
    })?;
    if !status.success() {
        return Err(Error::Build {
            status: status.to_string(),
        });
    }
    out.sort_by(|a, b| (&a.package, &a.kind, &a.target).cmp(&(&b.package, &b.kind, &b.target)));
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}
