//! Design patches on a hand-written mission file: each operation changes only the lines it
//! must, every comment and other byte stays, refusals leave nothing, and the text reads back
//! as the design meant.

use std::path::Path;

use exemplar_formats::design::Status;
use exemplar_formats::patch::DesignOp;
use exemplar_mission::patch::{self, LinkedTest, design_fingerprint};
use exemplar_mission::{Mission, PatchError, parse_str};

const MISSION: &str = r#"# kv mission, written by hand
id: kv
name: Key-Value Store
lang: Rust

design:
  # Durability first
  - id: S0
    name: Durability
    aspect_id: null
    detail: { type: tenet, content: Data survives process crash }
  - id: S1   # the log
    name: "Write-Ahead Log"
    aspect_id: S0
    detail:
      invariant: write(k,v) → disk.append(k,v) → ack   # the core
      constraint: 'ack implies durable'
  - id: S2
    name: Recovery
    aspect_id: S0
    status: proposed
    detail:
      invariant: |
        replay restores
        every acked write

  # Ideas below
  - id: S3
    name: Speed
    aspect_id: null

signal:
  - id: T0
    ref: tests/kv.rs::wal
    spec_ids: [S1]
    result: { outcome: passed, duration: 0.01, timestamp: 2025-12-01T13:00:00Z }

history: []
"#;

fn mission(text: &str) -> Mission {
    parse_str(Path::new("mission.yaml"), text).unwrap()
}

fn tests_of(m: &Mission) -> Vec<LinkedTest> {
    m.signal
        .iter()
        .map(|s| LinkedTest {
            reference: s.reference.clone(),
            ids: s.spec_ids.clone(),
        })
        .collect()
}

fn apply(text: &str, ops: &[DesignOp]) -> Result<String, PatchError> {
    let m = mission(text);
    patch::apply(&m, ops, None, &tests_of(&m)).map(|p| p.text)
}

/// The lines that differ: those removed, then those added (common head and tail left out).
fn changed(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let a: Vec<&str> = before.split_inclusive('\n').collect();
    let b: Vec<&str> = after.split_inclusive('\n').collect();
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

fn update(id: &str, name: Option<&str>, detail: &[(&str, Option<&str>)]) -> DesignOp {
    DesignOp::Update {
        id: id.into(),
        name: name.map(Into::into),
        detail: detail
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(Into::into)))
            .collect(),
    }
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| format!("{s}\n")).collect()
}

