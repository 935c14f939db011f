//! The `history:` section read into the model: each entry, its design delta and
//! fingerprints.

use marked_yaml::Node as YNode;
use marked_yaml::types::MarkedMappingNode;

use super::reader::{Cx, is_null};
use crate::model::{DesignDelta, HistoryEntry};

use super::keys::{self, DELTA_KEYS, HISTORY_KEYS};

impl Cx {
    pub(super) fn history_entry(&mut self, item: &YNode) -> Option<HistoryEntry> {
        let Some(map) = item.as_mapping() else {
            self.wrong(
                "history[]",
                "a mapping (iteration, timestamp, loss, ...)",
                item,
            );
            return None;
        };
        self.check_keys(map, keys::HISTORY, "a history entry", HISTORY_KEYS);
        let ctx = "a history entry";
        let iteration = self
            .required(map, "iteration", ctx)
            .and_then(|n| self.integer("iteration", n));
        let timestamp = self
            .required(map, "timestamp", ctx)
            .and_then(|n| self.timestamp("timestamp", n));
        let commit = self.optional_text(map, "commit");
        let loss = self
            .required(map, "loss", ctx)
            .and_then(|n| self.number("loss", n));
        let delta = match map.get_node("delta") {
            None => None,
            Some(YNode::Scalar(s)) if is_null(s) => None,
            Some(n) => self.number("delta", n),
        };
        let directives = self.number_map(map, "directives");
        let design = self.design_delta(map.get_node("design"));
        let note = self.optional_text(map, "note");
        let fingerprints = self.fingerprints(map.get_node("fingerprints"));
        let next_test_id = match map.get_node("next_test_id") {
            None => None,
            Some(n) => self
                .integer("next_test_id", n)
                .and_then(|v| u32::try_from(v).ok()),
        };
        Some(HistoryEntry {
            iteration: iteration?,
            timestamp: timestamp?,
            commit,
            loss: loss?,
            delta,
            directives,
            design,
            note,
            fingerprints,
            next_test_id,
        })
    }

    /// A history entry's `design:` (added, changed, removed).
    fn design_delta(&mut self, node: Option<&YNode>) -> DesignDelta {
        match node {
            None => DesignDelta::default(),
            Some(YNode::Mapping(d)) => {
                self.check_keys(d, keys::DELTA, "a design delta", DELTA_KEYS);
                let mut list = |key: &str| {
                    d.get_node(key)
                        .map(|n| self.text_list(key, n))
                        .unwrap_or_default()
                };
                DesignDelta {
                    added: list("added"),
                    changed: list("changed"),
                    removed: list("removed"),
                }
            }
            Some(n) => {
                self.wrong("design", "a mapping (added, changed, removed)", n);
                DesignDelta::default()
            }
        }
    }

    /// A history entry's `fingerprints:` (id → fingerprint).
    fn fingerprints(&mut self, node: Option<&YNode>) -> Vec<(String, String)> {
        match node {
            None => Vec::new(),
            Some(YNode::Mapping(m)) => m
                .iter()
                .filter_map(|(k, v)| {
                    self.text("fingerprints", v)
                        .map(|t| (k.as_str().to_owned(), t))
                })
                .collect(),
            Some(n) => {
                self.wrong("fingerprints", "a mapping of id to fingerprint", n);
                Vec::new()
            }
        }
    }

    fn number_map(&mut self, map: &MarkedMappingNode, key: &str) -> Vec<(String, f64)> {
        match map.get_node(key) {
            None => Vec::new(),
            Some(YNode::Scalar(s)) if is_null(s) => Vec::new(),
            Some(YNode::Mapping(m)) => m
                .iter()
                .filter_map(|(k, v)| {
                    self.number(k.as_str(), v)
                        .map(|x| (k.as_str().to_owned(), x))
                })
                .collect(),
            Some(n) => {
                self.wrong(key, "a mapping of id to loss", n);
                Vec::new()
            }
        }
    }
}
