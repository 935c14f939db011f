//! A full disk and a read-only disk, at each point a run writes: the journal's log, its index,
//! the mission file, a report. The project and its journal (never `target/`) are put on small
//! tmpfs file systems in a private mount namespace (`unshare -m`), filled, or remounted
//! read-only; then, at each point: the tests still run and every outcome is shown, what was
//! recorded before stays whole (`journal verify`, the earlier runs, the mission file's bytes),
//! no temporary file is left, the message names the path and what was not recorded, and the
//! exit code is 8. Once there is room again, the next run records as usual.
//!
//! Mounting needs root, or a user namespace that allows it (`unshare -r -m`). Where neither is
//! allowed this test fails and says so, unless `EXEMPLAR_DISK_TESTS=skip` leaves it out
//! knowingly (`cargo xtask test` sets it, and says so loudly, where it probes none).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{Fixture, copy_tree, stderr, walk};

const INNER: &str = "EXEMPLAR_DISK_INNER";

#[test]
fn a_full_or_read_only_disk_stops_the_record_never_the_run() {
    if std::env::var("EXEMPLAR_DISK_TESTS").as_deref() == Ok("skip") {
        // Straight to the process's stderr, past the harness's capture: a passing test's
        // eprintln! would not be seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: EXEMPLAR_DISK_TESTS=skip leaves out the full- and read-only-disk test"
        );
        return;
    }
    let probe = Command::new("unshare")
        .args(namespace())
        .args(["sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        other => panic!(
            "cannot mount a tmpfs in a private mount namespace here ({other:?}): this test needs \
             root, or a user namespace that may mount; set EXEMPLAR_DISK_TESTS=skip to leave it \
             out knowingly"
        ),
    }
    let me = std::env::current_exe().unwrap();
    let out = Command::new("unshare")
        .args(namespace())
        .arg(&me)
        .args([
            "--exact",
            "disk::inside_a_private_mount_namespace",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(INNER, "1")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("1 passed"),
        "the inner test did not run: {text}"
    );
}

/// `unshare`'s options for a private mount namespace: root has one at once; anyone else gets
/// one inside a user namespace where they are root (`-r`), where a tmpfs may be mounted.
fn namespace() -> &'static [&'static str] {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root { &["-m"] } else { &["-r", "-m"] }
}

/// The scenarios, in a mount namespace of their own (run by the test above).
#[test]
#[ignore = "run inside a private mount namespace by a_full_or_read_only_disk_..."]
fn inside_a_private_mount_namespace() {
    assert_eq!(
        std::env::var(INNER).as_deref(),
        Ok("1"),
        "run by disk::a_full_or_read_only_disk_stops_the_record_never_the_run"
    );
    a_full_log();
    an_index_that_cannot_grow();
    a_full_project_then_a_read_only_one();
    a_full_then_read_only_journal();
}

