//! `cargo exemplar init` in a crate made by `cargo new`, then its existing unit test tagged,
//! and `run --changed` after the design is edited.

use std::process::Command;

use crate::support::{git, stderr, stdout, target_dir};

fn exemplar(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .arg("exemplar")
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn init_adopts_a_new_crate_and_changed_runs_the_tests_of_edited_directives() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("adder");
    let made = Command::new(env!("CARGO"))
        .args(["new", "--lib", "--vcs", "git", "--quiet"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));

    let init = exemplar(&dir, &["init"]);
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    assert!(
        stdout(&init).contains("#[design(S1)]"),
        "next steps: {}",
        stdout(&init)
    );
    let manifest: toml::Table = std::fs::read_to_string(dir.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        manifest["dev-dependencies"].get("exemplar-test").is_some(),
        "{manifest}"
    );
    let mission = std::fs::read_to_string(dir.join("mission.yaml")).unwrap();
    let again = exemplar(&dir, &["init"]);
    assert_eq!(again.status.code(), Some(2), "init refuses to overwrite");
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("mission.yaml")).unwrap(),
        mission
    );

    // The test `cargo new` wrote, tagged as the next steps say.
    let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    let tagged = lib
        .replace(
            "    use super::*;",
            "    use super::*;\n    use exemplar::design;",
        )
        .replace("    #[test]\n", "    #[design(S1)]\n    #[test]\n");
    assert_ne!(lib, tagged);
    std::fs::write(dir.join("src/lib.rs"), tagged).unwrap();
    let run = exemplar(&dir, &["run"]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}{}",
        stdout(&run),
        stderr(&run)
    );
    assert!(stdout(&run).contains("1 passed"), "{}", stdout(&run));
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "adopt exemplar"]);

    let unchanged = exemplar(&dir, &["run", "--changed"]);
    assert_eq!(unchanged.status.code(), Some(0));
    assert!(
        stdout(&unchanged).contains("no test ran"),
        "{}",
        stdout(&unchanged)
    );
    assert!(
        stderr(&unchanged).contains("no directive since HEAD"),
        "{}",
        stderr(&unchanged)
    );

    let text = std::fs::read_to_string(dir.join("mission.yaml")).unwrap();
    let edited = text.replace(
        "Replace this with a property a test can check.",
        "add(a, b) is a + b",
    );
    std::fs::write(dir.join("mission.yaml"), edited).unwrap();
    let changed = exemplar(&dir, &["run", "--changed"]);
    assert_eq!(changed.status.code(), Some(0), "{}", stderr(&changed));
    assert!(
        stderr(&changed).contains("S1 since HEAD"),
        "{}",
        stderr(&changed)
    );
    assert!(
        stdout(&changed).contains("1 passed"),
        "{}",
        stdout(&changed)
    );
}
