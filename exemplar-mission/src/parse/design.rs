//! The top level of a mission file and its `design:` nodes, read into the model.

use std::str::FromStr;

use marked_yaml::Node as YNode;
use marked_yaml::types::MarkedMappingNode;

use super::is_design_id;
use super::reader::{Cx, detail_value, is_null, map_pos, pos_of};
use crate::errors::Problem;
use crate::model::{Detail, Mission, Node, Status};

use super::keys::{self, NODE_KEYS, TOP_KEYS};

impl Cx {
    pub(super) fn mission(&mut self, top: &MarkedMappingNode, text: &str) -> Mission {
        self.check_keys(top, keys::TOP, "the mission", TOP_KEYS);
        let id = self
            .required_text(top, "id", "the mission")
            .unwrap_or_default();
        let name = self
            .required_text(top, "name", "the mission")
            .unwrap_or_default();
        let lang = self.optional_text(top, "lang");
        let mut design = Vec::new();
        match top.get_node("design") {
            None => self.push(
                map_pos(top),
                Problem::Missing {
                    key: "design",
                    context: "the mission".into(),
                },
            ),
            Some(node) => {
                if let Some(items) = self.list("design", node) {
                    for item in items {
                        if let Some(n) = self.design_node(item) {
                            design.push(n);
                        }
                    }
                }
            }
        }
        let signal = match top.get_node("signal") {
            Some(node) => self.signal(node),
            None => Vec::new(),
        };
        let mut history = Vec::new();
        if let Some(node) = top.get_node("history")
            && let Some(items) = self.list("history", node)
        {
            for item in items {
                if let Some(h) = self.history_entry(item) {
                    history.push(h);
                }
            }
        }
        let top_keys = top
            .keys()
            .map(|k| {
                (
                    k.as_str().to_owned(),
                    k.span().start().map(|m| m.line()).unwrap_or(1),
                )
            })
            .collect();
        Mission {
            path: self.path.clone(),
            source: text.to_owned(),
            id,
            name,
            lang,
            design,
            signal,
            history,
            top_keys,
        }
    }

    fn design_node(&mut self, item: &YNode) -> Option<Node> {
        let Some(map) = item.as_mapping() else {
            self.wrong("design[]", "a mapping (id, name, aspect_id, detail)", item);
            return None;
        };
        let ctx_id = map
            .get_scalar("id")
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        let ctx = if ctx_id.is_empty() {
            "a design node".to_owned()
        } else {
            format!("design node {ctx_id}")
        };
        self.check_keys(map, keys::NODE, &ctx, NODE_KEYS);
        let id = self.required_text(map, "id", &ctx);
        let name = self.required_text(map, "name", &ctx);
        let aspect_pos = map.get_node("aspect_id").map(pos_of);
        let aspect_id = match map.get_node("aspect_id") {
            None => None,
            Some(YNode::Scalar(s)) if is_null(s) => None,
            Some(node) => self.text("aspect_id", node),
        };
        let status = match map.get_node("status") {
            None => Status::Active,
            Some(node) => match self.text("status", node) {
                Some(s) => match Status::from_str(&s) {
                    Ok(st) => st,
                    Err(()) => {
                        self.push(pos_of(node), Problem::UnknownStatus(s));
                        Status::Active
                    }
                },
                None => Status::Active,
            },
        };
        let detail = match map.get_node("detail") {
            None => Detail::default(),
            Some(YNode::Scalar(s)) if is_null(s) => Detail::default(),
            Some(YNode::Mapping(m)) => Detail(
                m.iter()
                    .map(|(k, v)| (k.as_str().to_owned(), detail_value(v)))
                    .collect(),
            ),
            Some(node) => {
                self.wrong("detail", "a mapping (invariant, constraint, ...)", node);
                Detail::default()
            }
        };
        let pos = map
            .get_node("id")
            .map(pos_of)
            .unwrap_or_else(|| map_pos(map));
        if let Some(id) = &id
            && !is_design_id(id)
        {
            self.push(pos, Problem::BadId { id: id.clone() });
        }
        Some(Node {
            id: id?,
            name: name?,
            aspect_id,
            status,
            detail,
            pos,
            aspect_pos: aspect_pos.unwrap_or(pos),
        })
    }
}
