//! The `signal:` section read into the model: each entry and its latest result.

use std::collections::HashMap;
use std::str::FromStr;

use marked_yaml::Node as YNode;
use marked_yaml::types::MarkedMappingNode;

use super::reader::{Cx, is_null, map_pos, pos_of};
use crate::errors::Problem;
use crate::model::{Outcome, SignalEntry, SignalResult, TestId};

use super::keys::{self, RESULT_KEYS, SIGNAL_KEYS};

impl Cx {
    /// The `signal:` list: each entry, with duplicate ids and refs reported.
    pub(super) fn signal(&mut self, node: &YNode) -> Vec<SignalEntry> {
        let mut signal = Vec::new();
        if let Some(items) = self.list("signal", node) {
            let mut ids: HashMap<TestId, usize> = HashMap::new();
            let mut refs: HashMap<String, usize> = HashMap::new();
            for item in items {
                let Some(s) = self.signal_entry(item) else {
                    continue;
                };
                let pos = pos_of(item);
                if let Some(first_line) = ids.get(&s.id) {
                    self.push(
                        pos,
                        Problem::DuplicateTestId {
                            id: s.id.to_string(),
                            first_line: *first_line,
                        },
                    );
                } else {
                    ids.insert(s.id, pos.line);
                }
                if let Some(first_line) = refs.get(&s.reference) {
                    self.push(
                        pos,
                        Problem::DuplicateRef {
                            reference: s.reference.clone(),
                            first_line: *first_line,
                        },
                    );
                } else {
                    refs.insert(s.reference.clone(), pos.line);
                }
                signal.push(s);
            }
        }
        signal
    }
    pub(super) fn signal_entry(&mut self, item: &YNode) -> Option<SignalEntry> {
        let Some(map) = item.as_mapping() else {
            self.wrong("signal[]", "a mapping (id, ref, spec_ids, result)", item);
            return None;
        };
        self.check_keys(map, keys::SIGNAL, "a signal entry", SIGNAL_KEYS);
        let id = match map.get_node("id") {
            None => {
                self.push(
                    map_pos(map),
                    Problem::Missing {
                        key: "id",
                        context: "a signal entry".into(),
                    },
                );
                None
            }
            Some(node) => {
                let t = self.text("id", node);
                match t.as_deref().map(TestId::from_str) {
                    Some(Ok(id)) => Some(id),
                    Some(Err(())) => {
                        self.push(pos_of(node), Problem::BadTestId(t.unwrap_or_default()));
                        None
                    }
                    None => None,
                }
            }
        };
        let reference = self.required_text(map, "ref", "a signal entry");
        let spec_ids = map
            .get_node("spec_ids")
            .map(|n| self.text_list("spec_ids", n))
            .unwrap_or_default();
        let result = match map.get_node("result") {
            None => None,
            Some(YNode::Scalar(s)) if is_null(s) => None,
            Some(YNode::Mapping(r)) => self.signal_result(r),
            Some(node) => {
                self.wrong("result", "a mapping (outcome, duration, timestamp)", node);
                None
            }
        };
        Some(SignalEntry {
            id: id?,
            reference: reference?,
            spec_ids,
            result,
        })
    }

    pub(super) fn signal_result(&mut self, r: &MarkedMappingNode) -> Option<SignalResult> {
        self.check_keys(r, keys::RESULT, "a result", RESULT_KEYS);
        let outcome = match r.get_node("outcome") {
            None => {
                self.push(
                    map_pos(r),
                    Problem::Missing {
                        key: "outcome",
                        context: "a result".into(),
                    },
                );
                None
            }
            Some(node) => match self.text("outcome", node) {
                Some(o) => match Outcome::from_str(&o) {
                    Ok(o) => Some(o),
                    Err(()) => {
                        self.push(pos_of(node), Problem::UnknownOutcome(o));
                        None
                    }
                },
                None => None,
            },
        };
        let duration = match r.get_node("duration") {
            None => Some(0.0),
            Some(node) => self.number("duration", node),
        };
        if let (Some(d), Some(node)) = (duration, r.get_node("duration"))
            && d < 0.0
        {
            self.push(
                pos_of(node),
                Problem::OutOfRange {
                    key: "duration".into(),
                    value: d.to_string(),
                },
            );
        }
        let timestamp = match r.get_node("timestamp") {
            None => {
                self.push(
                    map_pos(r),
                    Problem::Missing {
                        key: "timestamp",
                        context: "a result".into(),
                    },
                );
                None
            }
            Some(node) => self.timestamp("timestamp", node),
        };
        Some(SignalResult {
            outcome: outcome?,
            duration: duration?,
            timestamp: timestamp?,
        })
    }
}
