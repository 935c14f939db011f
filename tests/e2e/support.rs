//! Fixture handling: copy a fixture to a temporary folder (runs rewrite its mission file),
//! point its `exemplar` dependency at this checkout, and build it in a target folder shared by
//! all end-to-end tests so dependencies compile once.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-target")
}

/// A copy of `tests/fixtures/NAME` in a fresh temporary folder.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new(name: &str) -> Fixture {
        let src = repo_root().join("tests/fixtures").join(name);
        let dir = tempfile::Builder::new()
            .prefix("exemplar-e2e-")
            .tempdir()
            .unwrap();
        copy_tree(&src, dir.path());
        let exemplar = repo_root().join("exemplar");
        let exemplar = format!("{:?}", exemplar.display().to_string());
        // Cargo gives a path package the same artifact names wherever it lives; copies built in
        // one target folder at once would overwrite each other's test binaries. A version of
        // its own makes each copy's artifacts its own (dependencies are still shared).
        static COPIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let version = format!("version = \"0.1.0-e2e.{}.{n}\"", std::process::id());
        for manifest in walk(dir.path())
            .into_iter()
            .filter(|p| p.ends_with("Cargo.toml"))
        {
            let text = std::fs::read_to_string(&manifest).unwrap();
            let fixed = text
                .replace("\"../../../../exemplar\"", &exemplar)
                .replace("\"../../../exemplar\"", &exemplar)
                .replace("version = \"0.1.0\"", &version);
            if text.contains("[package]") {
                assert_ne!(text, fixed, "{} was not adapted", manifest.display());
            }
            std::fs::write(&manifest, fixed).unwrap();
        }
        // The same dependency versions as this workspace, so builds are shared.
        std::fs::copy(
            repo_root().join("Cargo.lock"),
            dir.path().join("Cargo.lock"),
        )
        .unwrap();
        Fixture { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path().join(rel), text).unwrap();
    }

    pub fn expected(&self) -> serde_json::Value {
        serde_json::from_str(&self.read("expected.json")).unwrap()
    }

    /// `cargo exemplar ARGS` in the fixture.
    pub fn exemplar(&self, args: &[&str]) -> Output {
        self.exemplar_env(args, &[])
    }

    pub fn exemplar_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"));
        cmd.arg("exemplar")
            .args(args)
            .current_dir(self.path())
            .env("CARGO_TARGET_DIR", target_dir())
            .env("NO_COLOR", "1")
            .env_remove("CARGO_TERM_COLOR")
            .env_remove("RUST_BACKTRACE")
            .env_remove("EXEMPLAR_EVENTS");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// Build the fixture's tests and return the executable of test target `name`.
    pub fn test_binary(&self, name: &str) -> PathBuf {
        let out = Command::new(env!("CARGO"))
            .args([
                "test",
                "--no-run",
                "--message-format=json-render-diagnostics",
            ])
            .current_dir(self.path())
            .env("CARGO_TARGET_DIR", target_dir())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let v: serde_json::Value = match serde_json::from_str(line) {
                Ok(v) => v,
                Err(_) => continue,
            };
            if v["reason"] == "compiler-artifact"
                && v["target"]["name"] == name
                && v["profile"]["test"] == true
                && let Some(exe) = v["executable"].as_str()
            {
                return PathBuf::from(exe);
            }
        }
        panic!("no test binary named {name}");
    }
}

/// Copy the files under `src` into `dst` (which exists), leaving out `target/` folders.
pub fn copy_tree(src: &Path, dst: &Path) {
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() == "target" {
                continue;
            }
            std::fs::create_dir_all(&to).unwrap();
            copy_tree(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// Every file under `dir`.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Held while a test runs the kv template's tests, whose throughput test bounds fsync latency:
/// two such runs at once on a small machine would measure each other. Tests whose builds are
/// heavy (tokio, rstest) hold it too, so that no kv measurement runs beside them.
pub fn kv_alone() -> std::sync::MutexGuard<'static, ()> {
    static KV: std::sync::Mutex<()> = std::sync::Mutex::new(());
    KV.lock().unwrap_or_else(|e| e.into_inner())
}

/// `git ARGS` in `dir` as a committer named t, not yet run.
pub fn git_command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com");
    cmd
}

/// `git ARGS` in `dir` as a committer named t; it must succeed. Its stdout, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir, args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    stdout(&out).trim().to_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parse `run --message-format json` output.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not json ({e}):\n{}\nstderr:\n{}", stdout(o), stderr(o)))
}

/// The python of a venv made for these tests (`name`, under the target's scratch folder),
/// with `packages` installed from PyPI: made once, reused by later runs.
pub fn python_venv(name: &str, packages: &[&str]) -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let python = venv.join("bin/python");
    if !python.exists() {
        let st = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap();
        assert!(st.success(), "python3 -m venv failed");
    }
    let modules: Vec<String> = packages
        .iter()
        .map(|p| p.split(['=', '<', '>']).next().unwrap().replace('-', "_"))
        .collect();
    let probe = Command::new(&python)
        .args(["-c", &format!("import {}", modules.join(", "))])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    if !probe.success() {
        let st = Command::new(&python)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(packages)
            .status()
            .unwrap();
        assert!(st.success(), "pip install {packages:?} failed");
    }
    python
}

/// The folder of npm package `spec` (`name@version`), installed from the npm registry into a
/// folder made for these tests: installed once, reused by later runs.
pub fn npm_package(spec: &str) -> PathBuf {
    let name = spec.rsplit_once('@').map_or(spec, |(n, _)| n);
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("npm-{}", spec.replace(['@', '/'], "-")));
    let dir = prefix.join("node_modules").join(name);
    if !dir.join("package.json").exists() {
        let st = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&prefix)
            .arg(spec)
            .status()
            .unwrap();
        assert!(st.success(), "npm install {spec} failed");
    }
    dir
}
