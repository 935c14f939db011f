//! The context of one walk over a mission file, and its typed readers: each reads a value of
//! the expected shape, or records a problem with its line and column and returns nothing, so
//! a walk reports every problem at once.

use std::path::PathBuf;
use std::str::FromStr;

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{LoadError, Node as YNode};

use super::is_rfc3339;
use crate::errors::{MissionError, MissionErrors, Problem};
use crate::model::{DetailValue, Pos};

pub(super) struct Cx {
    pub(super) path: PathBuf,
    pub(super) errors: Vec<MissionError>,
}

pub(super) fn pos_of(node: &YNode) -> Pos {
    span_pos(node.span())
}

pub(super) fn span_pos(span: &marked_yaml::Span) -> Pos {
    span.start()
        .map(|m| Pos {
            line: m.line(),
            column: m.column(),
        })
        .unwrap_or(Pos { line: 1, column: 1 })
}

/// Where a mapping begins, for "missing key" reports: its first key, else its own span.
pub(super) fn map_pos(map: &MarkedMappingNode) -> Pos {
    map.keys()
        .next()
        .map(|k| span_pos(k.span()))
        .unwrap_or_else(|| span_pos(map.span()))
}

pub(super) fn marker_pos(m: &marked_yaml::Marker) -> Pos {
    Pos {
        line: m.line(),
        column: m.column(),
    }
}

/// What a node is, for "found ..." in messages.
pub(super) fn describe(node: &YNode) -> String {
    match node {
        YNode::Mapping(_) => "a mapping".into(),
        YNode::Sequence(_) => "a list".into(),
        YNode::Scalar(s) if is_null(s) => "nothing (null)".into(),
        YNode::Scalar(s) => {
            let t = s.as_str();
            let t = if t.chars().count() > 40 {
                format!("{}...", t.chars().take(40).collect::<String>())
            } else {
                t.to_owned()
            };
            format!("`{t}`")
        }
    }
}

pub(super) fn is_null(s: &MarkedScalarNode) -> bool {
    s.may_coerce() && matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL")
}

impl Cx {
    pub(super) fn push(&mut self, pos: Pos, problem: Problem) {
        self.errors.push(MissionError {
            path: self.path.clone(),
            pos,
            problem,
        });
    }

    pub(super) fn finish(mut self) -> MissionErrors {
        self.errors.sort_by_key(|e| e.pos);
        self.errors.dedup();
        MissionErrors(self.errors)
    }

    pub(super) fn load_error(&mut self, e: LoadError) {
        let (pos, problem) = match e {
            LoadError::TopLevelMustBeMapping(m) => (marker_pos(&m), Problem::TopLevelNotMapping),
            LoadError::DuplicateKey(inner) => (
                span_pos(inner.key.span()),
                Problem::DuplicateKey {
                    key: inner.key.as_str().to_owned(),
                    first_line: inner.prev_key.span().start().map(|m| m.line()).unwrap_or(0),
                },
            ),
            LoadError::UnexpectedAnchor(m) => (
                marker_pos(&m),
                Problem::Syntax(
                    "anchors and aliases (&, *) are not allowed in a mission file".into(),
                ),
            ),
            LoadError::UnexpectedTag(m) => (
                marker_pos(&m),
                Problem::Syntax("tags (!!type) are not allowed in a mission file".into()),
            ),
            LoadError::MappingKeyMustBeScalar(m) => (
                marker_pos(&m),
                Problem::Syntax("a mapping key must be a plain scalar".into()),
            ),
            LoadError::ScanError(m, err) => {
                (marker_pos(&m), Problem::Syntax(err.info().to_owned()))
            }
            other => (
                Pos { line: 1, column: 1 },
                Problem::Syntax(other.to_string()),
            ),
        };
        // Loader markers of scan errors may report column 0 at a line start.
        let pos = Pos {
            line: pos.line.max(1),
            column: pos.column.max(1),
        };
        self.push(pos, problem);
    }

    pub(super) fn check_keys(
        &mut self,
        map: &MarkedMappingNode,
        allowed: &[&str],
        context: &str,
        expected: &'static str,
    ) {
        for key in map.keys() {
            let k = key.as_str();
            if !allowed.contains(&k) && !k.starts_with(super::keys::EXTENSION_PREFIX) {
                self.push(
                    span_pos(key.span()),
                    Problem::UnknownKey {
                        key: k.to_owned(),
                        context: context.to_owned(),
                        expected,
                    },
                );
            }
        }
    }

