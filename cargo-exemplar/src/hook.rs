//! `cargo exemplar hook install`: a git pre-commit hook that runs the loss gate.
//!
//! The hook goes where git looks for hooks (`git rev-parse --git-path hooks`, so
//! `core.hooksPath` is honoured). A hook exemplar wrote before is replaced. A hook someone else
//! wrote is never overwritten silently: `--chain` keeps it (renamed to
//! `pre-commit.before-exemplar`) and runs it first; `--force` replaces it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::HookInstallArgs;
use crate::errors::{Error, ExitCode};

/// The line that marks a hook as exemplar's.
pub const MARKER: &str = "# installed by `cargo exemplar hook install`";

/// The name a chained foreign hook is kept under.
pub const CHAINED: &str = "pre-commit.before-exemplar";

/// The hook script.
pub fn script(command: &str, chained: bool) -> String {
    let mut s = format!(
        "#!/bin/sh\n{MARKER}: runs the loss gate before each commit.\n# Skip it once with `git commit --no-verify`.\nset -e\n"
    );
    if chained {
        s.push_str(&format!("\"$(dirname \"$0\")/{CHAINED}\" \"$@\"\n"));
    }
    s.push_str(&format!("exec {command}\n"));
    s
}

/// Install the hook; returns where.
pub fn install(args: &HookInstallArgs) -> Result<PathBuf, Error> {
    let repo = args.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    let hooks = git_path(&repo)?;
    std::fs::create_dir_all(&hooks).map_err(|source| Error::Io {
        action: "create",
        path: hooks.clone(),
        source,
    })?;
    let path = hooks.join("pre-commit");
    let mut chained = false;
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if existing.contains(MARKER) {
            chained = existing.contains(CHAINED);
        } else if args.chain {
            let keep = hooks.join(CHAINED);
            if keep.exists() {
                return Err(Error::Usage(format!(
                    "{} exists already; remove it or use --force",
                    keep.display()
                )));
            }
            std::fs::rename(&path, &keep).map_err(|source| Error::Io {
                action: "rename",
                path: path.clone(),
                source,
            })?;
            chained = true;
        } else if !args.force {
            return Err(Error::Usage(format!(
                "{} exists and was not written by exemplar; --chain runs it before the gate, --force replaces it",
                path.display()
            )));
        }
    }
    std::fs::write(&path, script(&args.command, chained)).map_err(|source| Error::Io {
        action: "write",
        path: path.clone(),
        source,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(
            |source| Error::Io {
                action: "make executable",
                path: path.clone(),
                source,
            },
        )?;
    }
    Ok(path)
}

fn git_path(repo: &Path) -> Result<PathBuf, Error> {
    let out = Command::new("git")
        .args(["rev-parse", "--git-path", "hooks"])
        .current_dir(repo)
        .output()
        .map_err(|source| Error::Io {
            action: "run git in",
            path: repo.to_owned(),
            source,
        })?;
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "{} is not in a git repository",
            repo.display()
        )));
    }
    let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    Ok(if p.is_absolute() { p } else { repo.join(p) })
}

/// `cargo exemplar hook install`.
pub fn command(args: &HookInstallArgs) -> Result<ExitCode, Error> {
    let path = install(args)?;
    println!("installed {} (runs `{}`)", path.display(), args.command);
    let repo = args.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    if let Some(attributes) =
        crate::merge_driver::register(&repo, &[exemplar_mission::DEFAULT_MISSION_FILE.into()])?
    {
        println!(
            "registered the merge driver of mission files ({} and git config merge.exemplar)",
            attributes.display()
        );
    }
    Ok(ExitCode::Ok)
}
