//! Validation of a mission as a whole: duplicate ids, unknown parents, cycles, ids that look
//! wrong.

use std::collections::HashMap;

use super::reader::Cx;
use crate::errors::Problem;
use crate::model::Mission;

/// Checks across design nodes: duplicate ids, unknown parents, cycles.
pub(super) fn validate(cx: &mut Cx, m: &Mission) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for n in &m.design {
        if let Some(line) = first.get(n.id.as_str()) {
            cx.push(
                n.pos,
                Problem::DuplicateId {
                    id: n.id.clone(),
                    first_line: *line,
                },
            );
        } else {
            first.insert(&n.id, n.pos.line);
        }
    }
    let known = m
        .design
        .iter()
        .map(|n| n.id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    for n in &m.design {
        if let Some(parent) = &n.aspect_id
            && !first.contains_key(parent.as_str())
        {
            cx.push(
                n.aspect_pos,
                Problem::UnknownAspect {
                    id: parent.clone(),
                    known: known.clone(),
                },
            );
        }
    }
    // Cycles: follow parents from each node; report each cycle once, at its smallest id.
    let parent: HashMap<&str, &str> = m
        .design
        .iter()
        .filter_map(|n| n.aspect_id.as_deref().map(|p| (n.id.as_str(), p)))
        .collect();
    let mut reported: Vec<String> = Vec::new();
    for n in &m.design {
        let mut path = vec![n.id.as_str()];
        let mut cur = n.id.as_str();
        while let Some(&p) = parent.get(cur) {
            if let Some(at) = path.iter().position(|x| *x == p) {
                let mut cycle: Vec<&str> = path[at..].to_vec();
                let min = cycle
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, x)| **x)
                    .map(|(i, _)| i)
                    .unwrap_or(0);
                cycle.rotate_left(min);
                let key = cycle.join(",");
                if !reported.contains(&key) {
                    reported.push(key);
                    let start = cycle[0];
                    let mut shown = cycle.join(" -> ");
                    shown.push_str(" -> ");
                    shown.push_str(start);
                    let node = m.design.iter().find(|x| x.id == start).unwrap_or(n);
                    cx.push(node.aspect_pos, Problem::Cycle { cycle: shown });
                }
                break;
            }
            if !first.contains_key(p) {
                break;
            }
            path.push(p);
            cur = p;
        }
    }
}
