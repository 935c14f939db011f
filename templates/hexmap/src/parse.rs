//! `parse_binary`: walk a file with a grammar and return its records, every value with its
//! byte span.
//!
//! Safety against hostile input: every length and count is checked against the bytes that are
//! left before anything is read or allocated (a length beyond the file is an `absurd length`
//! error, not an allocation); a value never takes less than one byte per repetition, so the
//! values of a parse are bounded by the file's size; recursion is bounded by the grammar's
//! depth, which [`crate::lint_grammar`] limits; `max_records` bounds the records.

use std::fmt;

use crate::grammar::{ByteLen, Const, FieldKind, Grammar, IntKind, Repeat, TypeId};

/// A byte range of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Span {
    /// First byte.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
}

impl Span {
    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.offset + self.len
    }
}

/// Names field `field` of type `ty` in the grammar the parse used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldRef {
    /// The type.
    pub ty: u32,
    /// The field's index in it.
    pub field: u32,
}

/// A decoded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An unsigned integer.
    UInt(u64),
    /// A signed integer.
    Int(i64),
    /// A byte string (its bytes are the node's span of the input).
    Bytes,
    /// A nested type's fields.
    Struct(TypeId, Vec<Node>),
    /// The elements of a repeated field (each with the same `FieldRef`).
    Array(Vec<Node>),
}

/// A field's value where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Which field of the grammar.
    pub field: FieldRef,
    /// Where.
    pub span: Span,
    /// What.
    pub value: Value,
}

impl Node {
    /// The integer value, for integer nodes.
    pub fn int(&self) -> Option<i128> {
        match self.value {
            Value::UInt(v) => Some(v.into()),
            Value::Int(v) => Some(v.into()),
            _ => None,
        }
    }
}

/// One record: an instance of a root field (one element of it when it repeats).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Position in the parse.
    pub index: usize,
    /// The root field it instantiates.
    pub root_field: usize,
    /// The element number when the root field repeats.
    pub element: Option<usize>,
    /// Its type (for `one_of`, the alternative that matched).
    pub ty: TypeId,
    /// Where.
    pub span: Span,
    /// Its fields.
    pub fields: Vec<Node>,
}

/// Why parsing stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The root type was parsed to its end.
    Complete,
    /// `max_records` records were parsed and more input was left.
    RecordLimit,
    /// An error; see `errors`.
    Error,
}

/// What went wrong at a place in the input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParseErrorKind {
    /// A field runs past the end of the file.
    Eof {
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left.
        available: u64,
    },
    /// A length or count read from the file exceeds what is left of it.
    AbsurdLength {
        /// The value read.
        value: i128,
        /// Bytes left.
        available: u64,
    },
    /// A constant did not match.
    ConstMismatch {
        /// What the grammar expects.
        expected: String,
        /// What the file has.
        found: String,
    },
    /// No alternative of a `one_of` matched.
    NoAlternative {
        /// Each alternative and why it failed.
        tried: Vec<(String, String)>,
    },
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::Eof { needed, available } => {
                write!(f, "needs {needed} bytes, {available} left")
            }
            ParseErrorKind::AbsurdLength { value, available } => {
                write!(f, "absurd length {value}: only {available} bytes left")
            }
            ParseErrorKind::ConstMismatch { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            ParseErrorKind::NoAlternative { tried } => {
                let t: Vec<String> = tried.iter().map(|(n, w)| format!("{n}: {w}")).collect();
                write!(f, "no alternative matched ({})", t.join("; "))
            }
        }
    }
}

/// A parse error: where in the file, where in the grammar, what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParseError {
    /// Byte offset of the failing field.
    pub offset: u64,
    /// Path of the failing field, such as `chunks[3].data`.
    pub path: String,
    /// What went wrong.
    #[serde(flatten)]
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at offset {} ({}): {}",
            self.offset, self.path, self.kind
        )
    }
}

/// Options of a parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Stop after this many records.
    pub max_records: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_records: 1_000_000,
        }
    }
}

/// The result of a parse. Records before an error are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseResult {
    /// The records, in file order.
    pub records: Vec<Record>,
    /// At most one error: parsing stops at the first.
    pub errors: Vec<ParseError>,
    /// Size of the input.
    pub file_size: u64,
    /// End of the last record.
    pub end: u64,
    /// Why parsing stopped.
    pub stop: Stop,
}

