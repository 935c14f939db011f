//! Embed the reference missions under `templates/` so `cargo exemplar new --template NAME`
//! can write one out wherever the binary runs. Build outputs, fuzzing corpora, lockfiles and
//! the kv tutorial's replay script (which only works inside this repository) stay out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const TEMPLATES: &[&str] = &["kv", "persist", "hexmap"];
const SKIP: &[&str] = &[
    "target",
    "corpus",
    "artifacts",
    "coverage",
    "Cargo.lock",
    "iterate.sh",
    "iterations",
];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    let mut skipped = false;
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if SKIP.contains(&name) || name.starts_with('.') || name.ends_with(".snap.new") {
            skipped = true;
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else {
            println!("cargo:rerun-if-changed={}", p.display());
            out.push(p);
        }
    }
    // A folder is watched whole (so a new file rebuilds) unless it holds build outputs, whose
    // churn would rebuild for nothing; its files are watched one by one either way.
    if !skipped {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest
        .parent()
        .expect("cargo-exemplar sits in the workspace")
        .to_owned();
    let mut code = String::from(
        "/// Each template: its name and its files (path relative to it, contents).\n",
    );
    code.push_str("pub static TEMPLATES: &[Template] = &[\n");
    for name in TEMPLATES {
        let dir = root.join("templates").join(name);
        let mut files = Vec::new();
        walk(&dir, &mut files);
        let _ = writeln!(code, "    ({name:?}, &[");
        for f in files {
            let rel = f
                .strip_prefix(&dir)
                .expect("under the template")
                .to_string_lossy()
                .replace('\\', "/");
            let _ = writeln!(
                code,
                "        ({rel:?}, include_bytes!({:?})),",
                f.display().to_string()
            );
        }
        code.push_str("    ]),\n");
    }
    code.push_str("];\n");
    let lock = root.join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let _ = writeln!(
        code,
        "/// The workspace's lockfile: a new project builds with the versions this one was tested with.\npub static LOCKFILE: &[u8] = include_bytes!({:?});",
        lock.display().to_string()
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("templates.rs");
    std::fs::write(&out, code).expect("write templates.rs");
}
