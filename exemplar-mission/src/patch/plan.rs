//! A patch applied to the design as a model: each operation checked against the design as
//! the operations before it left it (ids, parents, cycles, values, links), giving the design
//! the patched file must read back as.

use exemplar_formats::patch::DesignOp;

use crate::errors::PatchError;
use crate::model::{Detail, DetailValue, Node, Pos, Status};
use crate::parse::is_design_id;

/// A test that links design ids, by reference (`tests/kv.rs::wal_ordering`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedTest {
    /// The test's reference.
    pub reference: String,
    /// The ids it verifies.
    pub ids: Vec<String>,
}

/// The design after `ops`, or the first operation refused.
pub(super) fn plan(
    design: &[Node],
    ops: &[DesignOp],
    tests: &[LinkedTest],
) -> Result<Vec<Node>, PatchError> {
    let mut nodes = design.to_vec();
    for (i, op) in ops.iter().enumerate() {
        step(&mut nodes, i + 1, op, tests)?;
    }
    Ok(nodes)
}

fn step(
    nodes: &mut Vec<Node>,
    index: usize,
    op: &DesignOp,
    tests: &[LinkedTest],
) -> Result<(), PatchError> {
    let known = || {
        nodes
            .iter()
            .map(|n| n.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let bad = |reason: String| PatchError::BadValue {
        index,
        op: op.to_string(),
        reason,
    };
    if let DesignOp::Add {
        id,
        name,
        parent,
        status,
        detail,
    } = op
    {
        if !is_design_id(id) {
            return Err(PatchError::BadId {
                index,
                op: op.to_string(),
                id: id.clone(),
            });
        }
        if nodes.iter().any(|n| &n.id == id) {
            return Err(PatchError::IdTaken {
                index,
                op: op.to_string(),
                id: id.clone(),
            });
        }
        check_parent(nodes, index, op, parent.as_deref())?;
        check_name(name).map_err(bad)?;
        let mut fields = Vec::new();
        for (key, value) in detail {
            check_detail(key, Some(value)).map_err(bad)?;
            fields.push((key.clone(), DetailValue::Text(value.clone())));
        }
        nodes.push(Node {
            id: id.clone(),
            name: name.clone(),
            aspect_id: parent.clone(),
            status: status.unwrap_or_default(),
            detail: Detail(canonical_order(fields)),
            pos: Pos::default(),
            aspect_pos: Pos::default(),
        });
        return Ok(());
    }
    let id = op.id();
    let Some(at) = nodes.iter().position(|n| n.id == id) else {
        return Err(PatchError::UnknownId {
            index,
            op: op.to_string(),
            id: id.to_owned(),
            known: known(),
        });
    };
    match op {
        DesignOp::Add { .. } => unreachable!("handled above"),
        DesignOp::Update { name, detail, .. } => {
            if name.is_none() && detail.is_empty() {
                return Err(bad("nothing to update: give a name or detail".into()));
            }
            let node = &mut nodes[at];
            if let Some(name) = name {
                check_name(name).map_err(bad)?;
                node.name = name.clone();
            }
            for (key, value) in detail {
                check_detail(key, value.as_ref()).map_err(bad)?;
                let slot = node.detail.0.iter().position(|(k, _)| k == key);
                match (value, slot) {
                    (Some(v), Some(s)) => node.detail.0[s].1 = DetailValue::Text(v.clone()),
                    (Some(v), None) => node
                        .detail
                        .0
                        .push((key.clone(), DetailValue::Text(v.clone()))),
                    (None, Some(s)) => {
                        node.detail.0.remove(s);
                    }
                    (None, None) => {}
                }
            }
        }
        DesignOp::Retire { .. } => nodes[at].status = Status::Retired,
        DesignOp::Propose { .. } => nodes[at].status = Status::Proposed,
        DesignOp::Activate { .. } => nodes[at].status = Status::Active,
        DesignOp::Move { parent, .. } => {
            check_parent(nodes, index, op, parent.as_deref())?;
            if let Some(p) = parent {
                let mut path = vec![id.to_owned()];
                let mut cur = Some(p.clone());
                while let Some(c) = cur {
                    path.push(c.clone());
                    if c == id {
                        return Err(PatchError::Cycle {
                            index,
                            op: op.to_string(),
                            cycle: path.join(" -> "),
                        });
                    }
                    cur = nodes
                        .iter()
                        .find(|n| n.id == c)
                        .and_then(|n| n.aspect_id.clone());
                    if path.len() > nodes.len() + 1 {
                        break;
                    }
                }
            }
            nodes[at].aspect_id = parent.clone();
        }
        DesignOp::Remove { .. } => {
            let linking: Vec<&str> = tests
                .iter()
                .filter(|t| t.ids.iter().any(|x| x == id))
                .map(|t| t.reference.as_str())
                .collect();
            if !linking.is_empty() {
                return Err(PatchError::StillLinked {
                    index,
                    op: op.to_string(),
                    id: id.to_owned(),
                    tests: linking.join(", "),
                });
            }
            let children: Vec<&str> = nodes
                .iter()
                .filter(|n| n.aspect_id.as_deref() == Some(id))
                .map(|n| n.id.as_str())
                .collect();
            if !children.is_empty() {
                return Err(PatchError::HasChildren {
                    index,
                    op: op.to_string(),
                    id: id.to_owned(),
                    children: children.join(", "),
                });
            }
            nodes.remove(at);
        }
    }
    Ok(())
}

fn check_parent(
    nodes: &[Node],
    index: usize,
    op: &DesignOp,
    parent: Option<&str>,
) -> Result<(), PatchError> {
    match parent {
        Some(p) if !nodes.iter().any(|n| n.id == p) => Err(PatchError::UnknownParent {
            index,
            op: op.to_string(),
            parent: p.to_owned(),
            known: nodes
                .iter()
                .map(|n| n.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
        _ => Ok(()),
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("a name cannot be empty".into());
    }
    Ok(())
}

/// A detail key is a word (`invariant`, `x-owner`); a value set is text that says something.
fn check_detail(key: &str, value: Option<&String>) -> Result<(), String> {
    let word = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !word {
        return Err(format!(
            "bad detail key `{key}`: a letter followed by letters, digits, `_` or `-`"
        ));
    }
    if value.is_some_and(|v| v.trim().is_empty()) {
        return Err(format!(
            "detail `{key}` cannot be empty (null removes the key)"
        ));
    }
    Ok(())
}

/// A new node's detail as text pairs, in [`canonical_order`].
pub(super) fn ordered(detail: &std::collections::BTreeMap<String, String>) -> Vec<(&str, &str)> {
    let mut fields: Vec<(&str, &str)> = detail
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    fields.sort_by(|a, b| rank(a.0).cmp(&rank(b.0)).then_with(|| a.0.cmp(b.0)));
    fields
}

fn rank(key: &str) -> usize {
    const ORDER: &[&str] = &["type", "content", "invariant", "constraint", "tradeoff"];
    ORDER.iter().position(|o| *o == key).unwrap_or(ORDER.len())
}

/// The tool's own detail keys first, in the order the book shows them, then the rest.
fn canonical_order(mut fields: Vec<(String, DetailValue)>) -> Vec<(String, DetailValue)> {
    fields.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then_with(|| a.0.cmp(&b.0)));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, parent: Option<&str>) -> Node {
        Node {
            id: id.into(),
            name: format!("{id} name"),
            aspect_id: parent.map(Into::into),
            status: Status::Active,
            detail: Detail::default(),
            pos: Pos::default(),
            aspect_pos: Pos::default(),
        }
    }

    fn design() -> Vec<Node> {
        vec![
            node("S0", None),
            node("S1", Some("S0")),
            node("S2", Some("S1")),
        ]
    }

    fn mv(id: &str, parent: Option<&str>) -> DesignOp {
        DesignOp::Move {
            id: id.into(),
            parent: parent.map(Into::into),
        }
    }

    #[test]
    fn a_move_under_its_own_subtree_is_a_cycle() {
        let err = plan(&design(), &[mv("S1", Some("S2"))], &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "operation 1 (move S1 under S2): it would make a cycle: S1 -> S2 -> S1"
        );
        let err = plan(&design(), &[mv("S0", Some("S0"))], &[]).unwrap_err();
        assert!(matches!(err, PatchError::Cycle { .. }), "{err}");
        let moved = plan(&design(), &[mv("S2", None)], &[]).unwrap();
        assert_eq!(moved[2].aspect_id, None);
    }

    #[test]
    fn later_operations_see_earlier_ones() {
        let ops = [
            DesignOp::Add {
                id: "S3".into(),
                name: "New".into(),
                parent: Some("S0".into()),
                status: Some(Status::Proposed),
                detail: [("invariant".to_string(), "x holds".to_string())].into(),
            },
            mv("S2", Some("S3")),
            DesignOp::Remove { id: "S1".into() },
        ];
        let out = plan(&design(), &ops, &[]).unwrap();
        let ids: Vec<&str> = out.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["S0", "S2", "S3"]);
        assert_eq!(out[1].aspect_id.as_deref(), Some("S3"));
        assert_eq!(out[2].status, Status::Proposed);
    }

    #[test]
    fn refusals_name_the_operation_and_what_is_wrong() {
        let tests = [LinkedTest {
            reference: "tests/kv.rs::wal".into(),
            ids: vec!["S2".into()],
        }];
        let remove = |id: &str| DesignOp::Remove { id: id.into() };
        let cases: Vec<(Vec<DesignOp>, &str)> = vec![
            (
                vec![remove("S2")],
                "tests still link `S2`: tests/kv.rs::wal",
            ),
            (vec![remove("S1")], "`S1` has nodes under it: S2"),
            (
                vec![remove("S9")],
                "no design node `S9` (known: S0, S1, S2)",
            ),
            (
                vec![mv("S2", Some("S9"))],
                "the parent `S9` is not a design node",
            ),
            (
                vec![DesignOp::Add {
                    id: "S1".into(),
                    name: "x".into(),
                    parent: None,
                    status: None,
                    detail: Default::default(),
                }],
                "`S1` is already a design node",
            ),
            (
                vec![DesignOp::Add {
                    id: "1x".into(),
                    name: "x".into(),
                    parent: None,
                    status: None,
                    detail: Default::default(),
                }],
                "bad id `1x`",
            ),
            (
                vec![DesignOp::Update {
                    id: "S1".into(),
                    name: Some("  ".into()),
                    detail: Default::default(),
                }],
                "a name cannot be empty",
            ),
            (
                vec![DesignOp::Update {
                    id: "S1".into(),
                    name: None,
                    detail: [("bad key".to_string(), Some("x".to_string()))].into(),
                }],
                "bad detail key `bad key`",
            ),
        ];
        for (ops, want) in cases {
            let err = plan(&design(), &ops, &tests).unwrap_err().to_string();
            assert!(err.contains(want), "{err:?} lacks {want:?}");
        }
    }
}