#[test]
fn each_operation_changes_only_its_own_lines() {
    let cases: Vec<(DesignOp, Vec<&str>, Vec<&str>)> = vec![
        (
            update("S1", None, &[("invariant", Some("write then ack"))]),
            vec!["      invariant: write(k,v) → disk.append(k,v) → ack   # the core"],
            vec!["      invariant: write then ack   # the core"],
        ),
        (
            update("S1", Some("WAL: the log"), &[]),
            vec!["    name: \"Write-Ahead Log\""],
            vec!["    name: \"WAL: the log\""],
        ),
        (
            update("S1", None, &[("constraint", None)]),
            vec!["      constraint: 'ack implies durable'"],
            vec![],
        ),
        (
            update("S1", None, &[("tradeoff", Some("slower writes"))]),
            vec![],
            vec!["      tradeoff: slower writes"],
        ),
        (
            update(
                "S2",
                None,
                &[("invariant", Some("replay restores every acked write"))],
            ),
            vec![
                "      invariant: |",
                "        replay restores",
                "        every acked write",
            ],
            vec!["      invariant: replay restores every acked write"],
        ),
        (
            update("S0", None, &[("content", Some("Data survives, always"))]),
            vec!["    detail: { type: tenet, content: Data survives process crash }"],
            vec!["    detail: { type: tenet, content: \"Data survives, always\" }"],
        ),
        (
            update("S0", None, &[("type", None), ("tradeoff", Some("cost"))]),
            vec!["    detail: { type: tenet, content: Data survives process crash }"],
            vec!["    detail: { content: Data survives process crash, tradeoff: cost }"],
        ),
        (
            update("S3", None, &[("content", Some("fast enough"))]),
            vec![],
            vec!["    detail:", "      content: fast enough"],
        ),
        (
            DesignOp::Retire { id: "S1".into() },
            vec![],
            vec!["    status: retired"],
        ),
        (
            DesignOp::Activate { id: "S2".into() },
            vec!["    status: proposed"],
            vec!["    status: active"],
        ),
        (
            DesignOp::Move {
                id: "S2".into(),
                parent: None,
            },
            vec!["    aspect_id: S0"],
            vec!["    aspect_id: null"],
        ),
        (
            DesignOp::Move {
                id: "S2".into(),
                parent: Some("S3".into()),
            },
            vec!["    aspect_id: S0"],
            vec!["    aspect_id: S3"],
        ),
        (
            DesignOp::Remove { id: "S3".into() },
            vec!["  - id: S3", "    name: Speed", "    aspect_id: null"],
            vec![],
        ),
        (
            DesignOp::Add {
                id: "S4".into(),
                name: "Checksums".into(),
                parent: Some("S0".into()),
                status: Some(Status::Proposed),
                detail: [
                    ("tradeoff".to_string(), "cpu".to_string()),
                    (
                        "invariant".to_string(),
                        "a torn write is found: always".to_string(),
                    ),
                ]
                .into(),
            },
            vec![],
            vec![
                "  - id: S4",
                "    name: Checksums",
                "    aspect_id: S0",
                "    status: proposed",
                "    detail:",
                "      invariant: \"a torn write is found: always\"",
                "      tradeoff: cpu",
            ],
        ),
    ];
    for (op, removed, added) in cases {
        let out = apply(MISSION, std::slice::from_ref(&op)).unwrap_or_else(|e| panic!("{op}: {e}"));
        let (r, a) = changed(MISSION, &out);
        assert_eq!((r, a), (lines(&removed), lines(&added)), "{op}\n{out}");
        // Every comment of the file is still there.
        for comment in MISSION.lines().filter(|l| l.contains('#')) {
            let kept = comment.split('#').next_back().unwrap();
            assert!(out.contains(kept), "{op} lost the comment {comment:?}");
        }
    }
}

#[test]
fn a_new_node_goes_after_its_parents_subtree() {
    let add = |id: &str, parent: Option<&str>| DesignOp::Add {
        id: id.into(),
        name: format!("{id} name"),
        parent: parent.map(Into::into),
        status: None,
        detail: Default::default(),
    };
    let out = apply(
        MISSION,
        &[
            add("S4", Some("S0")),
            add("S5", None),
            add("S6", Some("S1")),
        ],
    )
    .unwrap();
    let m = mission(&out);
    let order: Vec<&str> = m.design.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(order, ["S0", "S1", "S6", "S2", "S4", "S3", "S5"]);
    // The blank line and comment before S3 still sit right above it.
    assert!(out.contains("\n\n  # Ideas below\n  - id: S3\n"), "{out}");
}

#[test]
fn crlf_and_a_byte_order_mark_are_kept() {
    let crlf = format!("\u{feff}{}", MISSION.replace('\n', "\r\n"));
    let out = apply(
        &crlf,
        &[
            update("S1", None, &[("tradeoff", Some("slower"))]),
            DesignOp::Retire { id: "S3".into() },
            DesignOp::Add {
                id: "S4".into(),
                name: "New".into(),
                parent: None,
                status: None,
                detail: [("content".to_string(), "x".to_string())].into(),
            },
        ],
    )
    .unwrap();
    assert!(out.starts_with('\u{feff}'));
    assert_eq!(
        out.matches('\n').count(),
        out.matches("\r\n").count(),
        "{out:?}"
    );
    let plain = apply(
        MISSION,
        &[
            update("S1", None, &[("tradeoff", Some("slower"))]),
            DesignOp::Retire { id: "S3".into() },
            DesignOp::Add {
                id: "S4".into(),
                name: "New".into(),
                parent: None,
                status: None,
                detail: [("content".to_string(), "x".to_string())].into(),
            },
        ],
    )
    .unwrap();
    assert_eq!(out, format!("\u{feff}{}", plain.replace('\n', "\r\n")));
}

#[test]
fn a_file_without_a_final_line_break_stays_without_one() {
    let text = "id: m\nname: M\ndesign:\n  - id: S0\n    name: Idea\n    aspect_id: null";
    let out = apply(
        text,
        &[DesignOp::Add {
            id: "S1".into(),
            name: "D".into(),
            parent: Some("S0".into()),
            status: None,
            detail: Default::default(),
        }],
    )
    .unwrap();
    assert_eq!(
        out,
        "id: m\nname: M\ndesign:\n  - id: S0\n    name: Idea\n    aspect_id: null\n  - id: S1\n    name: D\n    aspect_id: S0"
    );
}

