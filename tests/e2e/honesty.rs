//! The signal never lies: how a run is invoked never corrupts the mission file, and the file's
//! last history entry always carries the loss of the latest evidence. Each scenario is a
//! reproduction from a user's day, its expected result written as data.

use std::path::Path;

use crate::support::{Fixture, json, stderr, stdout};

/// Harness arguments a libtest user types daily, none of which runs a test of the `gate`
/// fixture; with each, the mission file and the journal must stay as they were.
const RUN_NOTHING: &[(&[&str], &str)] = &[
    (&["--list"], "flippable"),
    (&["--list", "stable"], "stable"),
    (&["--help"], "--exact"),
    (&["no_such_test"], "filtered"),
    (
        &[
            "--skip",
            "stable",
            "--skip",
            "flippable",
            "--skip",
            "experimental",
        ],
        "filtered",
    ),
    (&["--ignored"], "filtered"),
];

fn journal_runs(fx: &Fixture) -> usize {
    let out = fx.exemplar(&["history", "--message-format", "json"]);
    json(&out)["runs"].as_array().unwrap().len()
}

fn history_len(fx: &Fixture) -> usize {
    mission(fx).history.len()
}

fn mission(fx: &Fixture) -> exemplar_mission::Mission {
    exemplar_mission::parse_str(Path::new("mission.yaml"), &fx.read("mission.yaml")).unwrap()
}

fn directive<'a>(doc: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    doc["missions"][0]["directives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("no directive {id}"))
}

