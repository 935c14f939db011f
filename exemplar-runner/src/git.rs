//! The git commit a run belongs to: the short hash of `HEAD`, with `+dirty` when the work tree
//! has changes. `None` outside a repository or without git.

use std::path::Path;
use std::process::{Command, Stdio};

/// `1a2b3c4` or `1a2b3c4+dirty`, for the repository containing `dir`.
pub fn describe(dir: &Path) -> Option<String> {
    let head = git(dir, &["rev-parse", "--short=7", "HEAD"])?;
    let status = git(dir, &["status", "--porcelain", "--untracked-files=no"])?;
    Some(if status.trim().is_empty() {
        head
    } else {
        format!("{head}+dirty")
    })
}

/// Run git in `dir`; its stdout without the final newline when it succeeds.
pub fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}