/// The log cannot take the run's records: the tests run and are shown, the run is not
/// recorded past the failed write, the mission file stays, and the next run (with room) records.
fn a_full_log() {
    let fx = loud_fixture();
    let wal = fx.path().join(".exemplar/wal");
    std::fs::create_dir_all(&wal).unwrap();
    mount_tmpfs(&wal, "4m");
    // Full before the first segment: its header does not fit, the run records nothing, and
    // no segment is left for the next writer to take for damage.
    let filler = fill(&wal);
    let headless = run(&fx, &[]);
    assert_eq!(headless.code, 8, "{}", headless.text);
    assert_eq!(headless.outcomes, expected(&fx), "{}", headless.text);
    let lost = headless.document["unrecorded"][0]["lost"].as_str().unwrap();
    assert!(
        lost.starts_with("this run: nothing of it was recorded"),
        "{lost}"
    );
    let names: Vec<String> = std::fs::read_dir(&wal)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["filler"], "a segment was left");
    std::fs::remove_file(filler).unwrap();
    let first = run(&fx, &[]);
    assert_eq!(first.code, 1, "{}", first.text);
    assert_eq!(first.unrecorded(), Vec::<String>::new());
    let mission = fx.read("mission.yaml");
    let runs = history(&fx, &[]);
    let filler = fill(&wal);

    let full = run(&fx, &[]);
    assert_eq!(full.code, 8, "{}", full.text);
    assert_eq!(full.outcomes, expected(&fx), "{}", full.text);
    assert_eq!(full.unrecorded(), ["journal"], "{}", full.text);
    let u = &full.document["unrecorded"][0];
    assert_eq!(Path::new(u["path"].as_str().unwrap()), wal);
    assert!(
        u["error"]
            .as_str()
            .unwrap()
            .contains("No space left on device"),
        "{u}"
    );
    // Either the run's start was durable before the failed write (the journal then shows it
    // cut short), or nothing of it is sure to be there.
    let lost = u["lost"].as_str().unwrap().to_owned();
    let cut_short = lost.starts_with("this run from the failed write on: ");
    assert!(
        cut_short || lost.starts_with("this run: nothing of it is sure to be in the journal"),
        "{lost}"
    );
    assert!(
        lost.ends_with("the mission files were left as they were"),
        "{lost}"
    );
    assert_eq!(fx.read("mission.yaml"), mission, "the mission file changed");
    assert_no_leftovers(fx.path());

    std::fs::remove_file(filler).unwrap();
    let verify = fx.exemplar(&["journal", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let after = history(&fx, &[]);
    assert_eq!(after[0], runs[0], "the recorded run changed");
    // The full run is absent, or there cut short: never shown as whole.
    assert!(
        after.len() == 1 || after[1]["complete"] == false,
        "{after:?}"
    );
    if cut_short {
        assert_eq!(after.len(), 2, "{lost}: {after:?}");
    }
    let again = run(&fx, &[]);
    assert_eq!(again.code, 1, "{}", again.text);
    assert_eq!(again.unrecorded(), Vec::<String>::new());
    // The failed batch was cut off the segment: the next open finds no torn tail.
    assert!(
        !again.text.contains("last write was cut short"),
        "{}",
        again.text
    );
    let last = history(&fx, &[]).pop().unwrap();
    assert_eq!(last["run_id"], again.document["run_id"]);
    assert_eq!(last["complete"], true);

    // A design patch when the log is full: the file is patched, its record is not, and the
    // message and exit code say so.
    let filler = fill(&wal);
    // Its note is longer than the room the log's last page may have spare.
    let note = "a note longer than a page ".repeat(400);
    let patch = fx.exemplar(&["design", "activate", "S4", "--note", &note]);
    assert_eq!(patch.status.code(), Some(8), "{}", stderr(&patch));
    assert!(
        stderr(&patch).contains("patched mission.yaml, but the journal could not record it"),
        "{}",
        stderr(&patch)
    );
    let m = exemplar_mission::parse_str(Path::new("mission.yaml"), &fx.read("mission.yaml"));
    let active = exemplar_formats::design::Status::Active;
    assert_eq!(m.unwrap().node("S4").unwrap().status, active);
    assert_no_leftovers(fx.path());
    std::fs::remove_file(filler).unwrap();
    let verify = fx.exemplar(&["journal", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

/// The index cannot grow: the log still records every run, the mission file is rewritten
/// when it changed, the exit code says the index was not; with room, a reader catches the index up.
fn an_index_that_cannot_grow() {
    let fx = loud_fixture();
    let journal = fx.path().join(".exemplar");
    let wal = journal.join("wal");
    std::fs::create_dir_all(&journal).unwrap();
    mount_tmpfs(&journal, "4m");
    std::fs::create_dir_all(&wal).unwrap();
    mount_tmpfs(&wal, "8m");
    assert_eq!(run(&fx, &[]).code, 1);
    let filler = fill(&journal);
    // The index may have room inside its file for a run or two; it cannot for ever.
    let mut refused = 0;
    let mut runs = 1;
    while refused < 2 {
        let r = run(&fx, &[]);
        runs += 1;
        assert_eq!(r.outcomes, expected(&fx), "{}", r.text);
        let mission = &r.document["missions"][0];
        assert_eq!(mission["rewritten"], mission["changed"], "{}", r.text);
        match r.code {
            1 => assert_eq!(r.unrecorded(), Vec::<String>::new()),
            8 => {
                refused += 1;
                assert_eq!(r.unrecorded(), ["index"], "{}", r.text);
                let u = &r.document["unrecorded"][0];
                assert_eq!(
                    Path::new(u["path"].as_str().unwrap()),
                    journal.join("index.redb")
                );
                assert!(u["lost"].as_str().unwrap().starts_with("nothing"), "{u}");
            }
            other => panic!("exit {other}: {}", r.text),
        }
        assert!(runs < 12, "the index never ran out of room in {runs} runs");
    }
    assert_no_leftovers(&journal);
    std::fs::remove_file(filler).unwrap();
    let verify = fx.exemplar(&["journal", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let all = history(&fx, &[]);
    assert_eq!(all.len(), runs, "{all:?}");
    assert!(all.iter().all(|r| r["complete"] == true), "{all:?}");
}

/// The project's file system fills up, then turns read-only: the mission file keeps its bytes
/// and the journal (elsewhere) still records the run; a report is written whole or not at all.
fn a_full_project_then_a_read_only_one() {
    let fx = loud_fixture();
    let journal = tempfile::tempdir().unwrap();
    let env = [("EXEMPLAR_JOURNAL", journal.path().to_str().unwrap())];
    // The project moves onto a tmpfs mounted where it was.
    let aside = tempfile::tempdir().unwrap();
    copy_tree(fx.path(), aside.path());
    mount_tmpfs(fx.path(), "4m");
    copy_tree(aside.path(), fx.path());
    let page = fx.path().join("page.html");
    // Built (and its Cargo.lock completed) while there is room.
    let listed = fx.exemplar_env(&["list"], &env);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let mission = fx.read("mission.yaml");

    let filler = fill(fx.path());
    let full = run(&fx, &env);
    assert_eq!(full.code, 8, "{}", full.text);
    assert_eq!(full.outcomes, expected(&fx), "{}", full.text);
    assert_eq!(full.unrecorded(), ["mission"], "{}", full.text);
    let u = &full.document["unrecorded"][0];
    assert_eq!(
        Path::new(u["path"].as_str().unwrap()),
        fx.path().join("mission.yaml")
    );
    assert!(
        u["error"].as_str().unwrap().contains("No space left"),
        "{u}"
    );
    assert_eq!(fx.read("mission.yaml"), mission, "the mission file changed");
    let recorded = history(&fx, &env);
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0]["complete"], true,
        "the journal has the whole run"
    );
    let report = fx.exemplar_env(&["report", "--html", "page.html"], &env);
    assert_eq!(report.status.code(), Some(8), "{}", stderr(&report));
    assert!(
        stderr(&report).contains("cannot write page.html: No space left on device"),
        "{}",
        stderr(&report)
    );
    assert!(!page.exists(), "a partial report was left");
    assert_no_leftovers(fx.path());

    std::fs::remove_file(filler).unwrap();
    let report = fx.exemplar_env(&["report", "--html", "page.html"], &env);
    assert!(report.status.success(), "{}", stderr(&report));
    let html = std::fs::read(&page).unwrap();
    // Made as fs::write makes a file: the same mode, under the same umask.
    let plain = fx.path().join("plain.txt");
    std::fs::write(&plain, "x").unwrap();
    let mode =
        |p: &Path| std::os::unix::fs::PermissionsExt::mode(&p.metadata().unwrap().permissions());
    assert_eq!(mode(&page), mode(&plain), "the report's mode");
    remount_read_only(fx.path());
    let ro = run(&fx, &env);
    assert_eq!(ro.code, 8, "{}", ro.text);
    assert_eq!(ro.outcomes, expected(&fx), "{}", ro.text);
    assert_eq!(ro.unrecorded(), ["mission"], "{}", ro.text);
    assert!(
        ro.document["unrecorded"][0]["error"]
            .as_str()
            .unwrap()
            .contains("Read-only file system"),
        "{}",
        ro.text
    );
    assert_eq!(fx.read("mission.yaml"), mission, "the mission file changed");
    let report = fx.exemplar_env(&["report", "--html", "page.html"], &env);
    assert_eq!(report.status.code(), Some(8), "{}", stderr(&report));
    assert_eq!(
        std::fs::read(&page).unwrap(),
        html,
        "the old report changed"
    );
    assert_no_leftovers(fx.path());
    assert_eq!(history(&fx, &env).len(), 2);
}

/// The journal's file system fills up (a prune is refused), then turns read-only: the run
/// runs and shows its tests, records nothing, and leaves the mission file as it was.
fn a_full_then_read_only_journal() {
    let fx = loud_fixture();
    let journal = fx.path().join(".exemplar");
    std::fs::create_dir_all(&journal).unwrap();
    mount_tmpfs(&journal, "8m");
    assert_eq!(run(&fx, &[]).code, 1);
    assert_eq!(run(&fx, &[]).code, 1);
    let mission = fx.read("mission.yaml");
    let runs = history(&fx, &[]);
    // A prune needs room for the new log beside the old: on a full disk it is refused, and
    // leaves every run and no unfinished copy.
    let filler = fill(&journal);
    let prune = fx.exemplar(&["journal", "prune", "--keep-runs", "1"]);
    assert_eq!(prune.status.code(), Some(8), "{}", stderr(&prune));
    assert!(
        stderr(&prune).contains("No space left"),
        "{}",
        stderr(&prune)
    );
    assert!(
        !journal.join("wal.next").exists(),
        "an unfinished copy was left"
    );
    std::fs::remove_file(filler).unwrap();
    assert_eq!(history(&fx, &[]), runs, "a refused prune changed the runs");
    remount_read_only(&journal);
    let ro = run(&fx, &[]);
    assert_eq!(ro.code, 8, "{}", ro.text);
    assert_eq!(ro.outcomes, expected(&fx), "{}", ro.text);
    assert_eq!(ro.unrecorded(), ["journal"], "{}", ro.text);
    let u = &ro.document["unrecorded"][0];
    assert!(
        u["error"]
            .as_str()
            .unwrap()
            .contains("Read-only file system"),
        "{u}"
    );
    assert!(
        u["lost"].as_str().unwrap().starts_with("this run: nothing"),
        "{u}"
    );
    assert_eq!(fx.read("mission.yaml"), mission, "the mission file changed");
    // As a person sees it: the table, then what was not recorded, and the verdict.
    let human = fx.exemplar(&["run"]);
    assert_eq!(human.status.code(), Some(8));
    let table = String::from_utf8_lossy(&human.stdout);
    let shown = format!(
        "write failed: the journal's log {}\n",
        journal.join("wal").display()
    );
    assert!(table.contains(&shown), "{table}");
    assert!(table.contains("Read-only file system"), "{table}");
    assert!(table.contains(": FAILED. "), "{table}");
    assert_eq!(history(&fx, &[]), runs, "the recorded runs changed");
    let verify = fx.exemplar(&["journal", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

/// The basic fixture, with one more failing test whose message (20 KB) needs more room than
/// the last page of a file can have spare: its record cannot slip into a full disk.
fn loud_fixture() -> Fixture {
    let fx = Fixture::new("basic");
    let second = fx.read("tests/second.rs").replace(
        "exemplar::main!();",
        "/// Fails at length, differently each time (a blob is stored once).\n#[design(S2)]\nfn loud() {\n    panic!(\"{:?} {}\", std::time::SystemTime::now(), \"the disk is full of this \".repeat(800));\n}\n\nexemplar::main!();",
    );
    fx.write("tests/second.rs", &second);
    fx
}

/// The fixture's expected outcomes, and the loud test's.
fn expected(fx: &Fixture) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> =
        serde_json::from_value(fx.expected()["outcomes"].clone()).unwrap();
    out.insert("tests/second.rs::loud".into(), "failed".into());
    out
}

/// A run as `--message-format json-stream` showed it.
struct Run {
    code: i32,
    /// Each test's last outcome, by reference.
    outcomes: BTreeMap<String, String>,
    /// The run document of `run-finished`.
    document: serde_json::Value,
    /// The document and what went to stderr, for failure messages.
    text: String,
}

impl Run {
    fn unrecorded(&self) -> Vec<String> {
        self.document["unrecorded"]
            .as_array()
            .map(|a| a.iter().map(|u| u["place"].as_str().unwrap().to_owned()))
            .into_iter()
            .flatten()
            .collect()
    }
}

fn run(fx: &Fixture, env: &[(&str, &str)]) -> Run {
    let out = fx.exemplar_env(&["run", "--message-format", "json-stream"], env);
    let mut outcomes = BTreeMap::new();
    let mut document = serde_json::Value::Null;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        match event["event"].as_str() {
            Some("test-finished" | "test-amended") => {
                let r = &event["record"];
                outcomes.insert(
                    r["ref"].as_str().unwrap().to_owned(),
                    r["outcome"].as_str().unwrap().to_owned(),
                );
            }
            Some("run-finished") => document = event["document"].clone(),
            _ => {}
        }
    }
    let text = format!("{document:#}\n{}", stderr(&out));
    Run {
        code: out.status.code().unwrap_or(-1),
        outcomes,
        document,
        text,
    }
}

/// The journal's runs, as `history` lists them.
fn history(fx: &Fixture, env: &[(&str, &str)]) -> Vec<serde_json::Value> {
    let out: Output = fx.exemplar_env(&["history", "--message-format", "json"], env);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["runs"].as_array().unwrap().clone()
}

fn mount_tmpfs(dir: &Path, size: &str) {
    let opts = format!("size={size}");
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &opts, "tmpfs"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "mount: {}", stderr(&out));
}

fn remount_read_only(dir: &Path) {
    let out = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "remount: {}", stderr(&out));
}

/// Fill the file system of `dir` to its last byte; the filler, to remove to make room.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let page = vec![0xa5u8; 4096];
    loop {
        match f.write(&page) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => panic!("filling {}: {e}", path.display()),
        }
    }
    // The last page may have taken part of a write: a byte at a time to the very end.
    while f.write(&[0xa5]).is_ok_and(|n| n > 0) {}
    path
}

/// No temporary file of a mission rewrite, a report or the journal is left under `dir`.
fn assert_no_leftovers(dir: &Path) {
    for entry in walk(dir) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !(name.ends_with(".tmp") || name.starts_with(".exemplar-report.")),
            "a temporary file was left: {}",
            entry.display()
        );
    }
}
