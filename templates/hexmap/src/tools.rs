//! The tools over a parse: `generate_spans` (every leaf value with its path and bytes),
//! `analyze_coverage` (which bytes the grammar explains, and the gaps), `decode_field` (one
//! value by path, with its registry name) and `query_records` (records by type, field value and
//! offset).

use std::fmt::Write as _;

use serde::Serialize;

use crate::errors::HexmapError;
use crate::grammar::{FieldKind, Grammar};
use crate::parse::{FieldRef, Node, ParseResult, Record, Span, Value, show_bytes};

/// A leaf value of a parse: where it is and what the grammar calls it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpanEntry {
    /// Its path, such as `chunks[1].size`.
    pub path: String,
    /// Its bytes.
    pub span: Span,
    /// Its kind: `u32`, `bytes`...
    pub kind: &'static str,
    /// The record it belongs to.
    pub record: usize,
    /// The integer, for integers.
    pub int: Option<i128>,
    /// The grammar field it is a value of.
    #[serde(skip)]
    pub field: FieldRef,
}

/// A leaf value as text: the number (with its registry name), or the bytes as a string or hex.
pub fn display_value(g: &Grammar, data: &[u8], e: &SpanEntry) -> String {
    let f = g.field(e.field.ty as usize, e.field.field as usize);
    match e.int {
        Some(v) => match f.registry.and_then(|r| g.registries[r].lookup(v)) {
            Some(name) => format!("{v} ({name})"),
            // Magic numbers read best in hex.
            None if f.constant.is_some() && v > 255 => format!("{v:#x}"),
            None => v.to_string(),
        },
        None => {
            let bytes = data
                .get(e.span.offset as usize..e.span.end() as usize)
                .unwrap_or(&[]);
            show_bytes(content(f, bytes))
        }
    }
}

/// The content of a byte string without its length prefix.
fn content<'a>(f: &crate::grammar::FieldInfo, bytes: &'a [u8]) -> &'a [u8] {
    match f.kind {
        FieldKind::Bytes(crate::grammar::ByteLen::Prefix(k)) => {
            bytes.get(k.bytes() as usize..).unwrap_or(&[])
        }
        _ => bytes,
    }
}

/// The path of a record: its root field, with the element number when that field repeats.
pub fn record_path(g: &Grammar, r: &Record) -> String {
    let name = &g.field(g.root, r.root_field).name;
    match r.element {
        Some(i) => format!("{name}[{i}]"),
        None => name.clone(),
    }
}

/// Every leaf value (integers and byte strings) in file order.
pub fn generate_spans(g: &Grammar, result: &ParseResult) -> Vec<SpanEntry> {
    let mut out = Vec::new();
    let mut path = String::new();
    for r in &result.records {
        path.clear();
        path.push_str(&record_path(g, r));
        for n in &r.fields {
            field(g, n, &mut path, r.index, &mut out);
        }
    }
    out.sort_by_key(|e| e.span.offset);
    out
}

/// Walk field node `n` with `path` naming its parent; `path` is restored on return, so one
/// buffer serves the whole walk and each leaf costs one copy of it.
fn field(g: &Grammar, n: &Node, path: &mut String, record: usize, out: &mut Vec<SpanEntry>) {
    let len = path.len();
    path.push('.');
    path.push_str(&g.field(n.field.ty as usize, n.field.field as usize).name);
    walk(g, n, path, record, out);
    path.truncate(len);
}

fn walk(g: &Grammar, n: &Node, path: &mut String, record: usize, out: &mut Vec<SpanEntry>) {
    match &n.value {
        Value::Struct(_, fields) => {
            for c in fields {
                field(g, c, path, record, out);
            }
        }
        Value::Array(items) => {
            for (i, c) in items.iter().enumerate() {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                walk(g, c, path, record, out);
                path.truncate(len);
            }
        }
        _ => {
            let f = g.field(n.field.ty as usize, n.field.field as usize);
            out.push(SpanEntry {
                path: path.clone(),
                span: n.span,
                kind: match f.kind {
                    FieldKind::Int(k) => k.name(),
                    _ => "bytes",
                },
                record,
                int: n.int(),
                field: n.field,
            })
        }
    }
}

/// Which bytes of the file the parse explains.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Size of the file.
    pub file_size: u64,
    /// Bytes inside some leaf value.
    pub covered_bytes: u64,
    /// `covered_bytes / file_size` in percent (100 for an empty file).
    pub percentage: f64,
    /// The uncovered ranges, in order.
    pub gaps: Vec<Span>,
    /// Number of records.
    pub records: usize,
    /// Number of leaf values.
    pub values: usize,
}

/// Coverage of a parse: the union of its leaf spans against the file.
pub fn analyze_coverage(spans: &[SpanEntry], result: &ParseResult) -> Coverage {
    let mut sorted: Vec<Span> = spans.iter().map(|s| s.span).filter(|s| s.len > 0).collect();
    sorted.sort();
    let mut covered = 0u64;
    let mut gaps = Vec::new();
    let mut at = 0u64;
    for s in sorted {
        if s.offset > at {
            gaps.push(Span {
                offset: at,
                len: s.offset - at,
            });
        }
        if s.end() > at {
            covered += s.end() - at.max(s.offset);
            at = s.end();
        }
    }
    if result.file_size > at {
        gaps.push(Span {
            offset: at,
            len: result.file_size - at,
        });
    }
    let percentage = if result.file_size == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / result.file_size as f64
    };
    Coverage {
        file_size: result.file_size,
        covered_bytes: covered,
        percentage,
        gaps,
        records: result.records.len(),
        values: spans.len(),
    }
}

