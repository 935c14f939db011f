//! `cargo exemplar report` through real consumers: the HTML page in headless Chromium (no
//! console errors, curves and tables present, hostile text shown as text), the JUnit file read
//! back by quick-junit and by Python's junitparser, the JSON and Markdown documents.

use std::path::{Path, PathBuf};
use std::process::Command;

use exemplar_store::records::{
    MissionLoss, MissionStamp, NodeLoss, NodeStamp, Outcome, RunEnd, RunStart,
};
use exemplar_store::{Contention, JournalWriter, Record, WriterOptions};

use crate::support::{Fixture, repo_root, stderr};

const HOSTILE_REF: &str = "tests/outcomes.rs::<script>document.title='pwned'</script>";
const HOSTILE_NAME: &str = "Failing<img src=x onerror=alert(1)> | [x](javascript:alert(1)) *em*";
/// Markup, and bytes XML 1.0 forbids: ANSI colour escapes as test output holds them, NUL, BEL,
/// a noncharacter.
const HOSTILE_MSG: &str = "\"quoted\" & <img src=x onerror=\"document.title='pwned'\"> <b>bold</b> \u{1b}[31mred\u{1b}[0m \u{0}\u{7}\u{fffe}end";

/// A basic fixture whose journal holds `n` synthetic runs: losses that fall, an S1 change at
/// the middle run, and a latest run with a failing test named to attack the page.
fn journal_with_runs(n: usize) -> Fixture {
    let fx = Fixture::new("basic");
    let mut w = JournalWriter::open(
        &fx.path().join(".exemplar"),
        Contention::Fail,
        WriterOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    for r in 0..n {
        let run = format!("run-{r:04}");
        let s1_fp = if r < n / 2 { "aaaa" } else { "bbbb" };
        w.append(&Record::RunStart(RunStart {
            scope: None,
            run_id: run.clone(),
            started_at: 1_800_000_000 + r as i64 * 60,
            commit: Some("1a2b3c4".into()),
            note: None,
            missions: vec![MissionStamp {
                mission: "basic".into(),
                package: "basic".into(),
                nodes: ["S0", "S1", "S2", "S3", "S4"]
                    .iter()
                    .map(|id| NodeStamp {
                        id: (*id).into(),
                        fingerprint: if *id == "S1" {
                            s1_fp.into()
                        } else {
                            "same".into()
                        },
                    })
                    .collect(),
                design: None,
            }],
        }))
        .unwrap();
        let message = w.put_blob(HOSTILE_MSG.as_bytes()).unwrap();
        for (reference, outcome) in [("tests/outcomes.rs::passes", 0u8), (HOSTILE_REF, 1)] {
            w.append(&Record::Outcome(Outcome {
                run_id: run.clone(),
                mission: "basic".into(),
                reference: reference.into(),
                ids: vec!["S1".into(), "S2".into()],
                outcome,
                duration: 0.25,
                message: (outcome == 1).then(|| message.into()),
                output: None,
                binary: "outcomes".into(),
                line: 9,
            }))
            .unwrap();
        }
        let loss = 1.0 - r as f64 / n as f64;
        w.append(&Record::RunEnd(RunEnd {
            run_id: run,
            ended_at: 1_800_000_000 + r as i64 * 60 + 5,
            counts: vec![1, 1, 0, 0, 0],
            losses: vec![MissionLoss {
                mission: "basic".into(),
                loss,
                nodes: ["S1", "S2", "S3", "S4"]
                    .iter()
                    .map(|id| NodeLoss {
                        id: (*id).into(),
                        loss,
                    })
                    .collect(),
            }],
            other_shards: Vec::new(),
        }))
        .unwrap();
    }
    w.close().unwrap();
    fx
}

fn report(fx: &Fixture, args: &[&str]) -> std::process::Output {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    let out = fx.exemplar(&all);
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

fn chromium() -> PathBuf {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("which").arg(c).output()
            && out.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        }
    }
    panic!("headless Chromium is needed for this test (Debian's `chromium`; .ci/run installs it)");
}

