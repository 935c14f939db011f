//! What the rewrite targets share: an update made from fuzz bytes, and the round-trip check.

use exemplar_mission::parse::outside_evidence;
use exemplar_mission::{
    DesignDelta, HistoryEntry, Mission, Outcome, SignalEntry, SignalResult, TestId, rewrite,
};

/// A signal and history for `mission`, shaped by `seed`: which directives get tests, their
/// outcomes, names with characters YAML cares about, and how many history entries.
pub fn evidence(mission: &Mission, seed: &[u8]) -> (Vec<SignalEntry>, Vec<HistoryEntry>) {
    let names = ["plain", "with: colon", "# hash", "quote\"d", "é ü", "- dash", "[flow]", "tab\tx", "new\nline", ""];
    let outcomes = [Outcome::Passed, Outcome::Failed, Outcome::Ignored, Outcome::Crashed, Outcome::Timeout];
    let s = |i: usize| seed.get(i % seed.len().max(1)).copied().unwrap_or(0) as usize;
    let signal: Vec<SignalEntry> = mission
        .design
        .iter()
        .enumerate()
        .filter(|(i, _)| s(*i) % 3 != 0)
        .map(|(i, n)| SignalEntry {
            id: TestId(i as u32),
            reference: format!("tests/t.rs::{}{}", names[s(i + 1) % names.len()], i),
            spec_ids: vec![n.id.clone()],
            result: (s(i + 2) % 4 != 0).then(|| SignalResult {
                outcome: outcomes[s(i + 3) % outcomes.len()],
                duration: s(i) as f64 / 7.0,
                timestamp: "2026-12-02T10:00:00Z".into(),
            }),
        })
        .collect();
    let history = (0..s(0) % 3)
        .map(|k| HistoryEntry {
            iteration: k as u64 + 1,
            timestamp: "2026-12-02T10:00:00Z".into(),
            commit: (k % 2 == 0).then(|| "1a2b3c4+dirty".to_owned()),
            loss: 0.5,
            delta: (k > 0).then_some(-0.25),
            directives: mission.design.iter().take(3).map(|n| (n.id.clone(), 0.5)).collect(),
            design: DesignDelta::default(),
            note: Some(names[s(k) % names.len()].to_owned()).filter(|n| !n.is_empty()),
            fingerprints: vec![],
            next_test_id: Some(signal.len() as u32),
        })
        .collect();
    (signal, history)
}

/// The rewrite of `mission` with this evidence: refused, or exact.
pub fn check_rewrite(mission: &Mission, signal: &[SignalEntry], history: &[HistoryEntry]) {
    let Ok(text) = rewrite::render(mission, signal, history) else {
        return;
    };
    let back = exemplar_mission::parse_str(&mission.path, &text).expect("the rewrite parses");
    assert_eq!(back.signal, signal, "the signal reads back");
    assert_eq!(back.history, history, "the history reads back");
    let meaning = |m: &Mission| {
        let nodes: Vec<_> = m
            .design
            .iter()
            .map(|n| (n.id.clone(), n.name.clone(), n.aspect_id.clone(), n.status, n.detail.clone()))
            .collect();
        (m.id.clone(), m.name.clone(), m.lang.clone(), nodes)
    };
    assert_eq!(meaning(&back), meaning(mission), "the design reads differently");
    // Byte for byte outside the sections, where the sections are what a line-wise reading
    // takes them to be: a quoted text that runs on to a line at column 1 makes that reading
    // wrong (the YAML reading, which the rewrite follows, is right), so such files are
    // checked by their meaning alone.
    let before = outside_evidence(&mission.source);
    if exemplar_mission::parse_str(&mission.path, &before).is_ok() {
        let after = outside_evidence(&text);
        assert!(
            before == after
                || before.trim_end_matches(['\r', '\n']) == after.trim_end_matches(['\r', '\n']),
            "bytes outside the sections moved:\n{before:?}\n{after:?}"
        );
    }
}