#[test]
fn refusals_leave_nothing_and_say_why() {
    let m = mission(MISSION);
    let all_or_none = [
        DesignOp::Retire { id: "S1".into() },
        DesignOp::Remove { id: "S9".into() },
    ];
    let err = patch::apply(&m, &all_or_none, None, &[]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("operation 2 (remove S9): no design node `S9`"),
        "{err}"
    );
    // S1 is linked by T0 in the signal.
    let err = patch::apply(
        &m,
        &[DesignOp::Remove { id: "S1".into() }],
        None,
        &tests_of(&m),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("tests still link `S1`: tests/kv.rs::wal"),
        "{err}"
    );
}

#[test]
fn a_patch_against_another_design_is_a_conflict() {
    let m = mission(MISSION);
    let base = design_fingerprint(&m.design).to_hex();
    let retire = [DesignOp::Retire { id: "S3".into() }];
    let first = patch::apply(&m, &retire, Some(&base[..12]), &[]).unwrap();
    assert_eq!(first.base.to_hex(), base);
    assert_ne!(first.result, first.base);
    let now = mission(&first.text);
    assert_eq!(design_fingerprint(&now.design), first.result);
    match patch::apply(
        &now,
        &[DesignOp::Retire { id: "S2".into() }],
        Some(&base),
        &[],
    ) {
        Err(PatchError::Conflict { current, .. }) => assert_eq!(current, first.result.to_hex()),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(matches!(
        patch::apply(&now, &retire, Some("xyz"), &[]),
        Err(PatchError::BadBase(_))
    ));
}

#[test]
fn the_design_fingerprint_ignores_layout_and_sees_meaning() {
    let m = mission(MISSION);
    let reordered = mission(&MISSION.replace("  - id: S1   # the log", "  - id: S1"));
    assert_eq!(
        design_fingerprint(&m.design),
        design_fingerprint(&reordered.design)
    );
    let moved = apply(
        MISSION,
        &[DesignOp::Move {
            id: "S2".into(),
            parent: Some("S3".into()),
        }],
    )
    .unwrap();
    assert_ne!(
        design_fingerprint(&m.design),
        design_fingerprint(&mission(&moved).design)
    );
}

#[test]
fn a_flow_style_design_is_refused_not_rewritten() {
    let text = "id: m\nname: M\ndesign: [{ id: S0, name: Idea }]\n";
    let err = apply(text, &[DesignOp::Retire { id: "S0".into() }]).unwrap_err();
    assert!(err.to_string().contains("not a block list"), "{err}");
    let text = "id: m\nname: M\ndesign:\n  - { id: S0, name: Idea }\n";
    let err = apply(text, &[DesignOp::Retire { id: "S0".into() }]).unwrap_err();
    assert!(
        err.to_string().contains("design node S0 is a flow mapping"),
        "{err}"
    );
}

#[test]
fn a_new_node_is_set_apart_as_the_others_are() {
    let apart = "id: m\nname: M\ndesign:\n  - id: S0\n    name: Idea\n\n  # the first directive\n  - id: S1\n    name: D\n    aspect_id: S0\n\n  - id: S2\n    name: E\n    aspect_id: S0\n";
    let add = [DesignOp::Add {
        id: "S3".into(),
        name: "F".into(),
        parent: Some("S0".into()),
        status: None,
        detail: Default::default(),
    }];
    let out = apply(apart, &add).unwrap();
    assert!(
        out.ends_with("    aspect_id: S0\n\n  - id: S3\n    name: F\n    aspect_id: S0\n"),
        "{out}"
    );
    let remove = [DesignOp::Remove { id: "S3".into() }];
    assert_eq!(apply(&out, &remove).unwrap(), apart, "added then removed");
    let tight = apart.replace("\n\n", "\n");
    let out = apply(&tight, &add).unwrap();
    assert!(
        out.ends_with("    aspect_id: S0\n  - id: S3\n    name: F\n    aspect_id: S0\n"),
        "{out}"
    );
}