/// Parse `data` with `grammar`.
pub fn parse_binary(grammar: &Grammar, data: &[u8], options: ParseOptions) -> ParseResult {
    let mut p = Parser {
        g: grammar,
        data,
        path: Vec::new(),
    };
    let mut result = ParseResult {
        records: Vec::new(),
        errors: Vec::new(),
        file_size: data.len() as u64,
        end: 0,
        stop: Stop::Complete,
    };
    let root = grammar.root;
    let mut pos = 0u64;
    let ints: Vec<Option<i128>> = vec![None; grammar.ty(root).fields.len()];
    'fields: for (fi, field) in grammar.ty(root).fields.iter().enumerate() {
        p.path.push(Seg::Field(field.name.as_str()));
        let count = match p.count(field.repeat, &ints, pos) {
            Ok(c) => c,
            Err(e) => {
                result.errors.push(e);
                result.stop = Stop::Error;
                break;
            }
        };
        let mut element = 0usize;
        loop {
            let more = match count {
                Some(n) => (element as u64) < n,
                None => pos < data.len() as u64,
            };
            if !more {
                break;
            }
            if result.records.len() >= options.max_records {
                result.stop = Stop::RecordLimit;
                break 'fields;
            }
            let repeated = field.repeat != Repeat::One;
            if repeated {
                p.path.push(Seg::Index(element));
            }
            let fref = FieldRef {
                ty: root as u32,
                field: fi as u32,
            };
            let parsed = p.value(fref, &field.kind, pos, &ints).map(|node| {
                let end = node.span.end();
                match node.value {
                    Value::Struct(t, fields) => (t, fields, end),
                    // Lint refuses scalar root fields; were one there, it is its own record.
                    _ => (root, vec![node], end),
                }
            });
            if repeated {
                p.path.pop();
            }
            match parsed {
                Ok((ty, fields, end)) => {
                    result.records.push(Record {
                        index: result.records.len(),
                        root_field: fi,
                        element: repeated.then_some(element),
                        ty,
                        span: Span {
                            offset: pos,
                            len: end - pos,
                        },
                        fields,
                    });
                    pos = end;
                    result.end = end;
                }
                Err(e) => {
                    result.errors.push(e);
                    result.stop = Stop::Error;
                    break 'fields;
                }
            }
            element += 1;
        }
        p.path.pop();
    }
    result
}

enum Seg<'g> {
    Field(&'g str),
    Index(usize),
}

struct Parser<'g, 'd> {
    g: &'g Grammar,
    data: &'d [u8],
    path: Vec<Seg<'g>>,
}

type Parsed = Result<(TypeId, Vec<Node>, u64), ParseError>;

