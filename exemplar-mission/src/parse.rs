//! Reading a mission file: YAML with positions (marked-yaml) walked into the [`Mission`] model,
//! then validated as a whole. Every problem is collected with its line and column, so a user
//! sees all of them at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{LoadError, LoaderOptions, Node as YNode};

use crate::errors::{MissionError, MissionErrors, Problem};
use crate::model::{
    DesignDelta, Detail, DetailValue, HistoryEntry, Mission, Node, Outcome, Pos, SignalEntry,
    SignalResult, Status, TestId,
};

const TOP_KEYS: &str = "id, name, lang, design, signal, history";
const NODE_KEYS: &str = "id, name, aspect_id, status, detail";
const SIGNAL_KEYS: &str = "id, ref, spec_ids, result";
const RESULT_KEYS: &str = "outcome, duration, timestamp";
const HISTORY_KEYS: &str = "iteration, timestamp, commit, loss, delta, directives, design, note, fingerprints, next_test_id";
const DELTA_KEYS: &str = "added, changed, removed";

/// Read and parse the mission file at `path`.
pub fn parse_file(path: &Path) -> Result<Mission, MissionErrors> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_str(path, &text),
        Err(e) => Err(MissionErrors(vec![MissionError {
            path: path.to_owned(),
            pos: Pos { line: 1, column: 1 },
            problem: Problem::Read(e.to_string()),
        }])),
    }
}

/// Parse mission text; `path` is used in error messages and kept in the result.
pub fn parse_str(path: &Path, text: &str) -> Result<Mission, MissionErrors> {
    let mut cx = Cx {
        path: path.to_owned(),
        errors: Vec::new(),
    };
    let options = LoaderOptions::default().error_on_duplicate_keys(true);
    // The loader is not expected to panic, but a mission file is user input: a panic in a
    // dependency must still come out as an error with a position, never as a crash.
    let loaded =
        std::panic::catch_unwind(|| marked_yaml::parse_yaml_with_options(0, text, options));
    let root = match loaded {
        Ok(Ok(root)) => root,
        Ok(Err(e)) => {
            cx.load_error(e);
            return Err(cx.finish());
        }
        Err(_) => {
            cx.push(
                Pos { line: 1, column: 1 },
                Problem::Syntax("unsupported yaml construct".into()),
            );
            return Err(cx.finish());
        }
    };
    let Some(top) = root.as_mapping() else {
        cx.push(pos_of(&root), Problem::TopLevelNotMapping);
        return Err(cx.finish());
    };
    let mission = cx.mission(top, text);
    validate(&mut cx, &mission);
    if cx.errors.is_empty() {
        Ok(mission)
    } else {
        Err(cx.finish())
    }
}

struct Cx {
    path: PathBuf,
    errors: Vec<MissionError>,
}

fn pos_of(node: &YNode) -> Pos {
    span_pos(node.span())
}

fn span_pos(span: &marked_yaml::Span) -> Pos {
    span.start()
        .map(|m| Pos {
            line: m.line(),
            column: m.column(),
        })
        .unwrap_or(Pos { line: 1, column: 1 })
}

/// Where a mapping begins, for "missing key" reports: its first key, else its own span.
fn map_pos(map: &MarkedMappingNode) -> Pos {
    map.keys()
        .next()
        .map(|k| span_pos(k.span()))
        .unwrap_or_else(|| span_pos(map.span()))
}

fn marker_pos(m: &marked_yaml::Marker) -> Pos {
    Pos {
        line: m.line(),
        column: m.column(),
    }
}