/// One decoded value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedField {
    /// Its path.
    pub path: String,
    /// Its bytes.
    pub span: Span,
    /// Its kind: `u16`, `bytes`, or a type name.
    pub kind: String,
    /// The integer, for integers.
    pub int: Option<i128>,
    /// The value as text: the number, the string or hex, or `{...}` for a structure.
    pub display: String,
    /// The registry's name for the value.
    pub registry_name: Option<String>,
    /// The raw bytes in hex (the first 64).
    pub hex: String,
}

/// Decode the value at `path` (`header.channels`, `chunks[2].data`, `entries[0].name`).
pub fn decode_field(
    g: &Grammar,
    result: &ParseResult,
    data: &[u8],
    path: &str,
) -> Result<DecodedField, HexmapError> {
    let missing = || HexmapError::NoSuchField(path.to_owned());
    let segs = split_path(path).ok_or_else(missing)?;
    let (first, rest) = segs.split_first().ok_or_else(missing)?;
    let (name, element) = first;
    let record = result
        .records
        .iter()
        .find(|r| g.field(g.root, r.root_field).name == *name && r.element == *element)
        .ok_or_else(missing)?;
    let mut nodes: &[Node] = &record.fields;
    let mut found: Option<&Node> = None;
    for (name, index) in rest {
        let n = nodes
            .iter()
            .find(|n| g.field(n.field.ty as usize, n.field.field as usize).name == *name)
            .ok_or_else(missing)?;
        let n = match (index, &n.value) {
            (None, _) => n,
            (Some(i), Value::Array(items)) => items.get(*i).ok_or_else(missing)?,
            (Some(_), _) => return Err(missing()),
        };
        nodes = match &n.value {
            Value::Struct(_, f) => f,
            _ => &[],
        };
        found = Some(n);
    }
    let n = found.ok_or_else(missing)?;
    let f = g.field(n.field.ty as usize, n.field.field as usize);
    let bytes = data
        .get(n.span.offset as usize..n.span.end() as usize)
        .unwrap_or(&[]);
    let int = n.int();
    let registry_name = match (int, f.registry) {
        (Some(v), Some(r)) => g.registries[r].lookup(v).map(str::to_owned),
        _ => None,
    };
    let display = match &n.value {
        Value::Array(items) => format!("[{} items]", items.len()),
        Value::Struct(..) => "{...}".to_owned(),
        _ => display_value(
            g,
            data,
            &SpanEntry {
                path: String::new(),
                span: n.span,
                kind: "",
                record: record.index,
                int,
                field: n.field,
            },
        ),
    };
    let kind = match (&n.value, &f.kind) {
        (Value::Struct(t, _), FieldKind::OneOf(_)) => g.ty(*t).name.clone(),
        _ => g.kind_name(&f.kind),
    };
    Ok(DecodedField {
        path: path.to_owned(),
        span: n.span,
        kind,
        int,
        display,
        registry_name,
        hex: bytes
            .iter()
            .take(64)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" "),
    })
}

/// `a[1].b.c[2]` → `[("a", Some(1)), ("b", None), ("c", Some(2))]`.
fn split_path(path: &str) -> Option<Vec<(&str, Option<usize>)>> {
    path.split('.')
        .map(|seg| match seg.split_once('[') {
            Some((name, idx)) => {
                let i = idx.strip_suffix(']')?.parse().ok()?;
                Some((name, Some(i)))
            }
            None => Some((seg, None)),
        })
        .collect()
}

/// A query over records; every given condition must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// The record's type (for `one_of`, the alternative that matched).
    pub type_name: Option<String>,
    /// A top-level field of the record and the value it must show: an integer (any base) or
    /// the text of a byte string.
    pub field: Option<(String, String)>,
    /// The record must overlap `[start, end)`.
    pub range: Option<(u64, u64)>,
}

/// The records matching `q`, in file order.
pub fn query_records<'r>(
    g: &Grammar,
    result: &'r ParseResult,
    data: &[u8],
    q: &Query,
) -> Vec<&'r Record> {
    let want_int = q
        .field
        .as_ref()
        .and_then(|(_, v)| crate::spec::parse_int(v));
    result
        .records
        .iter()
        .filter(|r| q.type_name.as_ref().is_none_or(|t| g.ty(r.ty).name == *t))
        .filter(|r| {
            q.range
                .is_none_or(|(a, b)| r.span.offset < b && r.span.end().max(r.span.offset + 1) > a)
        })
        .filter(|r| {
            let Some((name, want)) = &q.field else {
                return true;
            };
            r.fields.iter().any(|n| {
                let f = g.field(n.field.ty as usize, n.field.field as usize);
                if f.name != *name {
                    return false;
                }
                match (n.int(), want_int, &n.value) {
                    (Some(v), Some(w), _) => v == w,
                    (_, _, Value::Bytes) => {
                        let b = data
                            .get(n.span.offset as usize..n.span.end() as usize)
                            .unwrap_or(&[]);
                        content(f, b) == want.as_bytes()
                    }
                    _ => false,
                }
            })
        })
        .collect()
}