impl<'g> Parser<'g, '_> {
    fn left(&self, pos: u64) -> u64 {
        (self.data.len() as u64).saturating_sub(pos)
    }

    fn error(&self, offset: u64, kind: ParseErrorKind) -> ParseError {
        let mut path = String::new();
        for s in &self.path {
            match s {
                Seg::Field(n) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(n);
                }
                Seg::Index(i) => {
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                }
            }
        }
        ParseError { offset, path, kind }
    }

    /// How many elements a repeat asks for; `None` for "until the end of the file".
    fn count(&self, r: Repeat, ints: &[Option<i128>], pos: u64) -> Result<Option<u64>, ParseError> {
        match r {
            Repeat::One => Ok(Some(1)),
            Repeat::Count(n) => Ok(Some(n)),
            Repeat::Eof => Ok(None),
            Repeat::Field(i) => {
                let v = ints.get(i).copied().flatten().unwrap_or(0);
                match u64::try_from(v) {
                    // Every element takes at least one byte (lint), so more elements than
                    // bytes left cannot be.
                    Ok(n) if n <= self.left(pos) => Ok(Some(n)),
                    _ => Err(self.error(
                        pos,
                        ParseErrorKind::AbsurdLength {
                            value: v,
                            available: self.left(pos),
                        },
                    )),
                }
            }
        }
    }

    fn take(&self, pos: u64, n: u64) -> Result<&[u8], ParseError> {
        if n > self.left(pos) {
            return Err(self.error(
                pos,
                ParseErrorKind::Eof {
                    needed: n,
                    available: self.left(pos),
                },
            ));
        }
        // Both bounds are within the slice: pos + n <= len.
        Ok(&self.data[pos as usize..(pos + n) as usize])
    }

    fn int(&self, k: IntKind, pos: u64) -> Result<i128, ParseError> {
        Ok(k.decode(self.take(pos, k.bytes())?))
    }

    fn one_of(&mut self, alts: &[TypeId], pos: u64) -> Parsed {
        let mut failures: Vec<(TypeId, ParseError)> = Vec::new();
        let depth = self.path.len();
        for &t in alts {
            match self.structure(t, pos) {
                Ok(ok) => return Ok(ok),
                Err(e) => {
                    // An error returns early, past the pops: restore the path for the next try.
                    self.path.truncate(depth);
                    failures.push((t, e));
                }
            }
        }
        // The alternative that got furthest tells the most, unless every one was refused by a
        // constant right away.
        let furthest = failures
            .iter()
            .filter(|(_, e)| !matches!(e.kind, ParseErrorKind::ConstMismatch { .. }))
            .max_by_key(|(_, e)| e.offset);
        if let Some((_, e)) = furthest {
            return Err(e.clone());
        }
        let tried = failures
            .into_iter()
            .map(|(t, e)| (self.g.ty(t).name.clone(), e.kind.to_string()))
            .collect();
        Err(self.error(pos, ParseErrorKind::NoAlternative { tried }))
    }

    fn structure(&mut self, t: TypeId, start: u64) -> Parsed {
        let g = self.g;
        let ty = g.ty(t);
        let mut pos = start;
        let mut ints: Vec<Option<i128>> = vec![None; ty.fields.len()];
        let mut nodes = Vec::with_capacity(ty.fields.len());
        for (fi, field) in ty.fields.iter().enumerate() {
            self.path.push(Seg::Field(field.name.as_str()));
            let fref = FieldRef {
                ty: t as u32,
                field: fi as u32,
            };
            let node = match field.repeat {
                Repeat::One => {
                    let node = self.value(fref, &field.kind, pos, &ints)?;
                    if let Some(c) = &field.constant {
                        self.check_const(c, &node)?;
                    }
                    ints[fi] = node.int();
                    node
                }
                r => {
                    let count = self.count(r, &ints, pos)?;
                    let begin = pos;
                    let mut items = Vec::new();
                    let mut i = 0u64;
                    let mut at = pos;
                    while count.map_or(at < self.data.len() as u64, |n| i < n) {
                        self.path.push(Seg::Index(i as usize));
                        let item = self.value(fref, &field.kind, at, &ints)?;
                        self.path.pop();
                        at = item.span.end();
                        items.push(item);
                        i += 1;
                    }
                    Node {
                        field: fref,
                        span: Span {
                            offset: begin,
                            len: at - begin,
                        },
                        value: Value::Array(items),
                    }
                }
            };
            pos = node.span.end();
            nodes.push(node);
            self.path.pop();
        }
        Ok((t, nodes, pos))
    }

    fn value(
        &mut self,
        fref: FieldRef,
        kind: &FieldKind,
        pos: u64,
        ints: &[Option<i128>],
    ) -> Result<Node, ParseError> {
        let (span, value) = match kind {
            FieldKind::Int(k) => {
                let v = self.int(*k, pos)?;
                let value = if k.signed {
                    Value::Int(v as i64)
                } else {
                    Value::UInt(v as u64)
                };
                (
                    Span {
                        offset: pos,
                        len: k.bytes(),
                    },
                    value,
                )
            }
            FieldKind::Bytes(len) => {
                let (prefix, n) = match len {
                    ByteLen::Fixed(n) => (0, *n),
                    ByteLen::Field(i) => (
                        0,
                        self.length(ints.get(*i).copied().flatten().unwrap_or(0), pos)?,
                    ),
                    ByteLen::Prefix(k) => {
                        let v = self.int(*k, pos)?;
                        (k.bytes(), self.length(v, pos + k.bytes())?)
                    }
                };
                self.take(pos + prefix, n)?;
                (
                    Span {
                        offset: pos,
                        len: prefix + n,
                    },
                    Value::Bytes,
                )
            }
            FieldKind::Type(t) => {
                let (t, fields, end) = self.structure(*t, pos)?;
                (
                    Span {
                        offset: pos,
                        len: end - pos,
                    },
                    Value::Struct(t, fields),
                )
            }
            FieldKind::OneOf(alts) => {
                let (t, fields, end) = self.one_of(alts, pos)?;
                (
                    Span {
                        offset: pos,
                        len: end - pos,
                    },
                    Value::Struct(t, fields),
                )
            }
        };
        Ok(Node {
            field: fref,
            span,
            value,
        })
    }

    /// A length read from the file, checked against what is left before anything uses it.
    fn length(&self, v: i128, pos: u64) -> Result<u64, ParseError> {
        match u64::try_from(v) {
            Ok(n) if n <= self.left(pos) => Ok(n),
            _ => Err(self.error(
                pos,
                ParseErrorKind::AbsurdLength {
                    value: v,
                    available: self.left(pos),
                },
            )),
        }
    }

    fn check_const(&self, c: &Const, node: &Node) -> Result<(), ParseError> {
        let ok = match (c, &node.value) {
            (Const::Int(want), _) => node.int() == Some(*want),
            (Const::Bytes(want), Value::Bytes) => {
                let s = node.span;
                &self.data[s.offset as usize..s.end() as usize] == want.as_slice()
            }
            _ => false,
        };
        if ok {
            return Ok(());
        }
        let (expected, found) = match c {
            Const::Int(want) => (
                format!("{want:#x}"),
                format!("{:#x}", node.int().unwrap_or(0)),
            ),
            Const::Bytes(want) => {
                let s = node.span;
                (
                    show_bytes(want),
                    show_bytes(&self.data[s.offset as usize..s.end() as usize]),
                )
            }
        };
        Err(self.error(
            node.span.offset,
            ParseErrorKind::ConstMismatch { expected, found },
        ))
    }
}

/// Bytes as a quoted string when printable ASCII, else as hex (the first 16 bytes).
pub fn show_bytes(b: &[u8]) -> String {
    if !b.is_empty() && b.iter().all(|c| (0x20..0x7f).contains(c)) && b.len() <= 64 {
        return format!("{:?}", String::from_utf8_lossy(b));
    }
    let mut s: String = b
        .iter()
        .take(16)
        .map(|c| format!("{c:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    if b.len() > 16 {
        s.push_str(&format!(" … ({} bytes)", b.len()));
    }
    if b.is_empty() {
        s.push_str("(empty)");
    }
    s
}