#[test]
fn harness_arguments_that_run_nothing_write_nothing() {
    let fx = Fixture::new("gate");
    let first = fx.exemplar(&["run"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let before = fx.read("mission.yaml");
    assert_eq!(journal_runs(&fx), 1);
    for (args, shown) in RUN_NOTHING {
        let mut cmd = vec!["run", "--"];
        cmd.extend_from_slice(args);
        let out = fx.exemplar(&cmd);
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(0), "{args:?}:\n{text}");
        assert!(
            text.contains(shown),
            "{args:?} should show {shown:?}:\n{text}"
        );
        assert!(!text.contains("uncovered"), "{args:?}:\n{text}");
        assert_eq!(
            before,
            fx.read("mission.yaml"),
            "{args:?} changed the mission"
        );
        assert_eq!(journal_runs(&fx), 1, "{args:?} recorded a run");
    }
}

#[test]
fn a_filter_leaves_the_other_tests_filtered_with_their_last_outcome() {
    let fx = Fixture::new("gate");
    assert_eq!(fx.exemplar(&["run"]).status.code(), Some(0));
    let before = fx.read("mission.yaml");
    let out = fx.exemplar(&["run", "--message-format", "json", "--", "--exact", "stable"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let s1 = directive(&doc, "S1");
    let counts = |d: &serde_json::Value| {
        (
            d["linked"].as_u64(),
            d["ran"].as_u64(),
            d["filtered"].as_u64(),
        )
    };
    assert_eq!(counts(s1), (Some(2), Some(1), Some(1)));
    assert_eq!(s1["loss"], 0.0);
    assert_eq!(counts(directive(&doc, "S2")), (Some(1), Some(0), Some(1)));
    assert_eq!(directive(&doc, "S2")["loss"], 0.0);
    assert_eq!(before, fx.read("mission.yaml"));
    assert_eq!(mission(&fx).signal.len(), 3);
}

#[test]
fn list_shows_every_test_its_directives_and_whether_it_would_run() {
    let fx = Fixture::new("gate");
    let out = fx.exemplar(&["list", "--message-format", "json", "--", "flippable"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let tests: Vec<(String, String, String)> = doc["binaries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["tests"].as_array().unwrap().iter())
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(","),
                t["plan"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        ("experimental", "S2", "filtered"),
        ("flippable", "S1", "run"),
        ("stable", "S1", "filtered"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(tests, want);
    // The library's doctests are not run by exemplar, and the listing says so.
    let not_run: Vec<&str> = doc["not_run"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert!(not_run.contains(&"doctest"), "{doc}");
    assert!(
        !fx.path().join(".exemplar/wal").exists(),
        "list opened the journal"
    );
}

/// Edit S1's constraint; run only S2 (S1's tests go stale); then re-verify everything.
#[test]
fn a_re_verified_stale_directive_is_written_back_at_its_new_loss() {
    let fx = Fixture::new("gate");
    assert_eq!(fx.exemplar(&["run"]).status.code(), Some(0));
    let text = fx.read("mission.yaml").replace(
        "constraint: no regression reaches a commit",
        "constraint: no regression reaches the main branch",
    );
    fx.write("mission.yaml", &text);

    // (command, mission loss in the output, S1 unverified tests, last history loss, history length)
    let steps: &[(&[&str], f64, u64, f64, usize)] = &[
        (&["run", "--design", "S2"], 0.5, 2, 0.5, 2),
        (&["run"], 0.0, 0, 0.0, 3),
        (&["run", "--design", "S2"], 0.0, 0, 0.0, 3),
        (&["run"], 0.0, 0, 0.0, 3),
    ];
    for (args, loss, stale, last, len) in steps {
        let mut cmd = args.to_vec();
        cmd.extend(["--message-format", "json"]);
        let out = fx.exemplar(&cmd);
        let doc = json(&out);
        assert_eq!(doc["missions"][0]["loss"], *loss, "{args:?}: {doc}");
        assert_eq!(
            directive(&doc, "S1")["unverified"],
            *stale,
            "{args:?}: {doc}"
        );
        let m = mission(&fx);
        assert_eq!(m.history.last().unwrap().loss, *last, "{args:?}");
        assert_eq!(history_len(&fx), *len, "{args:?}");
        // The file's last entry is what `status` shows.
        let status = json(&fx.exemplar(&["status", "--message-format", "json"]));
        assert_eq!(status["missions"][0]["loss"], *last, "{args:?}: {status}");
    }
}

/// A failing untagged unit test is named, with its message and its output, in the table, the
/// run's JSON and the journal; it counts toward no directive.
#[test]
fn a_failing_untagged_test_is_named_with_its_message_and_output() {
    let fx = Fixture::new("gate");
    let lib = fx.read("src/lib.rs")
        + "\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() {\n        assert_eq!(1 + 1, 2);\n    }\n\n    #[test]\n    fn parses() {\n        println!(\"parsing the header\");\n        assert_eq!(\"7\".parse::<u8>().unwrap(), 8, \"the header is off by one\");\n    }\n}\n";
    fx.write("src/lib.rs", &lib);
    let out = fx.exemplar(&["run"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = stdout(&out);
    for shown in [
        "untagged tests (no directive): 1 passed, 1 failing, 0 ignored",
        "x src/lib.rs::tests::parses: failed",
        "the header is off by one",
        "parsing the header",
    ] {
        assert!(table.contains(shown), "{shown:?} in:\n{table}");
    }
    let doc = json(&fx.exemplar(&["run", "--message-format", "json"]));
    let m = &doc["missions"][0];
    assert_eq!(m["loss"], 0.0, "untagged tests count toward no directive");
    assert_eq!(m["untagged"]["failed"], 1);
    let failure = &m["untagged_failures"][0];
    assert_eq!(failure["ref"], "src/lib.rs::tests::parses");
    assert!(failure["message"].as_str().unwrap().contains("off by one"));
    assert!(
        failure["output"]
            .as_str()
            .unwrap()
            .contains("parsing the header")
    );
    // Never in signal:, always in the journal.
    assert!(!fx.read("mission.yaml").contains("tests::parses"));
    let show = stdout(&fx.exemplar(&["show", "latest"]));
    assert!(show.contains("src/lib.rs::tests::parses"), "{show}");
    assert!(show.contains("parsing the header"), "{show}");
}

/// A failing test's own output is captured, journaled and shown under its failure (without
/// the harness's lines around it): with `--isolate` from its own process, in-process from a
/// run of it alone after the run.
#[test]
fn a_failing_test_shows_its_output() {
    let fx = Fixture::new("gate");
    let src = fx.read("tests/gate.rs").replace(
        "fn flippable() {\n",
        "fn flippable() {\n    println!(\"flippable read its input\");\n    eprintln!(\"flippable warns\");\n",
    );
    fx.write("tests/gate.rs", &src);
    for mode in [&["run"][..], &["run", "--isolate"][..]] {
        let out = fx.exemplar_env(mode, &[("GATE_BREAK", "1")]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let table = stdout(&out);
        let at = table.find("x tests/gate.rs::flippable").expect(&table);
        let shown = &table[at..];
        for line in [
            "flippable was asked to break",
            "--- captured output ---",
            "flippable read its input",
            "flippable warns",
        ] {
            assert!(shown.contains(line), "{mode:?}: {line:?} in:\n{table}");
        }
        assert!(!shown.contains("running 1 test"), "{table}");
        let show = stdout(&fx.exemplar(&["show", "latest"]));
        assert!(
            show.contains("flippable read its input"),
            "{mode:?}: {show}"
        );
    }
    let doc = json(&fx.exemplar_env(&["run", "--message-format", "json"], &[("GATE_BREAK", "1")]));
    let s1 = directive(&doc, "S1");
    let output = s1["failing_tests"][0]["output"].as_str().unwrap();
    assert!(output.contains("flippable read its input"), "{output}");
}

/// `--test NAME` runs one target; the tests of the others keep their place and last outcome.
#[test]
fn one_test_target_leaves_the_others_signal_as_it_was() {
    let fx = Fixture::new("basic");
    fx.exemplar(&["run"]);
    let before = mission(&fx);
    let out = fx.exemplar(&["run", "--test", "second", "--message-format", "json"]);
    // Exit 0: the failing and crashing tests of `outcomes` did not run.
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(
        doc["counts"]["passed"], 1,
        "second.rs's one test alone ran: {doc}"
    );
    assert_eq!(doc["counts"]["failed"], 0);
    let after = mission(&fx);
    assert_eq!(before.signal.len(), after.signal.len());
    for (a, b) in before.signal.iter().zip(&after.signal) {
        assert_eq!(a.reference, b.reference);
        assert_eq!(
            a.result.as_ref().map(|r| r.outcome),
            b.result.as_ref().map(|r| r.outcome)
        );
    }
}

/// `--no-capture` lets a test's output through as it runs.
#[test]
fn no_capture_streams_the_output() {
    let fx = Fixture::new("gate");
    let src = fx.read("tests/gate.rs").replace(
        "fn flippable() {\n",
        "fn flippable() {\n    println!(\"flippable speaks live\");\n",
    );
    fx.write("tests/gate.rs", &src);
    for args in [
        &["run", "--no-capture"][..],
        &["run", "--", "--nocapture"][..],
    ] {
        let out = fx.exemplar(args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stdout(&out).contains("flippable speaks live"), "{args:?}");
    }
}

/// `--workspace --exclude NAME` leaves a member out; an unknown one is a usage error.
#[test]
fn exclude_leaves_a_member_out() {
    let fx = Fixture::new("workspace");
    let doc = json(&fx.exemplar(&[
        "run",
        "--workspace",
        "--exclude",
        "beta",
        "--message-format",
        "json",
    ]));
    let ids: Vec<&str> = doc["missions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["package"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["alpha"]);
    let out = fx.exemplar(&["run", "--workspace", "--exclude", "zeta"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A test binary that dies before listing its tests hides them: `check` never calls that
/// clean, and says which binary it was.
#[test]
fn a_binary_that_dies_before_listing_fails_the_gate() {
    let fx = Fixture::new("gate");
    crate::support::git(fx.path(), &["init", "-q"]);
    fx.exemplar(&["run"]);
    crate::support::git(fx.path(), &["add", "-A"]);
    crate::support::git(fx.path(), &["commit", "-q", "-m", "green"]);
    let manifest = fx.read("Cargo.toml") + "\n[[test]]\nname = \"broken\"\nharness = false\n";
    fx.write("Cargo.toml", &manifest);
    fx.write(
        "tests/broken.rs",
        "fn main() {\n    std::process::abort();\n}\n",
    );
    let out = fx.exemplar(&["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("gate broken (test): FAILED"), "{text}");
    assert!(text.contains("did not report their tests"), "{text}");
}