    pub(super) fn wrong(&mut self, key: &str, expected: &'static str, node: &YNode) {
        self.push(
            pos_of(node),
            Problem::WrongType {
                key: key.to_owned(),
                expected,
                found: describe(node),
            },
        );
    }

    /// A required non-null scalar, as text.
    pub(super) fn required_text(
        &mut self,
        map: &MarkedMappingNode,
        key: &'static str,
        ctx: &str,
    ) -> Option<String> {
        match map.get_node(key) {
            None => {
                self.push(
                    map_pos(map),
                    Problem::Missing {
                        key,
                        context: ctx.to_owned(),
                    },
                );
                None
            }
            Some(node) => self.text(key, node),
        }
    }

    /// An optional scalar: `None` when absent or null.
    pub(super) fn optional_text(&mut self, map: &MarkedMappingNode, key: &str) -> Option<String> {
        let node = map.get_node(key)?;
        if let YNode::Scalar(s) = node
            && is_null(s)
        {
            return None;
        }
        self.text(key, node)
    }

    pub(super) fn text(&mut self, key: &str, node: &YNode) -> Option<String> {
        match node {
            YNode::Scalar(s) if !is_null(s) => Some(s.as_str().to_owned()),
            _ => {
                self.wrong(key, "text", node);
                None
            }
        }
    }

    pub(super) fn number(&mut self, key: &str, node: &YNode) -> Option<f64> {
        if let YNode::Scalar(s) = node
            && s.may_coerce()
            && let Ok(v) = f64::from_str(s.as_str())
        {
            if v.is_finite() {
                return Some(v);
            }
            self.push(
                pos_of(node),
                Problem::OutOfRange {
                    key: key.to_owned(),
                    value: s.as_str().to_owned(),
                },
            );
            return None;
        }
        self.wrong(key, "a number", node);
        None
    }

    pub(super) fn integer(&mut self, key: &str, node: &YNode) -> Option<u64> {
        if let YNode::Scalar(s) = node
            && s.may_coerce()
            && let Ok(v) = u64::from_str(s.as_str())
        {
            return Some(v);
        }
        self.wrong(key, "a whole number", node);
        None
    }

    pub(super) fn timestamp(&mut self, key: &str, node: &YNode) -> Option<String> {
        let t = self.text(key, node)?;
        if is_rfc3339(&t) {
            Some(t)
        } else {
            self.push(pos_of(node), Problem::BadTimestamp(t));
            None
        }
    }

    pub(super) fn list<'a>(&mut self, key: &str, node: &'a YNode) -> Option<&'a [YNode]> {
        match node {
            YNode::Sequence(s) => Some(s.as_slice()),
            YNode::Scalar(s) if is_null(s) => Some(&[]),
            _ => {
                self.wrong(key, "a list", node);
                None
            }
        }
    }

    pub(super) fn text_list(&mut self, key: &str, node: &YNode) -> Vec<String> {
        let Some(items) = self.list(key, node) else {
            return Vec::new();
        };
        items.iter().filter_map(|n| self.text(key, n)).collect()
    }

    /// A required key's value, or `None` with the problem recorded.
    pub(super) fn required<'a>(
        &mut self,
        map: &'a MarkedMappingNode,
        key: &'static str,
        context: &str,
    ) -> Option<&'a YNode> {
        let node = map.get_node(key);
        if node.is_none() {
            self.push(
                map_pos(map),
                Problem::Missing {
                    key,
                    context: context.into(),
                },
            );
        }
        node
    }
}

pub(super) fn detail_value(node: &YNode) -> DetailValue {
    match node {
        YNode::Scalar(s) => DetailValue::Text(s.as_str().to_owned()),
        YNode::Sequence(s) => DetailValue::List(s.iter().map(detail_value).collect()),
        YNode::Mapping(m) => DetailValue::Map(
            m.iter()
                .map(|(k, v)| (k.as_str().to_owned(), detail_value(v)))
                .collect(),
        ),
    }
}