/// What a node is, for "found ..." in messages.
fn describe(node: &YNode) -> String {
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

fn is_null(s: &MarkedScalarNode) -> bool {
    s.may_coerce() && matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL")
}

impl Cx {
    fn push(&mut self, pos: Pos, problem: Problem) {
        self.errors.push(MissionError {
            path: self.path.clone(),
            pos,
            problem,
        });
    }

    fn finish(mut self) -> MissionErrors {
        self.errors.sort_by_key(|e| e.pos);
        self.errors.dedup();
        MissionErrors(self.errors)
    }

    fn load_error(&mut self, e: LoadError) {
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

    fn check_keys(
        &mut self,
        map: &MarkedMappingNode,
        allowed: &[&str],
        context: &str,
        expected: &'static str,
    ) {
        for key in map.keys() {
            let k = key.as_str();
            if !allowed.contains(&k) && !k.starts_with("x-") {
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

    fn wrong(&mut self, key: &str, expected: &'static str, node: &YNode) {
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
    fn required_text(
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
    fn optional_text(&mut self, map: &MarkedMappingNode, key: &str) -> Option<String> {
        let node = map.get_node(key)?;
        if let YNode::Scalar(s) = node
            && is_null(s)
        {
            return None;
        }
        self.text(key, node)
    }

    fn text(&mut self, key: &str, node: &YNode) -> Option<String> {
        match node {
            YNode::Scalar(s) if !is_null(s) => Some(s.as_str().to_owned()),
            _ => {
                self.wrong(key, "text", node);
                None
            }
        }
    }

    fn number(&mut self, key: &str, node: &YNode) -> Option<f64> {
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

    fn integer(&mut self, key: &str, node: &YNode) -> Option<u64> {
        if let YNode::Scalar(s) = node
            && s.may_coerce()
            && let Ok(v) = u64::from_str(s.as_str())
        {
            return Some(v);
        }
        self.wrong(key, "a whole number", node);
        None
    }

    fn timestamp(&mut self, key: &str, node: &YNode) -> Option<String> {
        let t = self.text(key, node)?;
        if is_rfc3339(&t) {
            Some(t)
        } else {
            self.push(pos_of(node), Problem::BadTimestamp(t));
            None
        }
    }

    fn list<'a>(&mut self, key: &str, node: &'a YNode) -> Option<&'a [YNode]> {
        match node {
            YNode::Sequence(s) => Some(s.as_slice()),
            YNode::Scalar(s) if is_null(s) => Some(&[]),
            _ => {
                self.wrong(key, "a list", node);
                None
            }
        }
    }

    fn text_list(&mut self, key: &str, node: &YNode) -> Vec<String> {
        let Some(items) = self.list(key, node) else {
            return Vec::new();
        };
        items.iter().filter_map(|n| self.text(key, n)).collect()
    }

    fn mission(&mut self, top: &MarkedMappingNode, text: &str) -> Mission {
        self.check_keys(
            top,
            &["id", "name", "lang", "design", "signal", "history"],
            "the mission",
            TOP_KEYS,
        );
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
        let mut signal = Vec::new();
        if let Some(node) = top.get_node("signal")
            && let Some(items) = self.list("signal", node)
        {
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
        self.check_keys(
            map,
            &["id", "name", "aspect_id", "status", "detail"],
            &ctx,
            NODE_KEYS,
        );
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

    fn signal_entry(&mut self, item: &YNode) -> Option<SignalEntry> {
        let Some(map) = item.as_mapping() else {
            self.wrong("signal[]", "a mapping (id, ref, spec_ids, result)", item);
            return None;
        };
        self.check_keys(
            map,
            &["id", "ref", "spec_ids", "result"],
            "a signal entry",
            SIGNAL_KEYS,
        );
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

    fn signal_result(&mut self, r: &MarkedMappingNode) -> Option<SignalResult> {
        self.check_keys(
            r,
            &["outcome", "duration", "timestamp"],
            "a result",
            RESULT_KEYS,
        );
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

    fn history_entry(&mut self, item: &YNode) -> Option<HistoryEntry> {
        let Some(map) = item.as_mapping() else {
            self.wrong(
                "history[]",
                "a mapping (iteration, timestamp, loss, ...)",
                item,
            );
            return None;
        };
        self.check_keys(
            map,
            &[
                "iteration",
                "timestamp",
                "commit",
                "loss",
                "delta",
                "directives",
                "design",
                "note",
                "fingerprints",
                "next_test_id",
            ],
            "a history entry",
            HISTORY_KEYS,
        );
        let ctx = "a history entry";
        let iteration = match map.get_node("iteration") {
            Some(n) => self.integer("iteration", n),
            None => {
                self.push(
                    map_pos(map),
                    Problem::Missing {
                        key: "iteration",
                        context: ctx.into(),
                    },
                );
                None
            }
        };
        let timestamp = match map.get_node("timestamp") {
            Some(n) => self.timestamp("timestamp", n),
            None => {
                self.push(
                    map_pos(map),
                    Problem::Missing {
                        key: "timestamp",
                        context: ctx.into(),
                    },
                );
                None
            }
        };
        let commit = self.optional_text(map, "commit");
        let loss = match map.get_node("loss") {
            Some(n) => self.number("loss", n),
            None => {
                self.push(
                    map_pos(map),
                    Problem::Missing {
                        key: "loss",
                        context: ctx.into(),
                    },
                );
                None
            }
        };
        let delta = match map.get_node("delta") {
            None => None,
            Some(YNode::Scalar(s)) if is_null(s) => None,
            Some(n) => self.number("delta", n),
        };
        let directives = self.number_map(map, "directives");
        let design = match map.get_node("design") {
            None => DesignDelta::default(),
            Some(YNode::Mapping(d)) => {
                self.check_keys(
                    d,
                    &["added", "changed", "removed"],
                    "a design delta",
                    DELTA_KEYS,
                );
                DesignDelta {
                    added: d
                        .get_node("added")
                        .map(|n| self.text_list("added", n))
                        .unwrap_or_default(),
                    changed: d
                        .get_node("changed")
                        .map(|n| self.text_list("changed", n))
                        .unwrap_or_default(),
                    removed: d
                        .get_node("removed")
                        .map(|n| self.text_list("removed", n))
                        .unwrap_or_default(),
                }
            }
            Some(n) => {
                self.wrong("design", "a mapping (added, changed, removed)", n);
                DesignDelta::default()
            }
        };
        let note = self.optional_text(map, "note");
        let fingerprints = match map.get_node("fingerprints") {
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
        };
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

fn detail_value(node: &YNode) -> DetailValue {
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

/// A design id: a letter, then letters, digits or `_` (so it is also a Rust identifier).
pub fn is_design_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
pub fn is_rfc3339(t: &str) -> bool {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !(b[10] == b'T' || b[10] == b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    let rest = &b[i..];
    rest == b"Z"
        || rest == b"z"
        || (rest.len() == 6
            && (rest[0] == b'+' || rest[0] == b'-')
            && rest[1..3].iter().all(u8::is_ascii_digit)
            && rest[3] == b':'
            && rest[4..6].iter().all(u8::is_ascii_digit))
}

/// Checks across design nodes: duplicate ids, unknown parents, cycles.
fn validate(cx: &mut Cx, m: &Mission) {
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
