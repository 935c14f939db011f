//! `cargo exemplar new --template`: a project written from a bundled template builds, runs its
//! tagged tests through `cargo exemplar run` and starts its own history.

use std::process::Command;

use crate::support::{repo_root, target_dir};

fn exemplar(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .arg("exemplar")
        .args(args)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap()
}

#[test]
fn a_project_from_the_kv_template_runs_at_loss_zero() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("mykv");
    let p = project.to_str().unwrap();
    let _kv = crate::support::kv_alone();
    let out = exemplar(&["new", "--template", "kv", p]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with(&format!(
            "created package `mykv` in {p} from the `kv` template, in a new git repository"
        )),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // As `cargo new`: named after its folder, its own git repository, a .gitignore for the
    // build output and the journal.
    assert!(project.join(".git").is_dir());
    let ignore = std::fs::read_to_string(project.join(".gitignore")).unwrap();
    assert!(
        ignore.contains("/target/") && ignore.contains("/.exemplar/"),
        "{ignore}"
    );

    let manifest_path = project.join("Cargo.toml");
    let manifest: toml::Table = std::fs::read_to_string(&manifest_path)
        .unwrap()
        .parse()
        .unwrap();
    let exemplar_dep = repo_root().join("exemplar");
    assert_eq!(
        manifest["dev-dependencies"]["exemplar-test"]["path"].as_str(),
        Some(exemplar_dep.to_str().unwrap())
    );
    assert!(manifest.contains_key("workspace"), "a project of its own");
    assert_eq!(manifest["package"]["name"].as_str(), Some("mykv"));
    assert_eq!(
        manifest["lib"]["name"].as_str(),
        Some("kv"),
        "the tests' `use kv::`"
    );
    assert!(project.join("Cargo.lock").is_file());
    // Every file the template refers to: the replay of its iterations, made to work here.
    let script = project.join("iterate.sh");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(!text.contains("../.."), "{text}");
    assert!(project.join("iterations/design-0.yaml").is_file());
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(syntax.success());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "executable");
    let mission = std::fs::read_to_string(project.join("mission.yaml")).unwrap();
    assert!(mission.contains("design:") && !mission.contains("\nsignal:"));

    // Its own version, so its artifacts do not collide with the repository's kv in the shared
    // target folder (see support.rs).
    let text = std::fs::read_to_string(&manifest_path).unwrap();
    let version = format!("version = \"0.1.0-new.{}\"", std::process::id());
    std::fs::write(
        &manifest_path,
        text.replacen("version = \"0.1.0\"", &version, 1),
    )
    .unwrap();

    let out = exemplar(&[
        "run",
        "--manifest-path",
        manifest_path.to_str().unwrap(),
        "--no-journal",
        "--message-format",
        "json",
        // kv's throughput test measures fsync latency: not beside its own stress tests.
        "--",
        "--test-threads",
        "1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["missions"][0]["id"], "kv");
    assert_eq!(doc["missions"][0]["loss"].as_f64(), Some(0.0));
    let mission = std::fs::read_to_string(project.join("mission.yaml")).unwrap();
    assert!(
        mission.contains("\nsignal:") && mission.contains("\nhistory:\n  - iteration: 1\n"),
        "{mission}"
    );

    // A second `new` into the same folder, and an unknown template, are usage errors.
    let out = exemplar(&["new", "--template", "kv", p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already exists and is not an empty folder")
    );
    let out = exemplar(&[
        "new",
        "--template",
        "redis",
        dir.path().join("r").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the templates are: kv, persist, hexmap")
    );
}
