//! Merging a mission file changed on two branches (what `cargo exemplar merge-driver` does for
//! git): every run rewrites `signal:` and `history:`, so two branches that both ran conflict
//! there under git's line merge, though nothing the user wrote disagrees.
//!
//! - **The design** (everything outside the two sections, comments included) is taken whole
//!   from the side that changed it; when both sides changed it differently, the merge is a
//!   conflict, left to git as usual.
//! - **`history:`**: the entries of both sides, each once, in time order, numbered again from
//!   1, each `delta` taken again from the entry before it. An entry's `design` change stays
//!   as its branch recorded it.
//! - **`signal:`**: each test once. A test on both sides keeps the newer result (a result over
//!   none); a test one side removed and the other left as the base had it is removed; a test
//!   new on a side whose id the other side gives another test gets the next free id. The
//!   next free id after the merge is past every id either side used.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::model::{HistoryEntry, Mission, SignalEntry, TestId};
use crate::parse::{outside_evidence, parse_str};
use crate::rewrite;
use crate::time::epoch_millis;

/// Why two versions of a mission file do not merge by themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchConflict(pub String);

impl std::fmt::Display for BranchConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The merge of `ours` and `theirs`, both changed from `base` (`None`: the file is new on
/// both sides); `path` names the file in messages.
pub fn merge(
    path: &Path,
    base: Option<&str>,
    ours: &str,
    theirs: &str,
) -> Result<String, BranchConflict> {
    let parse = |side: &str, text: &str| {
        parse_str(path, text)
            .map_err(|e| BranchConflict(format!("{side}'s {} does not parse: {e}", path.display())))
    };
    let (o, t) = (parse("ours", ours)?, parse("theirs", theirs)?);
    let b = match base {
        Some(text) => Some(parse("the base", text)?),
        None => None,
    };
    let outside = |m: &Mission| outside_evidence(&m.source);
    let template = if outside(&o) == outside(&t) {
        &o
    } else if b.as_ref().is_some_and(|b| outside(b) == outside(&o)) {
        &t
    } else if b.as_ref().is_some_and(|b| outside(b) == outside(&t)) {
        &o
    } else {
        return Err(BranchConflict(
            "both branches changed the design: resolve it, then run `cargo exemplar run`".into(),
        ));
    };
    let base_signal = b.as_ref().map_or(&[][..], |b| b.signal.as_slice());
    let signal = merge_signal(base_signal, &o.signal, &t.signal);
    let mut history = merge_history(&o.history, &t.history);
    let next = signal.iter().map(|s| s.id.0 + 1).max().unwrap_or(0);
    if let Some(last) = history.last_mut() {
        let before = [o.history.last(), t.history.last()]
            .into_iter()
            .flatten()
            .filter_map(|h| h.next_test_id)
            .max()
            .unwrap_or(0);
        last.next_test_id = Some(before.max(next));
    }
    rewrite::render(template, &signal, &history).map_err(|e| BranchConflict(e.to_string()))
}

/// Both sides' entries, each once (by time, commit and loss), in time order, numbered again,
/// each delta from the entry before it.
fn merge_history(ours: &[HistoryEntry], theirs: &[HistoryEntry]) -> Vec<HistoryEntry> {
    let key = |h: &HistoryEntry| (h.timestamp.clone(), h.commit.clone(), h.loss.to_bits());
    let mut seen = HashSet::new();
    let mut all: Vec<HistoryEntry> = ours
        .iter()
        .chain(theirs)
        .filter(|h| seen.insert(key(h)))
        .cloned()
        .collect();
    all.sort_by_key(|h| epoch_millis(&h.timestamp).unwrap_or(i64::MIN));
    let mut previous: Option<f64> = None;
    for (i, h) in all.iter_mut().enumerate() {
        h.iteration = i as u64 + 1;
        h.delta = previous.map(|p| h.loss - p);
        previous = Some(h.loss);
    }
    all
}

/// Each test once, as the module says.
fn merge_signal(
    base: &[SignalEntry],
    ours: &[SignalEntry],
    theirs: &[SignalEntry],
) -> Vec<SignalEntry> {
    let by_ref = |s: &[SignalEntry]| -> HashMap<String, SignalEntry> {
        s.iter().map(|e| (e.reference.clone(), e.clone())).collect()
    };
    let (b, o, t) = (by_ref(base), by_ref(ours), by_ref(theirs));
    let mut refs: Vec<&String> = o.keys().chain(t.keys()).collect();
    refs.sort();
    refs.dedup();
    let mut kept: Vec<SignalEntry> = Vec::new();
    for r in refs {
        let chosen = match (o.get(r), t.get(r)) {
            (Some(x), Some(y)) => newer(x, y).clone(),
            // Removed on one side: gone, unless the other side changed it since the base.
            (Some(x), None) | (None, Some(x)) if b.get(r) == Some(x) => continue,
            (Some(x), None) | (None, Some(x)) => x.clone(),
            (None, None) => continue,
        };
        kept.push(chosen);
    }
    unique_ids(&mut kept, &o);
    kept.sort_by_key(|e| e.id.0);
    kept
}

/// The entry with the newer result (a result over none; ours on a tie).
fn newer<'a>(ours: &'a SignalEntry, theirs: &'a SignalEntry) -> &'a SignalEntry {
    let at = |e: &SignalEntry| {
        e.result
            .as_ref()
            .map(|r| epoch_millis(&r.timestamp).unwrap_or(i64::MIN))
    };
    if at(theirs) > at(ours) { theirs } else { ours }
}

/// Ids made unique: where two tests share one, the one ours gave it keeps it and the other
/// takes the next free id.
fn unique_ids(entries: &mut [SignalEntry], ours: &HashMap<String, SignalEntry>) {
    let mut owner: BTreeMap<u32, usize> = BTreeMap::new();
    let mut clash = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        match owner.get(&e.id.0) {
            None => {
                owner.insert(e.id.0, i);
            }
            Some(&j) => {
                let ours_has_i = ours.get(&e.reference).is_some_and(|x| x.id == e.id);
                let loser = if ours_has_i { j } else { i };
                if ours_has_i {
                    owner.insert(e.id.0, i);
                }
                clash.push(loser);
            }
        }
    }
    let first_free = owner.keys().next_back().map_or(0, |m| m + 1);
    for (id, i) in (first_free..).zip(clash) {
        entries[i].id = TestId(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESIGN: &str = r#"# the design, with a comment
id: m
name: M
design:
  - id: S0
    name: Idea
    aspect_id: null
    detail: { type: tenet, content: it works }
  - id: S1
    name: Works
    aspect_id: S0
    detail: { invariant: it works }
"#;

    fn signal(entries: &[(u32, &str, &str, &str)]) -> String {
        let mut out = String::from("signal:\n");
        for (id, r, outcome, at) in entries {
            out.push_str(&format!(
                "  - id: T{id}\n    ref: {r}\n    spec_ids: [S1]\n    result: {{ outcome: {outcome}, duration: 0.5, timestamp: {at} }}\n"
            ));
        }
        out
    }

    fn history(entries: &[(&str, f64)]) -> String {
        let mut out = String::from("history:\n");
        for (i, (at, loss)) in entries.iter().enumerate() {
            out.push_str(&format!(
                "  - iteration: {}\n    timestamp: {at}\n    commit: \"c{i}\"\n    loss: {loss}\n    directives: {{ S1: {loss} }}\n    design: {{ added: [], changed: [], removed: [] }}\n    fingerprints: {{ S0: \"5fd7a732952abb92\", S1: \"931a7d4b2f6f926b\" }}\n    next_test_id: 9\n",
                i + 1
            ));
        }
        out
    }

    const T0: &str = "2026-01-01T00:00:00.000Z";
    const T1: &str = "2026-01-02T00:00:00.000Z";
    const T2: &str = "2026-01-03T00:00:00.000Z";

    #[test]
    fn both_branches_runs_merge_into_one_signal_and_one_history() {
        let base = format!(
            "{DESIGN}{}{}",
            signal(&[
                (0, "tests/a.rs::a", "passed", T0),
                (1, "tests/a.rs::b", "passed", T0),
                (2, "tests/a.rs::gone", "passed", T0)
            ]),
            history(&[(T0, 0.0)])
        );
        // Ours: a failed later, c is new (T3), `gone` was removed.
        let ours = format!(
            "{DESIGN}{}{}",
            signal(&[
                (0, "tests/a.rs::a", "failed", T1),
                (1, "tests/a.rs::b", "passed", T0),
                (3, "tests/a.rs::c", "passed", T1)
            ]),
            history(&[(T0, 0.0), (T1, 0.5)])
        );
        // Theirs: b failed later still, d is new and also took T3.
        let theirs = format!(
            "{DESIGN}{}{}",
            signal(&[
                (0, "tests/a.rs::a", "passed", T0),
                (1, "tests/a.rs::b", "failed", T2),
                (2, "tests/a.rs::gone", "passed", T0),
                (3, "tests/a.rs::d", "passed", T2)
            ]),
            history(&[(T0, 0.0), (T2, 0.25)])
        );
        let path = Path::new("mission.yaml");
        let merged = merge(path, Some(&base), &ours, &theirs).unwrap();
        let m = parse_str(path, &merged).unwrap();
        let sig: Vec<(u32, &str, String)> = m
            .signal
            .iter()
            .map(|s| {
                (
                    s.id.0,
                    s.reference.as_str(),
                    s.result.as_ref().unwrap().outcome.to_string(),
                )
            })
            .collect();
        assert_eq!(
            sig,
            [
                (0, "tests/a.rs::a", "failed".to_owned()),
                (1, "tests/a.rs::b", "failed".to_owned()),
                (3, "tests/a.rs::c", "passed".to_owned()),
                (4, "tests/a.rs::d", "passed".to_owned()),
            ]
        );
        let hist: Vec<(u64, &str, Option<f64>)> = m
            .history
            .iter()
            .map(|h| (h.iteration, h.timestamp.as_str(), h.delta))
            .collect();
        assert_eq!(
            hist,
            [(1, T0, None), (2, T1, Some(0.5)), (3, T2, Some(-0.25))]
        );
        assert_eq!(m.history.last().unwrap().next_test_id, Some(9));
        assert!(
            merged.starts_with("# the design, with a comment\n"),
            "{merged}"
        );
    }

    #[test]
    fn a_design_changed_on_both_sides_is_a_conflict_and_on_one_side_is_taken() {
        let path = Path::new("mission.yaml");
        let base = format!("{DESIGN}{}{}", signal(&[]), history(&[(T0, 0.0)]));
        let renamed = |name: &str| base.replace("name: Works", name);
        let ours = renamed("name: Works well");
        let theirs_evidence = format!(
            "{DESIGN}{}{}",
            signal(&[]),
            history(&[(T0, 0.0), (T1, 0.0)])
        );
        let merged = merge(path, Some(&base), &ours, &theirs_evidence).unwrap();
        assert!(merged.contains("name: Works well"), "{merged}");
        assert_eq!(parse_str(path, &merged).unwrap().history.len(), 2);
        let conflict = merge(path, Some(&base), &ours, &renamed("name: Works fast")).unwrap_err();
        assert!(
            conflict.0.contains("both branches changed the design"),
            "{conflict}"
        );
    }
}
