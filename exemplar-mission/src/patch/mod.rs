//! Design patches: structured changes to a mission file's `design:`
//! ([`DesignOp`](exemplar_formats::patch::DesignOp)), applied all or none.
//!
//! A patch is first applied to the design as a model (`plan`): every operation is checked
//! against the design the operations before it left (ids, parents, cycles, values, the tests
//! that link a node to be removed). Then each operation becomes text edits (`edit`) at the
//! places the file's layout (`layout`) gives: a value replaced where it stands, a key line
//! added after a node's last key, a node's lines removed or a new node's lines inserted after
//! its parent's subtree. Every other byte stays: comments, blank lines, quoting, key order,
//! line breaks (CRLF stays CRLF), a byte order mark, `signal:` and `history:`.
//!
//! The patched text is parsed back and must read as the planned design with the same signal
//! and history, or nothing is returned. Writing it is the caller's, with
//! [`rewrite::write_atomic`](crate::rewrite::write_atomic), after checking that the design is
//! still the one the patch was made against ([`design_fingerprint`]).

mod edit;
mod layout;
mod plan;

use std::path::Path;

use exemplar_formats::patch::DesignOp;

use crate::errors::PatchError;
use crate::fingerprint::Fingerprint;
use crate::model::{Mission, Node};
use crate::parse;

use edit::{NewNode, Step};
pub use plan::LinkedTest;

/// A patch applied to a mission's text.
#[derive(Debug, Clone)]
pub struct Patched {
    /// The whole new text of the file.
    pub text: String,
    /// The design fingerprint before the patch.
    pub base: Fingerprint,
    /// The design fingerprint after it.
    pub result: Fingerprint,
    /// The design after it, in file order.
    pub design: Vec<Node>,
}

impl Patched {
    /// Whether the patch changed the file.
    pub fn changed(&self, before: &Mission) -> bool {
        self.text != before.source
    }
}

/// The fingerprint of a whole design: every node's id, parent, status and
/// [`Fingerprint`], in id order (so moving a node's lines changes nothing).
pub fn design_fingerprint(design: &[Node]) -> Fingerprint {
    let mut nodes: Vec<&Node> = design.iter().collect();
    nodes.sort_by(|a, b| a.id.cmp(&b.id));
    let mut h = blake3::Hasher::new();
    h.update(b"exemplar.design.v1\0");
    h.update(&(nodes.len() as u64).to_le_bytes());
    for n in nodes {
        for text in [
            n.id.as_str(),
            n.aspect_id.as_deref().unwrap_or(""),
            n.status.as_str(),
        ] {
            h.update(&(text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        }
        h.update(&Fingerprint::of(n).0);
    }
    Fingerprint(*h.finalize().as_bytes())
}

/// Whether `base` (hex, 8 to 64 digits) names the design `current`.
pub fn base_matches(base: &str, current: &Fingerprint) -> Result<bool, PatchError> {
    let base = base.trim().to_ascii_lowercase();
    if !(8..=64).contains(&base.len()) || !base.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(PatchError::BadBase(base));
    }
    Ok(current.to_hex().starts_with(&base))
}

/// Apply `ops` to `mission`: the new text, or why the patch is refused. `base`, when given, is
/// the design fingerprint the patch was made against; `tests` are the tests known to link the
/// design (a node they link cannot be removed).
pub fn apply(
    mission: &Mission,
    ops: &[DesignOp],
    base: Option<&str>,
    tests: &[LinkedTest],
) -> Result<Patched, PatchError> {
    let current = design_fingerprint(&mission.design);
    if let Some(base) = base
        && !base_matches(base, &current)?
    {
        return Err(PatchError::Conflict {
            path: mission.path.clone(),
            base: base.to_owned(),
            current: current.to_hex(),
        });
    }
    let planned = plan::plan(&mission.design, ops, tests)?;
    let (bom, body) = match mission.source.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", mission.source.as_str()),
    };
    let eol = if body.contains("\r\n") { "\r\n" } else { "\n" };
    let mut text = body.to_owned();
    for op in ops {
        for step in steps(op, &text, &mission.path)? {
            text = apply_step(&step, &text, eol, &mission.path)?;
        }
    }
    let text = format!("{bom}{text}");
    let back = check(mission, &text, &planned)?;
    Ok(Patched {
        text,
        base: current,
        result: design_fingerprint(&back.design),
        design: back.design,
    })
}

