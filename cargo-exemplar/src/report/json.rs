//! The machine report of `run --message-format json`: one JSON document on stdout.
//!
//! Schema `exemplar-run`, version 1: `{format, version, run_id, ok, executed, counts, missions: [{id,
//! name, package, path, loss, previous_loss, delta, changed, rewritten, directives: [row]}],
//! skipped: [{package, looked_for}], other_binaries: [...]}` where a row is [`super::NodeRow`]
//! (id, name, kind, status, linked, ran, filtered, ignored, failing, unverified, uncovered,
//! loss, subtree_loss, previous_loss, invariant, constraint, failing_tests: [{ref, file, line,
//! outcome, evidence, message}]). Fields are only ever added within a major version.

use serde_json::{Value, json};

use exemplar_mission::update::round_loss;

use exemplar_runner::Session;
use exemplar_runner::rows::rows;

/// The document.
pub fn value(s: &Session) -> Value {
    json!({
        "format": "exemplar-run",
        "version": 1,
        "run_id": s.run_id,
        "ok": !s.failed(),
        "executed": s.executed,
        "counts": s.counts,
        "missions": s.missions.iter().map(|m| {
            let u = &m.update;
            json!({
                "id": m.package.mission.id,
                "name": m.package.mission.name,
                "package": m.package.name,
                "path": m.package.display,
                "loss": round_loss(u.loss.mission),
                "previous_loss": u.previous_loss,
                "delta": u.previous_loss.map(|p| round_loss(round_loss(u.loss.mission) - p)),
                "design_delta": u.design,
                "changed": u.changed,
                "rewritten": m.rewritten,
                "directives": rows(m),
            })
        }).collect::<Vec<_>>(),
        "skipped": s.skipped.iter().map(|(p, path)| json!({"package": p, "looked_for": path})).collect::<Vec<_>>(),
        "other_binaries": s.others.iter().map(|o| json!({
            "package": o.package, "target": o.target, "ok": o.success, "summary": o.summary,
        })).collect::<Vec<_>>(),
    })
}

/// The document as pretty JSON.
pub fn render(s: &Session) -> String {
    serde_json::to_string_pretty(&value(s)).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
