//! Two branches that both ran merge their mission file without a conflict, through the merge
//! driver that `hook install` registers: git's own line merge conflicts on the same three
//! versions.

use std::process::Command;

use crate::support::{Fixture, git, git_command, kv_alone, stderr};

#[test]
fn two_branches_that_both_ran_merge_their_mission_file() {
    let _heavy = kv_alone();
    let fx = Fixture::new("basic");
    let dir = fx.path();
    git(dir, &["init", "-q", "-b", "main"]);
    let hook = fx.exemplar(&["hook", "install"]);
    assert_eq!(hook.status.code(), Some(0), "{}", stderr(&hook));
    let attributes = fx.read(".gitattributes");
    assert!(
        attributes.contains("mission.yaml merge=exemplar"),
        "{attributes}"
    );
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--no-verify", "-m", "start"]);

    git(dir, &["checkout", "-q", "-b", "other"]);
    fx.exemplar(&["run", "--note", "on the other branch"]);
    git(dir, &["commit", "-q", "--no-verify", "-am", "run on other"]);
    git(dir, &["checkout", "-q", "main"]);
    fx.exemplar(&["run", "--note", "on main"]);
    git(dir, &["commit", "-q", "--no-verify", "-am", "run on main"]);

    // git's line merge alone conflicts on these three versions.
    let show = |rev: &str| git(dir, &["show", &format!("{rev}:mission.yaml")]);
    let base = git(dir, &["merge-base", "main", "other"]);
    for (name, rev) in [
        ("base", base.as_str()),
        ("ours", "main"),
        ("theirs", "other"),
    ] {
        fx.write(&format!("{name}.yaml"), &format!("{}\n", show(rev)));
    }
    let line_merge = Command::new("git")
        .args(["merge-file", "-p", "ours.yaml", "base.yaml", "theirs.yaml"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_ne!(line_merge.status.code(), Some(0), "a line merge conflicts");

    // With the driver (found on PATH as `cargo exemplar`), git merges cleanly.
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_cargo-exemplar"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let merge = git_command(dir, &["merge", "--no-edit", "--no-verify", "other"])
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        merge.status.success(),
        "{}{}",
        String::from_utf8_lossy(&merge.stdout),
        stderr(&merge)
    );
    let merged = fx.read("mission.yaml");
    assert!(!merged.contains("<<<<<<<"), "{merged}");
    assert!(
        merged.contains("note: on the other branch") && merged.contains("note: on main"),
        "{merged}"
    );
    // The merged file is a mission file the next run reads.
    let status = fx.exemplar(&["list"]);
    assert!(
        matches!(status.status.code(), Some(0 | 1)),
        "{}",
        stderr(&status)
    );
    assert!(
        !stderr(&status).contains("mission.yaml:"),
        "{}",
        stderr(&status)
    );
}
