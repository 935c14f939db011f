//! The report as JSON for agents.
//!
//! Schema `exemplar-report`, version 1 (fields are only added within a major version):
//!
//! ```text
//! { format: "exemplar-report", version: 1,
//!   runs: [{ run_id, started_at, commit, complete, counts: {passed, failed, ignored, crashed, timeout},
//!            losses: { <mission>: { loss, directives: { <id>: loss } } } }],
//!   missions: [{ id, name, loss, directives: [{ id, name, status, depth, invariant, loss,
//!               eras: [run index] }] }],
//!   latest: { run_id, tests: [{ mission, ref, binary, ids, outcome, duration, message }] } | null,
//!   flaky: [{ mission, ref, commit, outcomes: [outcome] }],
//!   diff: { from, to, flipped: [{ mission, ref, from, to }], loss: [{ mission, node, from, to }],
//!           design: { added, changed, removed } } | null }
//! ```

use exemplar_mission::update::round_loss;
use serde_json::{Map, Value, json};

use super::data::ReportData;
use crate::query::time;

/// The document.
pub fn value(d: &ReportData) -> Value {
    let outcome = exemplar_formats::Outcome::word_of_code;
    let opt = |o: Option<u8>| o.map(outcome);
    json!({
        "format": "exemplar-report",
        "version": 1,
        "runs": d.runs.iter().zip(&d.counts).map(|(r, c)| {
            let mut losses = Map::new();
            for l in &r.losses {
                losses.insert(l.mission.clone(), json!({
                    "loss": round_loss(l.loss),
                    "directives": l.nodes.iter().map(|n| (n.id.clone(), json!(round_loss(n.loss)))).collect::<Map<_, _>>(),
                }));
            }
            json!({
                "run_id": r.run_id, "started_at": time(r.started_at), "commit": r.commit,
                "complete": r.complete(),
                "counts": c,
                "losses": losses,
            })
        }).collect::<Vec<_>>(),
        "missions": d.missions.iter().map(|m| json!({
            "id": m.id, "name": m.name, "loss": m.loss.map(round_loss),
            "directives": m.nodes.iter().map(|n| json!({
                "id": n.id, "name": n.name, "status": n.status.as_str(), "depth": n.depth,
                "invariant": n.invariant, "loss": n.loss.map(round_loss), "eras": n.eras,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "latest": d.latest().map(|r| json!({
            "run_id": r.run_id,
            "tests": d.tests.iter().map(|t| json!({
                "mission": t.mission, "ref": t.reference, "binary": t.binary, "ids": t.ids,
                "outcome": t.outcome, "duration": t.duration, "message": t.message,
            })).collect::<Vec<_>>(),
        })),
        "flaky": d.flaky.iter().map(|f| json!({
            "mission": f.mission, "ref": f.reference, "commit": f.commit,
            "outcomes": f.outcomes.iter().map(|(_, o)| outcome(*o)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "diff": d.diff.as_ref().map(|(a, b, x)| json!({
            "from": a, "to": b,
            "flipped": x.flipped.iter().map(|(m, r, p, q)| json!({"mission": m, "ref": r, "from": opt(*p), "to": opt(*q)})).collect::<Vec<_>>(),
            "loss": x.loss.iter().map(|(m, n, p, q)| json!({"mission": m, "node": n, "from": p.map(round_loss), "to": q.map(round_loss)})).collect::<Vec<_>>(),
            "design": {
                "added": x.added.iter().map(|(m, n)| format!("{m}/{n}")).collect::<Vec<_>>(),
                "changed": x.changed.iter().map(|(m, n)| format!("{m}/{n}")).collect::<Vec<_>>(),
                "removed": x.removed.iter().map(|(m, n)| format!("{m}/{n}")).collect::<Vec<_>>(),
            },
        })),
    })
}
