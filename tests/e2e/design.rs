//! `cargo exemplar design`: every operation through the real binary on the basic fixture's
//! mission file (each changes only its own lines), every refusal with its exit code, a patch
//! document applied all or none, the lineage in the journal, a writer that holds the journal,
//! two agents patching one base at once, and SIGKILL during a patch.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use exemplar_formats::patch::{DesignOp, PatchApplied, PatchLog};
use exemplar_store::{Contention, JournalWriter, WriterOptions};

use crate::support::{Fixture, stderr, stdout};

/// The fixture with a signal that links S1 and S2 (what a run would have written).
fn fixture() -> Fixture {
    let fx = Fixture::new("basic");
    let mut text = fx.read("mission.yaml");
    text.push_str(
        "\nsignal:\n  - id: T0\n    ref: tests/outcomes.rs::passes\n    spec_ids: [S1]\n  - id: T1\n    ref: tests/outcomes.rs::fails\n    spec_ids: [S2]\n",
    );
    fx.write("mission.yaml", &text);
    fx
}

fn design(fx: &Fixture, args: &[&str]) -> std::process::Output {
    let mut all = vec!["design"];
    all.extend(args);
    fx.exemplar(&all)
}

fn applied(fx: &Fixture, args: &[&str]) -> PatchApplied {
    let mut all = args.to_vec();
    all.extend(["--message-format", "json"]);
    let out = design(fx, &all);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
}

