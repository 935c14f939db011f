//! `ingest`: results of other runners made runs. A Python mission (the founding kv example) is
//! run by real pytest from PyPI, in a venv made here, and ingested from its report-log and its
//! JUnit XML: its loss measured, its mission file rewritten, its report drawn, a module that
//! fails to collect shown failing. Real cargo-nextest JUnit of a Rust fixture links as
//! exemplar's own run does. Reports in the shapes gotestsum and jest-junit write link by their
//! `@design` comments and titles, with expected outcomes as data.

use std::path::Path;
use std::process::Command;

use crate::support::{Fixture, git, json, python_venv, stderr, stdout, target_dir};

/// `signal:` of a mission file, read by a YAML parser: ref → (ids, outcome).
fn signal(path: &Path) -> Vec<(String, Vec<String>, String)> {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["signal"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|s| {
            let ids = s["spec_ids"].as_sequence().unwrap();
            (
                s["ref"].as_str().unwrap().to_owned(),
                ids.iter().map(|i| i.as_str().unwrap().to_owned()).collect(),
                s["result"]["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn loss_of(run: &serde_json::Value, id: &str) -> f64 {
    let rows = run["missions"][0]["directives"].as_array().unwrap();
    let row = rows.iter().find(|r| r["id"] == id).unwrap();
    row["loss"].as_f64().unwrap()
}

#[test]
fn reports_of_gotestsum_and_jest_link_by_their_markers() {
    let fx = Fixture::new("foreign");
    let expected = fx.expected();
    let out = fx.exemplar(&[
        "ingest",
        "--junit",
        "reports/gotestsum.xml",
        "--junit",
        "reports/jest-junit.xml",
        "--message-format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        expected["exit"].as_i64().map(|c| c as i32),
        "{}",
        stderr(&out)
    );
    // jest's title repeated in another file, passing there, does not hide its failure.
    assert!(
        stderr(&out).contains("1 cases share their reference"),
        "{}",
        stderr(&out)
    );
    let run = json(&out);
    let got = signal(&fx.path().join("mission.yaml"));
    let want = expected["signal"].as_object().unwrap();
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (reference, ids, outcome) in &got {
        let w = &want[reference.as_str()];
        assert_eq!(w["outcome"], outcome.as_str(), "{reference}");
        let w_ids: Vec<&str> = w["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap())
            .collect();
        assert_eq!(w_ids, *ids, "{reference}");
    }
    for (id, loss) in expected["loss"].as_object().unwrap() {
        assert!(
            (loss_of(&run, id) - loss.as_f64().unwrap()).abs() < 1e-3,
            "{id}"
        );
    }
    let untagged = expected["untagged"].as_array().unwrap().len() as u64;
    assert_eq!(run["missions"][0]["untagged"]["passed"], untagged);
    // The failure's message is the report's, whole.
    let history = json(&fx.exemplar(&["show", "latest", "--message-format", "json"]));
    let text = history.to_string();
    assert!(text.contains("lost k0"), "{text}");

    // A damaged report is refused with its line and column, and nothing is recorded.
    fx.write(
        "reports/cut.xml",
        "<testsuites>\n<testsuite name=\"s\">\n<testcase name=\"a\">",
    );
    let cut = fx.exemplar(&["ingest", "--junit", "reports/cut.xml"]);
    assert_eq!(cut.status.code(), Some(2));
    assert!(
        stderr(&cut).contains("reports/cut.xml:3:"),
        "{}",
        stderr(&cut)
    );
    // A report without a single case is refused: it is no evidence of anything.
    fx.write("reports/empty.xml", "<testsuites name=\"jest tests\"/>");
    let empty = fx.exemplar(&["ingest", "--junit", "reports/empty.xml"]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(
        stderr(&empty).contains("no test case in reports/empty.xml"),
        "{}",
        stderr(&empty)
    );
    let runs = json(&fx.exemplar(&["history", "--message-format", "json"]));
    assert_eq!(runs["runs"].as_array().unwrap().len(), 1);
}

#[test]
fn a_python_mission_run_by_real_pytest() {
    let python = python_venv("pytest-venv", &["pytest==8.3.4", "pytest-reportlog==0.4.0"]);
    let fx = Fixture::new("pykv");
    git(fx.path(), &["init", "-q"]);
    git(fx.path(), &["add", "-A"]);
    git(fx.path(), &["commit", "-qm", "kv in python"]);
    let pytest = |args: &[&str]| {
        let out = Command::new(&python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .args(args)
            .current_dir(fx.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    // Every test passes: loss 0, the signal written with each test's directives.
    pytest(&["--report-log=results.jsonl"]);
    let out = fx.exemplar(&[
        "ingest",
        "--pytest-reportlog",
        "results.jsonl",
        "--message-format",
        "json",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let run = json(&out);
    assert_eq!(run["missions"][0]["loss"], 0.0);
    assert_eq!(run["missions"][0]["rewritten"], true);
    let mission = fx.path().join("mission.yaml");
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let passed = |r: &str, ids: &[&str]| (r.to_owned(), strings(ids), "passed".to_owned());
    assert_eq!(
        signal(&mission),
        [
            passed("tests/test_extra.py::test_batches_are_bounded", &["S3"]),
            passed("tests/test_kv.py::test_crash_recovery", &["S2"]),
            passed("tests/test_kv.py::test_throughput", &["S1", "S3"]),
            passed("tests/test_kv.py::test_wal_ordering", &["S1"]),
        ]
    );
    assert_eq!(run["missions"][0]["untagged"]["passed"], 1);

    // Recovery breaks: pytest's JUnit XML (xunit1, with files and lines) says so.
    let kv = fx
        .read("kv.py")
        .replace("            self._data[k] = v\n", "            pass\n");
    fx.write("kv.py", &kv);
    pytest(&["--junitxml=junit.xml", "-o", "junit_family=xunit1"]);
    let out = fx.exemplar(&["ingest", "--junit", "junit.xml"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(
        shown.contains("x tests/test_kv.py::test_crash_recovery (tests/test_kv.py:"),
        "{shown}"
    );
    assert!(shown.contains("AssertionError"), "{shown}");
    let status = json(&fx.exemplar(&["status", "--message-format", "json"]));
    assert!(status.to_string().contains("\"S2\""), "{status}");
    let s2 = signal(&mission)
        .into_iter()
        .find(|s| s.0.ends_with("test_crash_recovery"))
        .unwrap();
    assert_eq!(s2.2, "failed");

    // A module that no longer imports: its tests did not run, and say so.
    let extra = format!("import no_such_module\n{}", fx.read("tests/test_extra.py"));
    fx.write("tests/test_extra.py", &extra);
    pytest(&["--report-log=results.jsonl"]);
    let out = fx.exemplar(&[
        "ingest",
        "--pytest-reportlog",
        "results.jsonl",
        "--message-format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    // The module's known test fails for it: it did not run.
    let extra_failed = |out: &std::process::Output| {
        let said = stderr(out).contains("tests/test_extra.py failed to collect");
        assert!(said, "{}", stderr(out));
        let s3 = signal(&mission)
            .into_iter()
            .find(|s| s.0.contains("test_batches_are_bounded"))
            .unwrap();
        assert_eq!(s3.2, "failed");
    };
    extra_failed(&out);
    let run = json(&out);
    assert!(loss_of(&run, "S3") > 0.0);
    // pytest's JUnit XML says the same of the module, in its own way.
    pytest(&["--junitxml=junit.xml"]);
    extra_failed(&fx.exemplar(&["ingest", "--junit", "junit.xml"]));

    // The report is drawn from the journal the ingests wrote.
    let report = fx.exemplar(&[
        "report",
        "--html",
        "out/index.html",
        "--json",
        "out/report.json",
    ]);
    assert!(report.status.success(), "{}", stderr(&report));
    let doc: serde_json::Value = serde_json::from_str(&fx.read("out/report.json")).unwrap();
    assert_eq!(doc["runs"].as_array().map(Vec::len), Some(4), "{doc}");
    assert!(fx.read("out/index.html").contains("Key-Value Store"));

    // exemplar cannot run a Python mission's tests, and says what to do instead.
    let run = fx.exemplar(&["run"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("cargo exemplar ingest"),
        "{}",
        stderr(&run)
    );
    let rerun = fx.exemplar(&["run", "--rerun-failed"]);
    assert!(
        stderr(&rerun).contains("ingested from another runner"),
        "{}",
        stderr(&rerun)
    );

    // A report-log cut short (pytest killed) is read as a part of the suite, and said so.
    let log = fx.read("results.jsonl");
    let cut: Vec<&str> = log
        .lines()
        .filter(|l| !l.contains("SessionFinish"))
        .collect();
    fx.write("cut.jsonl", &cut.join("\n"));
    let out = fx.exemplar(&["ingest", "--pytest-reportlog", "cut.jsonl", "--complete"]);
    assert!(
        stderr(&out).contains("ends before pytest's session finished"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn nextest_junit_links_as_exemplar_runs_it() {
    let fx = Fixture::new("basic");
    let ours = json(&fx.exemplar(&["run", "--no-rewrite", "--message-format", "json"]));
    std::fs::create_dir_all(fx.path().join(".config")).unwrap();
    fx.write(
        ".config/nextest.toml",
        "[profile.ci.junit]\npath = \"junit.xml\"\n",
    );
    let out = Command::new("cargo")
        .args(["nextest", "run", "--profile", "ci", "--no-fail-fast"])
        .current_dir(fx.path())
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    // nextest's store is `target/nextest` under the workspace root, whatever the target dir.
    let junit = fx.path().join("target/nextest/ci/junit.xml");
    assert!(junit.exists(), "{}", String::from_utf8_lossy(&out.stderr));
    let copy = fx.path().join("nextest-junit.xml");
    std::fs::copy(&junit, &copy).unwrap();
    let theirs = json(&fx.exemplar(&[
        "ingest",
        "--junit",
        "nextest-junit.xml",
        "--message-format",
        "json",
    ]));
    // The same directives, the same tests under them (but the ignored ones, which nextest
    // leaves out of its JUnit), the same failing ones.
    let rows = |run: &serde_json::Value| -> Vec<(String, u64, u64)> {
        run["missions"][0]["directives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let n = |k: &str| r[k].as_u64().unwrap();
                let id = r["id"].as_str().unwrap().to_owned();
                (id, n("linked") - n("ignored"), n("failing"))
            })
            .collect()
    };
    assert_eq!(rows(&theirs), rows(&ours));
    let refs = |run: &serde_json::Value| -> Vec<String> {
        let mut v: Vec<String> = run["missions"][0]["directives"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["failing_tests"].as_array().unwrap().iter())
            .map(|t| t["ref"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(refs(&theirs), refs(&ours));
}
