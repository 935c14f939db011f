//! The rewrite changes only `signal:` and `history:`, keeps every other byte, is atomic and
//! refuses to clobber a file that changed on disk; a run that changes nothing changes no byte.

use std::path::Path;

use exemplar_formats::TestRecord;
use exemplar_mission::update::{self, RunInput};
use exemplar_mission::{Mission, Outcome, RewriteError, parse_str, rewrite};

const COMMENTED: &str = include_str!("rewrite/commented.yaml");

/// A run: (ref, ids, outcome); `None` is a test the run filtered out.
type Tests = &'static [(&'static str, &'static [&'static str], Option<Outcome>)];

/// S1's and S2's tests both pass.
const BOTH_PASS: Tests = &[
    ("tests/kv.rs::wal_ordering", &["S1"], Some(Outcome::Passed)),
    (
        "tests/kv.rs::crash_recovery",
        &["S2"],
        Some(Outcome::Passed),
    ),
];

/// S2's test passes; S1's is filtered out.
const ONLY_S2_RUNS: Tests = &[
    ("tests/kv.rs::wal_ordering", &["S1"], None),
    (
        "tests/kv.rs::crash_recovery",
        &["S2"],
        Some(Outcome::Passed),
    ),
];

fn run(tests: &[(&str, &[&str], Option<Outcome>)], timestamp: &str) -> RunInput {
    RunInput {
        tests: tests
            .iter()
            .map(|(r, ids, o)| TestRecord {
                reference: (*r).to_owned(),
                ids: ids.iter().map(|s| (*s).to_owned()).collect(),
                outcome: *o,
                duration: 0.0421,
                ..TestRecord::default()
            })
            .collect(),
        inventory_complete: true,
        timestamp: timestamp.to_owned(),
        commit: Some("1a2b3c4+dirty".into()),
        note: Some("batch commit: one fsync per batch".into()),
        history_cap: 50,
    }
}

fn step(m: &Mission, input: &RunInput) -> (update::Update, String) {
    let u = update::apply(m, input);
    let text = rewrite::render(m, &u.signal, &u.history).expect("rewrite");
    (u, text)
}

/// The lines of `text` outside its `signal:` and `history:` sections, found by a scan that is
/// independent of the rewrite's own (top-level keys at column 1).
fn outside_sections(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let top = line
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace() && c != '#' && c != '-');
        if top {
            inside = line.starts_with("signal:") || line.starts_with("history:");
        }
        if !inside {
            out.push(line);
        }
    }
    out
}

#[test]
fn everything_outside_signal_and_history_is_byte_identical() {
    let m = parse_str(Path::new("mission.yaml"), COMMENTED).unwrap();
    let input = run(
        &[
            ("tests/kv.rs::wal_ordering", &["S1"], Some(Outcome::Passed)),
            (
                "tests/kv.rs::crash_recovery",
                &["S2"],
                Some(Outcome::Failed),
            ),
        ],
        "2025-12-01T13:00:00Z",
    );
    let (u, text) = step(&m, &input);
    assert!(u.changed);
    assert_eq!(outside_sections(COMMENTED), outside_sections(&text));
    // Every comment outside the sections survives, verbatim.
    for line in COMMENTED.lines().filter(|l| l.contains('#')) {
        if !line.contains("inside the section") && !line.starts_with("history:") {
            assert!(text.contains(line), "lost: {line}");
        }
    }
    insta::assert_snapshot!(text);
    // A second, independent YAML parser reads the same data back.
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(v["signal"][0]["id"].as_str(), Some("T0"));
    assert_eq!(v["signal"][0]["result"]["outcome"].as_str(), Some("passed"));
    assert_eq!(
        v["signal"][1]["ref"].as_str(),
        Some("tests/kv.rs::crash_recovery")
    );
    assert_eq!(v["signal"][1]["id"].as_str(), Some("T1"));
    assert_eq!(v["history"][0]["commit"].as_str(), Some("1a2b3c4+dirty"));
    assert_eq!(v["history"][0]["directives"]["S2"].as_f64(), Some(1.0));
    assert_eq!(v["x-owner"].as_str(), Some("storage-team"));
}

#[test]
fn an_identical_second_run_changes_nothing() {
    let m = parse_str(Path::new("mission.yaml"), COMMENTED).unwrap();
    let tests: &[(&str, &[&str], Option<Outcome>)] = &[
        ("tests/kv.rs::wal_ordering", &["S1"], Some(Outcome::Passed)),
        (
            "tests/kv.rs::crash_recovery",
            &["S2"],
            Some(Outcome::Passed),
        ),
    ];
    let (_, first) = step(&m, &run(tests, "2025-12-01T13:00:00Z"));
    let m2 = parse_str(Path::new("mission.yaml"), &first).unwrap();
    let u2 = update::apply(&m2, &run(tests, "2025-12-01T14:00:00Z"));
    assert!(!u2.changed, "same outcomes and design must not add history");
    assert_eq!(u2.history, m2.history);
    // And when an outcome flips, history grows by one with the gradient.
    let flipped: &[(&str, &[&str], Option<Outcome>)] = &[
        ("tests/kv.rs::wal_ordering", &["S1"], Some(Outcome::Failed)),
        (
            "tests/kv.rs::crash_recovery",
            &["S2"],
            Some(Outcome::Passed),
        ),
    ];
    let u3 = update::apply(&m2, &run(flipped, "2025-12-01T15:00:00Z"));
    assert!(u3.changed);
    assert_eq!(u3.history.len(), m2.history.len() + 1);
    let last = u3.history.last().unwrap();
    assert_eq!(last.iteration, 2);
    assert_eq!(last.delta, Some(0.5));
}