fn log(fx: &Fixture, id: Option<&str>) -> PatchLog {
    let mut args = vec!["log", "--message-format", "json"];
    args.extend(id);
    let out = design(fx, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The lines that differ: those removed, then those added.
fn changed(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    (own(&a[head..a.len() - tail]), own(&b[head..b.len() - tail]))
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_operation_changes_only_its_lines_and_the_lineage_is_kept() {
    let fx = fixture();
    let steps: Vec<(Vec<&str>, Vec<&str>, Vec<&str>)> = vec![
        (
            vec![
                "add",
                "S6",
                "--parent",
                "S0",
                "--name",
                "Checksums",
                "--invariant",
                "a torn record is found",
                "--proposed",
                "--note",
                "from the kill test",
            ],
            vec![],
            // (The diff aligns the blank line that sets the new node apart after it.)
            vec![
                "  - id: S6",
                "    name: Checksums",
                "    aspect_id: S0",
                "    status: proposed",
                "    detail:",
                "      invariant: a torn record is found",
                "",
            ],
        ),
        (
            vec![
                "update",
                "S2",
                "--constraint",
                "the whole message reaches the report",
            ],
            vec!["      constraint: the message reaches the report"],
            vec!["      constraint: the whole message reaches the report"],
        ),
        (
            vec![
                "update",
                "S2",
                "--unset",
                "constraint",
                "--tradeoff",
                "longer reports",
            ],
            vec!["      constraint: the whole message reaches the report"],
            vec!["      tradeoff: longer reports"],
        ),
        (
            vec!["activate", "S4"],
            vec!["    status: proposed"],
            vec!["    status: active"],
        ),
        (
            vec!["propose", "S4"],
            vec!["    status: active"],
            vec!["    status: proposed"],
        ),
        (
            vec!["move", "S3", "--parent", "S1"],
            vec!["    aspect_id: S0"],
            vec!["    aspect_id: S1"],
        ),
        (
            vec!["retire", "S6"],
            vec!["    status: proposed"],
            vec!["    status: retired"],
        ),
        (
            vec!["remove", "S6"],
            vec![
                "  - id: S6",
                "    name: Checksums",
                "    aspect_id: S0",
                "    status: retired",
                "    detail:",
                "      invariant: a torn record is found",
                "",
            ],
            vec![],
        ),
    ];
    let mut results = Vec::new();
    for (args, removed, added) in &steps {
        let before = fx.read("mission.yaml");
        let a = applied(&fx, args);
        let after = fx.read("mission.yaml");
        assert!(a.written && a.seq.is_some(), "{args:?}: {a:?}");
        let (r, ad) = changed(&before, &after);
        assert_eq!(
            (r, ad),
            (strings(removed), strings(added)),
            "{args:?}\n{after}"
        );
        results.push((a.base, a.result));
    }
    // The lineage: each patch made against the design the previous one left.
    let all = log(&fx, None);
    assert_eq!(all.patches.len(), steps.len());
    for (p, (base, result)) in all.patches.iter().zip(&results) {
        assert_eq!((&p.base, &p.result), (base, result));
        assert!(!p.edited_between, "{p:?}");
    }
    assert_eq!(all.patches[0].note.as_deref(), Some("from the kill test"));
    assert_eq!(all.current["basic"], results.last().unwrap().1);
    let s6: Vec<String> = log(&fx, Some("S6"))
        .patches
        .iter()
        .map(|p| p.operations[0].to_string())
        .collect();
    assert_eq!(s6, ["add S6 under S0", "retire S6", "remove S6"]);
    // An edit by hand between patches is shown as such.
    let text = fx
        .read("mission.yaml")
        .replace("name: Passing", "name: Passing tests");
    fx.write("mission.yaml", &text);
    let human = stdout(&design(&fx, &["log"]));
    assert!(
        human.contains("basic: the design was edited by hand since the latest patch"),
        "{human}"
    );
    applied(&fx, &["retire", "S3"]);
    let last = log(&fx, None).patches.pop().unwrap();
    assert!(last.edited_between, "{last:?}");
}

#[test]
fn refusals_say_why_change_nothing_and_exit_as_documented() {
    let fx = fixture();
    let base = applied(&fx, &["propose", "S1"]).result;
    let before = fx.read("mission.yaml");
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["remove", "S1"],
            2,
            "tests still link `S1`: tests/outcomes.rs::passes; untag those tests first, or retire it",
        ),
        (vec!["remove", "S0"], 2, "`S0` has nodes under it"),
        (vec!["retire", "S9"], 2, "no design node `S9`"),
        (
            vec!["move", "S0", "--parent", "S1"],
            2,
            "it would make a cycle: S0 -> S1 -> S0",
        ),
        (
            vec!["add", "S1", "--name", "again"],
            2,
            "`S1` is already a design node",
        ),
        (
            vec!["add", "S7", "--name", "x", "--parent", "S9"],
            2,
            "the parent `S9` is not a design node",
        ),
        (
            vec!["update", "S1", "--name", " "],
            2,
            "a name cannot be empty",
        ),
        (
            vec!["retire", "S1", "--base", "0123456789abcdef"],
            7,
            "conflict: ",
        ),
        (vec!["retire", "S1", "--base", "xyz"], 2, "bad base"),
    ];
    for (args, code, message) in cases {
        let out = design(&fx, &args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert_eq!(fx.read("mission.yaml"), before, "{args:?} changed the file");
    }
    // A conflict is a value too: the document says what the design is now.
    let out = design(
        &fx,
        &[
            "retire",
            "S1",
            "--base",
            "0123456789abcdef",
            "--message-format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(7));
    let doc: PatchApplied = serde_json::from_slice(&out.stdout).unwrap();
    let conflict = doc.conflict.expect("a conflict");
    assert_eq!(
        (conflict.base.as_str(), conflict.current.as_str()),
        ("0123456789abcdef", base.as_str())
    );
    assert!(!doc.written);
    // The base it was made against still works, whole or as a prefix.
    applied(&fx, &["retire", "S4", "--base", &base[..12]]);
    assert_eq!(log(&fx, None).patches.len(), 2);
}

#[test]
fn a_patch_document_applies_all_or_none() {
    let fx = fixture();
    let doc = |ops: &str| {
        format!(
            r#"{{ "version": 1, "note": "split S2", "author": "agent-7", "operations": [{ops}] }}"#
        )
    };
    let good = r#"{ "op": "add", "id": "S6", "name": "Message", "parent": "S2", "detail": { "invariant": "the message is whole" } },
        { "op": "update", "id": "S2", "name": "Failing tests", "detail": { "constraint": null } },
        { "op": "move", "id": "S4", "parent": "S6" }"#;
    let bad = format!(r#"{good}, {{ "op": "remove", "id": "S1" }}"#);
    let before = fx.read("mission.yaml");
    fx.write("bad.json", &doc(&bad));
    let out = design(&fx, &["apply", "bad.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("operation 4 (remove S1)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fx.read("mission.yaml"), before);
    fx.write(
        "broken.json",
        "{ \"version\": 1,\n  \"operations\": [ { \"op\": \"rename\" } ] }",
    );
    let out = design(&fx, &["apply", "broken.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("broken.json:2:"), "{}", stderr(&out));
    assert!(log(&fx, None).patches.is_empty());

    fx.write("good.json", &doc(good));
    let a = applied(&fx, &["apply", "good.json"]);
    assert_eq!(a.operations.len(), 3);
    assert_eq!(a.author.as_deref(), Some("agent-7"));
    let m = exemplar_mission::parse_file(&fx.path().join("mission.yaml")).unwrap();
    let s6 = m.node("S6").unwrap();
    assert_eq!(
        (s6.aspect_id.as_deref(), s6.detail.text("invariant")),
        (Some("S2"), Some("the message is whole"))
    );
    assert_eq!(m.node("S2").unwrap().name, "Failing tests");
    assert_eq!(m.node("S2").unwrap().detail.text("constraint"), None);
    assert_eq!(m.node("S4").unwrap().aspect_id.as_deref(), Some("S6"));
    // From stdin too.
    let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .args(["exemplar", "design", "apply", "-"])
        .current_dir(fx.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(doc(r#"{ "op": "retire", "id": "S6" }"#).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ops: Vec<DesignOp> = log(&fx, None)
        .patches
        .into_iter()
        .flat_map(|p| p.operations)
        .collect();
    assert_eq!(ops.len(), 4);
}

#[test]
fn a_held_journal_waits_or_refuses_and_one_of_two_agents_on_one_base_wins() {
    let fx = fixture();
    let journal = fx.path().join(".exemplar");
    let holder = JournalWriter::open(
        &journal,
        Contention::Fail,
        WriterOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let before = fx.read("mission.yaml");
    let out = design(&fx, &["retire", "S3", "--no-wait"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(fx.read("mission.yaml"), before);
    // Without --no-wait it waits for the holder, then patches.
    let waiting = fx_command(fx.path(), &["design", "retire", "S3"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        fx.read("mission.yaml"),
        before,
        "patched while the journal was held"
    );
    holder.close().unwrap();
    let out = waiting.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        fx.read("mission.yaml") != before && stdout(&out).contains("patched basic"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("waiting for the journal's lock"),
        "{}",
        stderr(&out)
    );

    // Two agents read the same design and patch it at once: one wins, the other conflicts.
    let base = log(&fx, None).current["basic"].clone();
    let a = fx_command(fx.path(), &["design", "propose", "S1", "--base", &base])
        .spawn()
        .unwrap();
    let b = fx_command(
        fx.path(),
        &["design", "update", "S2", "--tradeoff", "x", "--base", &base],
    )
    .spawn()
    .unwrap();
    let codes =
        [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()].map(|o| o.status.code());
    let mut sorted = codes;
    sorted.sort();
    assert_eq!(sorted, [Some(0), Some(7)], "{codes:?}");
    let patches = log(&fx, None).patches;
    assert_eq!(patches.len(), 2, "{patches:#?}");
}

fn fx_command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"));
    cmd.arg("exemplar")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn sigkill_during_a_patch_leaves_the_old_file_or_the_new() {
    let fx = fixture();
    let path = fx.path().join("mission.yaml");
    let (mut old_kept, mut new_written) = (0, 0);
    let mut temporaries = std::collections::HashSet::new();
    // Kills are spread over a whole patch's length, as timed here (a busy machine is slower).
    let started = std::time::Instant::now();
    applied(&fx, &["propose", "S3"]);
    let span = (started.elapsed().as_millis() as u64).max(20);
    for i in 0..24u64 {
        let before = std::fs::read_to_string(&path).unwrap();
        let m = exemplar_mission::parse_str(&path, &before).unwrap();
        let proposed = m.node("S4").unwrap().status == exemplar_formats::design::Status::Proposed;
        let op = if proposed { "activate" } else { "propose" };
        let ops = [if proposed {
            DesignOp::Activate { id: "S4".into() }
        } else {
            DesignOp::Propose { id: "S4".into() }
        }];
        let after = exemplar_mission::patch::apply(&m, &ops, None, &[])
            .unwrap()
            .text;
        let mut child = fx_command(fx.path(), &["design", op, "S4"])
            .spawn()
            .unwrap();
        // Spread over the command's life: start-up, cargo metadata, the lock, the write.
        std::thread::sleep(Duration::from_millis(i * span * 5 / 4 / 24));
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read_to_string(&path).unwrap();
        if now == before {
            old_kept += 1;
        } else {
            assert_eq!(now, after, "kill {i}: neither the old file nor the new");
            new_written += 1;
        }
        let leftovers: Vec<_> = std::fs::read_dir(fx.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".mission."))
            .collect();
        // A temporary file of a killed writer may stay, until the next patch or run sweeps
        // it; it is never the mission file.
        temporaries.extend(leftovers.iter().map(|l| l.file_name()));
        let verify = fx.exemplar(&["journal", "verify"]);
        if fx.path().join(".exemplar/wal").is_dir() {
            assert_eq!(
                verify.status.code(),
                Some(0),
                "kill {i}: {}",
                stderr(&verify)
            );
        }
    }
    eprintln!(
        "24 kills: the old file kept {old_kept} times, the new one written {new_written} times; {} temporary files left by killed writers",
        temporaries.len()
    );
    // And the next patch succeeds, and sweeps what killed ones left.
    applied(&fx, &["activate", "S3"]);
    let left = std::fs::read_dir(fx.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".mission."))
        .count();
    assert_eq!(
        left, 0,
        "the next patch left temporary files of killed ones"
    );
}

#[test]
fn status_at_an_earlier_run_shows_the_design_that_run_measured() {
    let fx = fixture();
    let run = |note: &str| {
        let out = fx.exemplar(&["run", "-q", "--note", note]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    };
    run("before");
    applied(&fx, &["update", "S1", "--name", "Passing tests"]);
    let retired = applied(&fx, &["retire", "S3"]);
    assert_eq!(
        retired.warnings,
        [
            "S3 is retired but tests still link it: tests/outcomes.rs::aborts; they will not build until they drop `S3` from #[design(...)]"
        ]
    );
    applied(&fx, &["propose", "S3"]);
    run("after");
    let status = |at: &str| -> serde_json::Value {
        let out = fx.exemplar(&["status", "--at", at, "--message-format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let node = |doc: &serde_json::Value, id: &str| {
        doc["designs"]["basic"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .cloned()
            .unwrap()
    };
    let before = status("latest~1");
    assert_eq!(before["note"], "before");
    assert_eq!(node(&before, "S1")["name"], "Passing");
    assert_eq!(node(&before, "S3")["status"], "active");
    let after = status("latest");
    assert_eq!(node(&after, "S1")["name"], "Passing tests");
    assert_eq!(node(&after, "S3")["status"], "proposed");
    // For people too: the earlier run's table names S1 as it was.
    let human = stdout(&fx.exemplar(&["status", "--at", "latest~1"]));
    assert!(
        human.contains("S1      Passing ") && !human.contains("Passing tests"),
        "{human}"
    );
}

#[test]
fn in_a_workspace_the_patch_goes_to_the_mission_that_has_the_node() {
    let fx = Fixture::new("workspace");
    let a = applied(&fx, &["retire", "B1"]);
    assert_eq!(
        (a.mission.as_str(), a.path.as_str()),
        ("beta", "beta/design.yaml")
    );
    assert!(fx.read("beta/design.yaml").contains("status: retired"));
    let a = applied(&fx, &["add", "alpha/A9", "--name", "New", "--parent", "A0"]);
    assert_eq!(a.mission, "alpha");
    let refused = [
        (
            vec!["add", "X1", "--name", "x"],
            "several missions could take this patch (alpha, beta)",
        ),
        (
            vec!["retire", "Z9"],
            "no mission of this workspace (alpha, beta) has every node",
        ),
        (vec!["retire", "nope/B1"], "no mission or package `nope`"),
    ];
    for (args, message) in refused {
        let out = design(&fx, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
}