fn headless(page: &Path, extra: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

#[test]
fn the_html_page_in_headless_chromium() {
    let fx = journal_with_runs(40);
    let page = fx.path().join("report/index.html");
    report(&fx, &["--html", page.to_str().unwrap()]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page must not load anything"
    );

    let out = headless(&page, &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    // The page is what it claims: a title untouched by the hostile names, curves, tables.
    assert!(dom.contains("<title>exemplar report</title>"), "{dom}");
    assert!(!dom.contains("pwned</title>"));
    assert_eq!(
        dom.matches("<polyline").count(),
        1 + 4,
        "the mission curve and one per measured directive"
    );
    assert!(
        dom.matches("class=\"era\"").count() >= 1,
        "S1's change is marked"
    );
    assert!(dom.contains("40 runs"));
    assert!(dom.contains("class=\"design\"") && dom.contains("class=\"tests\""));
    // Hostile text is text: escaped in the DOM, no element made of it.
    assert!(
        dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "{dom}"
    );
    assert!(dom.contains("&lt;img src=x onerror="), "{dom}");
    assert!(!dom.contains("<img"), "an element was made of a message");
    assert!(!dom.contains("<b>bold</b>"));
    // No console errors.
    for line in log.lines().filter(|l| l.contains("CONSOLE")) {
        assert!(
            !line.contains("Uncaught") && !line.to_lowercase().contains("error"),
            "{line}"
        );
    }
    // A screenshot, kept as a CI artifact.
    let shots = repo_root().join("target/exemplar-report");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("report-40-runs.png");
    let _ = std::fs::remove_file(&shot);
    let out = headless(
        &page,
        &[
            "--window-size=1000,1600",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}

#[test]
fn junit_is_read_back_by_quick_junit_and_by_python_junitparser() {
    let fx = journal_with_runs(3);
    let path = fx.path().join("junit.xml");
    report(&fx, &["--junit", path.to_str().unwrap()]);
    let xml = std::fs::read_to_string(&path).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let suite = &parsed.test_suites[0];
    assert_eq!(suite.name.as_str(), "basic");
    assert_eq!(suite.test_cases.len(), 2);
    let bad = suite
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == HOSTILE_REF)
        .unwrap();
    assert!(matches!(
        bad.status,
        quick_junit::TestCaseStatus::NonSuccess {
            kind: quick_junit::NonSuccessKind::Failure,
            ..
        }
    ));
    let ids: Vec<&str> = bad.properties.iter().map(|p| p.value.as_str()).collect();
    assert_eq!(ids, ["S1", "S2"]);
    // The message as XML 1.0 text: its markup as text, no escape sequence or control byte.
    let quick_junit::TestCaseStatus::NonSuccess {
        description: Some(text),
        ..
    } = &bad.status
    else {
        panic!("no description: {:?}", bad.status);
    };
    assert!(text.contains("<b>bold</b> red \u{fffd}end"), "{text:?}");

    // Python's junitparser, in a venv made for it.
    let python = crate::support::python_venv("junit-venv", &["junitparser==3.2.0"]);
    let script = r#"
import sys
from junitparser import JUnitXml, Failure
xml = JUnitXml.fromfile(sys.argv[1])
cases = [(s.name, c.name, [type(r).__name__ for r in c.result]) for s in xml for c in s]
assert len(cases) == 2, cases
names = {c[1]: c[2] for c in cases}
assert names[sys.argv[2]] == ["Failure"], names
assert names["tests/outcomes.rs::passes"] == [], names
suite = next(iter(xml))
assert suite.failures == 1, suite.failures
print("junitparser ok")
"#;
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(&path)
        .arg(HOSTILE_REF)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_and_markdown_documents() {
    let fx = journal_with_runs(5);
    let out = report(&fx, &["--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["format"], "exemplar-report");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["runs"].as_array().unwrap().len(), 5);
    assert_eq!(doc["runs"][4]["losses"]["basic"]["loss"], 0.2);
    assert_eq!(
        doc["missions"][0]["directives"][1]["eras"],
        serde_json::json!([2])
    );
    let tests = doc["latest"]["tests"].as_array().unwrap();
    let passes = tests
        .iter()
        .find(|t| t["ref"] == "tests/outcomes.rs::passes")
        .unwrap();
    assert_eq!(passes["outcome"], "passed");
    let hostile = tests.iter().find(|t| t["ref"] == HOSTILE_REF).unwrap();
    assert_eq!(hostile["message"], HOSTILE_MSG);
    // A directive whose name would be markup, as the mission file may say it.
    let mission = fx.read("mission.yaml");
    fx.write(
        "mission.yaml",
        &mission.replace("name: Failing\n", &format!("name: {HOSTILE_NAME}\n")),
    );
    let md = String::from_utf8(report(&fx, &["--markdown"]).stdout).unwrap();
    assert!(md.starts_with("## cargo exemplar"), "{md}");
    assert!(md.contains("### Failing tests"), "{md}");
    markdown_is_text(&md, &[HOSTILE_REF, HOSTILE_NAME, "<img src=x onerror="]);
    let md_path = fx.path().join("summary.md");
    report(&fx, &["--markdown", md_path.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(md_path).unwrap(), md);
    // Nothing to write is a usage error.
    assert_eq!(fx.exemplar(&["report"]).status.code(), Some(2));
}

/// `md` read by a CommonMark parser with GitHub's tables: no HTML at all (no tag of a name or
/// message reaches a page as markup), no link or emphasis, every table row as wide as its
/// header, and each of `texts` whole in the text of one cell.
fn markdown_is_text(md: &str, texts: &[&str]) {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut cells: Vec<String> = Vec::new();
    let mut row: Option<usize> = None;
    let mut width = 0;
    for event in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => panic!("markup reached the page: {h}\n{md}"),
            Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::Emphasis) => {
                panic!("a name became markup: {event:?}\n{md}")
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => row = Some(0),
            Event::Start(Tag::TableCell) => cells.push(String::new()),
            Event::End(TagEnd::TableCell) => *row.as_mut().unwrap() += 1,
            Event::End(TagEnd::TableHead) => width = row.take().unwrap(),
            Event::End(TagEnd::TableRow) => {
                assert_eq!(row.take(), Some(width), "a row of another width:\n{md}");
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = cells.last_mut() {
                    c.push_str(&t);
                }
            }
            _ => {}
        }
    }
    for text in texts {
        assert!(
            cells.iter().any(|c| c.contains(text)),
            "{text:?} is not whole in a cell: {cells:?}"
        );
    }
}