#[test]
fn test_ids_are_stable_and_never_reused() {
    let m = parse_str(Path::new("mission.yaml"), COMMENTED).unwrap();
    let (_, t1) = step(
        &m,
        &run(
            &[
                ("tests/kv.rs::wal_ordering", &["S1"], Some(Outcome::Passed)),
                ("tests/kv.rs::b", &["S1"], Some(Outcome::Passed)),
            ],
            "2025-12-01T13:00:00Z",
        ),
    );
    let m1 = parse_str(Path::new("mission.yaml"), &t1).unwrap();
    assert_eq!(m1.signal[1].id.to_string(), "T1");
    // b is deleted; c arrives: it must not get T1.
    let (_, t2) = step(
        &m1,
        &run(
            &[
                ("tests/kv.rs::wal_ordering", &["S1"], Some(Outcome::Passed)),
                ("tests/kv.rs::c", &["S2"], Some(Outcome::Passed)),
            ],
            "2025-12-01T14:00:00Z",
        ),
    );
    let m2 = parse_str(Path::new("mission.yaml"), &t2).unwrap();
    let ids: Vec<String> = m2.signal.iter().map(|s| s.id.to_string()).collect();
    assert_eq!(ids, ["T0", "T2"]);
}

#[test]
fn filtered_tests_keep_their_previous_result_and_unknown_ones_stay_unverified() {
    let m = parse_str(Path::new("mission.yaml"), COMMENTED).unwrap();
    let (u, text) = step(
        &m,
        &run(
            &[
                ("tests/kv.rs::wal_ordering", &["S1"], None),
                ("tests/kv.rs::new_one", &["S2"], None),
            ],
            "2025-12-01T13:00:00Z",
        ),
    );
    let back = parse_str(Path::new("mission.yaml"), &text).unwrap();
    // T0 was not run: its failed result from 10:00 stays.
    assert_eq!(
        back.signal[0].result.as_ref().unwrap().outcome,
        Outcome::Failed
    );
    assert!(back.signal[1].result.is_none());
    let s2 = u.loss.node("S2").unwrap();
    assert_eq!((s2.unverified, s2.direct), (1, Some(1.0)));
}

#[test]
fn a_changed_directive_makes_old_evidence_stale() {
    let m = parse_str(Path::new("mission.yaml"), COMMENTED).unwrap();
    let all = BOTH_PASS;
    let (_, t1) = step(&m, &run(all, "2025-12-01T13:00:00Z"));
    // Change S1's invariant, then run only S2's test.
    let edited = t1.replace("disk.append(k,v) → ack", "disk.append(k,v) → fsync → ack");
    let m1 = parse_str(Path::new("mission.yaml"), &edited).unwrap();
    let partial = ONLY_S2_RUNS;
    let (u, t2) = step(&m1, &run(partial, "2025-12-01T14:00:00Z"));
    assert_eq!(u.design.changed, ["S1"]);
    let s1 = u.loss.node("S1").unwrap();
    assert_eq!(
        (s1.unverified, s1.direct),
        (1, Some(1.0)),
        "old evidence must not verify S1"
    );
    // Still stale one run later, and fresh once re-run.
    let m2 = parse_str(Path::new("mission.yaml"), &t2).unwrap();
    let u2 = update::apply(&m2, &run(partial, "2025-12-01T15:00:00Z"));
    assert_eq!(u2.loss.node("S1").unwrap().direct, Some(1.0));
    let u3 = update::apply(&m2, &run(all, "2025-12-01T16:00:00Z"));
    assert_eq!(u3.loss.node("S1").unwrap().direct, Some(0.0));
}