/// The steps of one operation, in the text as the operations before it left it.
fn steps<'a>(op: &'a DesignOp, text: &str, path: &Path) -> Result<Vec<Step<'a>>, PatchError> {
    let set = |id: &'a str, key: &'a str, value: &str| Step::Set {
        id,
        key,
        value: Some(value.to_owned()),
    };
    Ok(match op {
        DesignOp::Add {
            id,
            name,
            parent,
            status,
            detail,
        } => {
            let now = reparse(text, path)?;
            // After the parent's subtree, so a node is read under its parent; an idea at the end.
            let subtree = parent
                .as_deref()
                .map(|p| now.subtree(p))
                .unwrap_or_default();
            let after = now
                .design
                .iter()
                .rev()
                .find(|n| parent.is_none() || subtree.contains(&n.id))
                .map(|n| n.id.clone())
                .unwrap_or_default();
            vec![Step::Insert {
                after,
                node: NewNode {
                    id,
                    name,
                    parent: parent.as_deref(),
                    status: status.map(|s| s.as_str()),
                    detail: plan::ordered(detail),
                },
            }]
        }
        DesignOp::Update { id, name, detail } => {
            let mut out = Vec::new();
            if let Some(name) = name {
                out.push(set(id, "name", name));
            }
            for (key, value) in detail {
                out.push(Step::Detail {
                    id,
                    key,
                    value: value.as_deref(),
                });
            }
            out
        }
        DesignOp::Retire { id } => vec![set(id, "status", "retired")],
        DesignOp::Propose { id } => vec![set(id, "status", "proposed")],
        DesignOp::Activate { id } => {
            let now = reparse(text, path)?;
            let explicit = now
                .node(id)
                .is_some_and(|n| n.status != crate::Status::Active);
            if explicit {
                vec![set(id, "status", "active")]
            } else {
                Vec::new()
            }
        }
        DesignOp::Move { id, parent } => match parent {
            Some(p) => vec![set(id, "aspect_id", p)],
            None => vec![Step::Set {
                id,
                key: "aspect_id",
                value: None,
            }],
        },
        DesignOp::Remove { id } => vec![Step::Remove { id }],
    })
}

fn apply_step(step: &Step, text: &str, eol: &str, path: &Path) -> Result<String, PatchError> {
    let unsupported = |reason: String| PatchError::Unsupported {
        path: path.to_owned(),
        reason,
    };
    let lines = layout::Lines::of(text);
    let design_only = parse::without_evidence(text);
    let laid =
        layout::layout(design_only.as_deref().unwrap_or(text), &lines).map_err(unsupported)?;
    let Some(e) = edit::edit(step, &laid, &lines, eol).map_err(unsupported)? else {
        return Ok(text.to_owned());
    };
    let mut out = text.to_owned();
    out.replace_range(e.start..e.end, &e.text);
    Ok(out)
}

/// The mission `text` reads as, between two steps of a patch (without its byte order mark).
fn reparse(text: &str, path: &Path) -> Result<Mission, PatchError> {
    parse::parse_design_str(path, text).map_err(|e| PatchError::RoundTrip {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

/// The patched text read back: the planned design (in any order), the same mission, signal
/// and history.
fn check(mission: &Mission, text: &str, planned: &[Node]) -> Result<Mission, PatchError> {
    let fail = |detail: String| PatchError::RoundTrip {
        path: mission.path.clone(),
        detail,
    };
    let back = parse::parse_str(&mission.path, text).map_err(|e| fail(e.to_string()))?;
    let key = |design: &[Node]| {
        let mut nodes: Vec<_> = design
            .iter()
            .map(|n| {
                let mut detail = n.detail.0.clone();
                detail.sort_by(|a, b| a.0.cmp(&b.0));
                (
                    n.id.clone(),
                    n.name.clone(),
                    n.aspect_id.clone(),
                    n.status,
                    detail,
                )
            })
            .collect();
        nodes.sort_by(|a, b| a.0.cmp(&b.0));
        nodes
    };
    if key(&back.design) != key(planned) {
        return Err(fail("the design reads differently".into()));
    }
    if back.id != mission.id || back.name != mission.name || back.lang != mission.lang {
        return Err(fail(
            "the mission's id, name or lang reads differently".into(),
        ));
    }
    if back.signal != mission.signal || back.history != mission.history {
        return Err(fail("the signal or history reads differently".into()));
    }
    Ok(back)
}
