//! `cargo exemplar next` and `explain ID` on the basic fixture: the directive to work on, its
//! failing tests with file:line and messages, and where its loss heads as a test is fixed and
//! broken again.

use exemplar_formats::next::{Convergence, NextDocument};

use crate::support::{Fixture, stderr, stdout};

fn doc(fx: &Fixture, args: &[&str]) -> NextDocument {
    let mut args = args.to_vec();
    args.extend(["--message-format", "json"]);
    let out = fx.exemplar(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not an exemplar-next document ({e}): {}",
            stdout(&out)
        )
    })
}

#[test]
fn next_names_the_highest_loss_and_explain_follows_a_fix_and_a_break() {
    let fx = Fixture::new("basic");
    fx.exemplar(&["run", "-q"]);
    // S3 and S4 are both at loss 1 and both rose in the one run: the active one comes first.
    let next = doc(&fx, &["next"]);
    assert_eq!(next.format, "exemplar-next");
    let d = next.directive.expect("a directive to work on");
    assert_eq!(
        (d.id.as_str(), d.loss, d.status.as_str()),
        ("S3", 1.0, "active")
    );
    assert_eq!(
        d.invariant.as_deref(),
        Some("an aborting test is recorded crashed")
    );
    let t = &d.failing_tests[0];
    assert_eq!(
        (t.reference.as_str(), t.file.as_str()),
        ("tests/outcomes.rs::aborts", "tests/outcomes.rs")
    );
    assert!(
        t.line > 0 && t.message.as_deref().unwrap_or("").contains("SIGABRT"),
        "{t:?}"
    );
    let order: Vec<&str> = next.queue.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(&order[..3], ["S3", "S4", "S2"]);
    let human = stdout(&fx.exemplar(&["next"]));
    assert!(
        human.contains("next: basic/S3 Crash") && human.contains("tests/outcomes.rs:"),
        "{human}"
    );

    // explain S2: both failing tests, whole messages; measured once, so a plateau.
    let s2 = doc(&fx, &["explain", "S2"]).directive.unwrap();
    assert_eq!((s2.loss, s2.convergence), (0.6667, Convergence::Plateau));
    assert_eq!(
        s2.constraint.as_deref(),
        Some("the message reaches the report")
    );
    let refs: Vec<&str> = s2
        .failing_tests
        .iter()
        .map(|t| t.reference.as_str())
        .collect();
    assert_eq!(
        refs,
        ["tests/outcomes.rs::fails", "tests/outcomes.rs::returns_err"]
    );
    assert!(
        s2.failing_tests[0]
            .message
            .as_deref()
            .unwrap()
            .contains("arithmetic is broken")
    );

    // Fix one of S2's tests: its loss falls.
    let source = fx.read("tests/outcomes.rs");
    fx.write("tests/outcomes.rs", &source.replace("2 + 2, 5", "2 + 2, 4"));
    fx.exemplar(&["run", "-q"]);
    let s2 = doc(&fx, &["explain", "basic/S2"]).directive.unwrap();
    assert_eq!(
        (s2.losses.clone(), s2.convergence),
        (vec![0.6667, 0.3333], Convergence::Improving)
    );
    assert_eq!(s2.failing_tests.len(), 1);
    // Break it again: back where it started, last moving up, it regresses; the window of 2
    // sees the same.
    fx.write("tests/outcomes.rs", &source);
    fx.exemplar(&["run", "-q"]);
    let s2 = doc(&fx, &["explain", "S2"]).directive.unwrap();
    assert_eq!(s2.convergence, Convergence::Regressing, "{:?}", s2.losses);
    assert_eq!(
        s2.rose_in.as_deref(),
        Some(doc(&fx, &["next"]).run_id.as_str())
    );
    let narrow = doc(&fx, &["explain", "S2", "--window", "2"])
        .directive
        .unwrap();
    assert_eq!(
        (narrow.losses, narrow.convergence),
        (vec![0.3333, 0.6667], Convergence::Regressing)
    );
    // Fixed once more: down, up, down is an oscillation.
    fx.write("tests/outcomes.rs", &source.replace("2 + 2, 5", "2 + 2, 4"));
    fx.exemplar(&["run", "-q"]);
    let s2 = doc(&fx, &["explain", "S2"]).directive.unwrap();
    assert_eq!(
        (s2.losses, s2.convergence),
        (
            vec![0.6667, 0.3333, 0.6667, 0.3333],
            Convergence::Oscillating
        )
    );

    // Not a measured directive: a clear refusal.
    for (id, says) in [
        ("S9", "no directive S9"),
        ("S5", "S5 is retired"),
        ("S0", "S0 is an idea"),
    ] {
        let out = fx.exemplar(&["explain", id]);
        assert_eq!(out.status.code(), Some(2), "{id}");
        assert!(stderr(&out).contains(says), "{id}: {}", stderr(&out));
    }
}