/// A stale directive re-verified by a full run is written back at its new loss, and its tests'
/// fresh timestamps keep it verified in the runs after.
#[test]
fn a_re_verified_stale_directive_writes_its_new_loss() {
    let m = parse_str(Path::new("mission.yaml"), COMMENTED).unwrap();
    let all = BOTH_PASS;
    let only_s2 = ONLY_S2_RUNS;
    let (_, t1) = step(&m, &run(all, "2025-12-01T13:00:00Z"));
    let edited = t1.replace("disk.append(k,v) → ack", "disk.append(k,v) → fsync → ack");
    let m1 = parse_str(Path::new("mission.yaml"), &edited).unwrap();
    let (u1, t2) = step(&m1, &run(only_s2, "2025-12-01T14:00:00Z"));
    assert!(u1.loss.mission > 0.0);
    // The full run changes no outcome, but re-verifies S1: the file must say so.
    let m2 = parse_str(Path::new("mission.yaml"), &t2).unwrap();
    let (u2, t3) = step(&m2, &run(all, "2025-12-01T15:00:00Z"));
    assert!(u2.changed, "the loss fell from {} to 0", u1.loss.mission);
    assert_eq!(u2.history.last().unwrap().loss, 0.0);
    assert_eq!(u2.history.last().unwrap().delta, Some(-u1.loss.mission));
    // Then a run of S2 alone finds S1 verified, and changes nothing.
    let m3 = parse_str(Path::new("mission.yaml"), &t3).unwrap();
    let u3 = update::apply(&m3, &run(only_s2, "2025-12-01T16:00:00Z"));
    assert_eq!(u3.loss.node("S1").unwrap().unverified, 0);
    assert_eq!(u3.loss.mission, 0.0);
    assert!(!u3.changed);
}

#[test]
fn missing_sections_are_added_and_crlf_is_kept() {
    let src = "id: m\r\nname: M\r\ndesign:\r\n  - id: S0\r\n    name: Only\r\n";
    let m = parse_str(Path::new("mission.yaml"), src).unwrap();
    let (_, text) = step(
        &m,
        &run(
            &[("t.rs::a", &["S0"], Some(Outcome::Passed))],
            "2025-12-01T13:00:00Z",
        ),
    );
    assert!(text.starts_with(src));
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "mixed newlines: {text:?}"
    );
    assert!(text.contains("signal:\r\n  - id: T0\r\n"));
    assert!(text.contains("history:\r\n  - iteration: 1\r\n"));
    // No final newline in the source: one is added before the new sections.
    let src = "id: m\nname: M\ndesign: []";
    let m = parse_str(Path::new("mission.yaml"), src).unwrap();
    let (_, text) = step(&m, &run(&[], "2025-12-01T13:00:00Z"));
    assert_eq!(
        text,
        "id: m\nname: M\ndesign: []\nsignal: []\nhistory:\n  - iteration: 1\n    timestamp: 2025-12-01T13:00:00Z\n    commit: \"1a2b3c4+dirty\"\n    loss: 0.0\n    directives: {}\n    design: { added: [], changed: [], removed: [] }\n    note: \"batch commit: one fsync per batch\"\n    fingerprints: {}\n    next_test_id: 0\n"
    );
}

#[test]
fn awkward_text_round_trips() {
    let m = parse_str(Path::new("mission.yaml"), COMMENTED).unwrap();
    let mut input = run(
        &[(
            "tests/odd.rs::quotes\"and: colons # and\nnewlines",
            &["S1"],
            Some(Outcome::Passed),
        )],
        "2025-12-01T13:00:00Z",
    );
    input.note = Some("yes".into());
    input.commit = Some("0x12".into());
    let (_, text) = step(&m, &input);
    let back = parse_str(Path::new("mission.yaml"), &text).unwrap();
    assert_eq!(
        back.signal[0].reference,
        "tests/odd.rs::quotes\"and: colons # and\nnewlines"
    );
    assert_eq!(back.history[0].note.as_deref(), Some("yes"));
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(v["history"][0]["note"].as_str(), Some("yes"));
    assert_eq!(v["history"][0]["commit"].as_str(), Some("0x12"));
}

#[test]
fn flow_style_top_level_is_refused_not_mangled() {
    let src = "{ id: m, name: M, design: [] }\n";
    let m = parse_str(Path::new("mission.yaml"), src).unwrap();
    let u = update::apply(&m, &run(&[], "2025-12-01T13:00:00Z"));
    let err = rewrite::render(&m, &u.signal, &u.history).unwrap_err();
    assert!(matches!(err, RewriteError::Unsupported { .. }), "{err}");
}

#[test]
fn atomic_write_keeps_permissions_and_refuses_a_file_changed_on_disk() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mission.yaml");
    std::fs::write(&path, COMMENTED).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    rewrite::write_atomic(&path, COMMENTED, "id: x\n").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "id: x\n");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // Someone edits the file after we read it: we refuse, and their edit stays.
    std::fs::write(&path, "id: edited\n").unwrap();
    let err = rewrite::write_atomic(&path, "id: x\n", "id: ours\n").unwrap_err();
    assert!(matches!(err, RewriteError::ChangedOnDisk { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "id: edited\n");
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn a_byte_order_mark_is_read_past_and_kept() {
    let with_bom = format!("\u{feff}{COMMENTED}");
    let m = parse_str(Path::new("mission.yaml"), &with_bom).unwrap();
    assert_eq!(m.id, "kv", "the mark is not part of the first key");
    let (_, text) = step(&m, &run(BOTH_PASS, "2025-12-01T13:00:00Z"));
    assert!(text.starts_with('\u{feff}'), "the rewrite keeps the mark");
    assert_eq!(text.matches('\u{feff}').count(), 1);
    let back = parse_str(Path::new("mission.yaml"), &text).unwrap();
    assert_eq!(back.signal.len(), 2);
}
