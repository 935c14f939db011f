//! A hostile corpus of mission files (`tests/hostile/`, plus a few made here because they are
//! large), each with its expected result as data in `tests/hostile/expected.json`: accepted,
//! or refused with which message at which line and column. Every file that is accepted is
//! rewritten with a new signal and history: the rewrite either refuses the layout cleanly or
//! gives a file whose evidence reads back exactly, whose line breaks are the file's, and whose
//! every byte outside `signal:` and `history:` is unchanged.
//!
//! Decisions the corpus records: UTF-8 only (UTF-16, Latin-1 and NUL are refused with where);
//! anchors, aliases, merge keys and tags are refused (a design is plain data, and an alias
//! would make one node two); duplicate keys are refused, never last-wins; flow style is read
//! but not rewritten; a second document is refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use exemplar_mission::parse::outside_evidence;
use exemplar_mission::{
    DesignDelta, HistoryEntry, Mission, Outcome, SignalEntry, SignalResult, TestId, parse_file,
    rewrite,
};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    /// `accepted`, or the message a refusal must contain.
    result: String,
    /// Where the refusal points: [line, column].
    #[serde(default)]
    at: Option<(usize, usize)>,
    /// For an accepted file: how many design nodes it has.
    #[serde(default)]
    nodes: Option<usize>,
    /// For an accepted file: `ok`, or the message a refused rewrite must contain.
    #[serde(default)]
    rewrite: Option<String>,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

/// The large files, made here: 20,000 directives; a 5 MB value; a 200,000-character line.
fn generated(dir: &Path) -> Vec<PathBuf> {
    let base = std::fs::read_to_string(corpus().join("01-plain.yaml")).unwrap();
    let mut huge = String::from("id: kv\nname: KV\ndesign:\n  - id: S0\n    name: Idea\n");
    for i in 1..=20_000 {
        huge.push_str(&format!(
            "  - id: S{i}\n    name: Directive {i}\n    aspect_id: S0\n    detail:\n      invariant: holds {i}\n"
        ));
    }
    let files = [
        ("g1-huge-20000-directives.yaml", huge),
        (
            "g2-huge-value.yaml",
            base.replace("write then ack", &"x".repeat(5_000_000)),
        ),
        (
            "g3-very-long-line.yaml",
            base.replace("Durability", &"D".repeat(200_000)),
        ),
    ];
    files
        .into_iter()
        .map(|(name, text)| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect()
}

fn new_evidence(m: &Mission) -> (Vec<SignalEntry>, Vec<HistoryEntry>) {
    let signal: Vec<SignalEntry> = m
        .design
        .iter()
        .filter(|n| n.aspect_id.is_some())
        .take(50)
        .enumerate()
        .map(|(i, n)| SignalEntry {
            id: TestId(i as u32),
            reference: format!("tests/hostile.rs::t_{i}"),
            spec_ids: vec![n.id.clone()],
            result: Some(SignalResult {
                outcome: if i % 3 == 0 {
                    Outcome::Failed
                } else {
                    Outcome::Passed
                },
                duration: 0.5,
                timestamp: "2026-12-02T10:00:00Z".into(),
            }),
        })
        .collect();
    let history = vec![HistoryEntry {
        iteration: 1,
        timestamp: "2026-12-02T10:00:00Z".into(),
        commit: Some("1a2b3c4".into()),
        loss: 0.25,
        delta: None,
        directives: vec![],
        design: DesignDelta::default(),
        note: Some("hostile corpus".into()),
        fingerprints: vec![],
        next_test_id: Some(signal.len() as u32),
    }];
    (signal, history)
}

/// What happened to one file, to compare with what was expected.
fn check(path: &Path, want: &Expected) -> Result<(), String> {
    let name = path.file_name().unwrap().to_string_lossy();
    let m = match (parse_file(path), want.result.as_str()) {
        (Ok(m), "accepted") => m,
        (Ok(_), other) => return Err(format!("{name}: accepted, expected refused with {other:?}")),
        (Err(e), "accepted") => return Err(format!("{name}: refused ({e}), expected accepted")),
        (Err(e), message) => {
            let first = e.first();
            let text = e.to_string();
            if !text.contains(message) {
                return Err(format!(
                    "{name}: refused with {text:?}, expected {message:?}"
                ));
            }
            let at = (first.pos.line, first.pos.column);
            if want.at.is_some_and(|w| w != at) {
                return Err(format!("{name}: refused at {at:?}, expected {:?}", want.at));
            }
            let lines = std::fs::read(path).unwrap().split(|b| *b == b'\n').count();
            if at.0 == 0 || at.0 > lines + 1 || at.1 == 0 {
                return Err(format!("{name}: position {at:?} is outside the input"));
            }
            return Ok(());
        }
    };
    if want.nodes.is_some_and(|n| n != m.design.len()) {
        return Err(format!(
            "{name}: {} nodes, expected {:?}",
            m.design.len(),
            want.nodes
        ));
    }
    let (signal, history) = new_evidence(&m);
    let expected_rewrite = want.rewrite.as_deref().unwrap_or("ok");
    match (rewrite::render(&m, &signal, &history), expected_rewrite) {
        (Ok(text), "ok") => {
            let back = exemplar_mission::parse_str(path, &text)
                .map_err(|e| format!("{name}: the rewrite does not parse: {e}"))?;
            if back.signal != signal || back.history != history {
                return Err(format!("{name}: the rewritten evidence reads differently"));
            }
            // (A last line without its line break gets one, so a section can follow it.)
            let before = outside_evidence(&m.source);
            let after = outside_evidence(&text);
            if after != before
                && after.trim_end_matches(['\r', '\n']) != before.trim_end_matches(['\r', '\n'])
            {
                return Err(format!("{name}: bytes outside signal: and history: moved"));
            }
            let all_crlf = |t: &str| t.matches('\n').count() == t.matches("\r\n").count();
            if all_crlf(&m.source) && !all_crlf(&text) {
                return Err(format!("{name}: CRLF did not stay CRLF"));
            }
            if !m.source.contains('\r') && text.contains('\r') {
                return Err(format!("{name}: LF did not stay LF"));
            }
            if m.source.starts_with('\u{feff}') != text.starts_with('\u{feff}') {
                return Err(format!("{name}: the byte order mark did not stay"));
            }
            Ok(())
        }
        (Ok(_), other) => Err(format!(
            "{name}: rewritten, expected refused with {other:?}"
        )),
        (Err(e), "ok") => Err(format!("{name}: the rewrite was refused: {e}")),
        (Err(e), message) if e.to_string().contains(message) => Ok(()),
        (Err(e), message) => Err(format!(
            "{name}: rewrite refused with {e:?}, expected {message:?}"
        )),
    }
}

#[test]
fn every_hostile_mission_file_gets_its_expected_result() {
    let expected: BTreeMap<String, Expected> =
        serde_json::from_str(&std::fs::read_to_string(corpus().join("expected.json")).unwrap())
            .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.extend(generated(scratch.path()));
    files.sort();
    assert!(files.len() >= 50, "the corpus has {} files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        match expected.get(&name) {
            None => failures.push(format!("{name}: no expected result in expected.json")),
            Some(want) => failures.extend(check(path, want).err()),
        }
    }
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    failures.extend(
        expected
            .keys()
            .filter(|k| !names.contains(k))
            .map(|k| format!("{k}: expected, but no such file")),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
