//! The grammar as written: an ordered, editable tree read from YAML with the position of every
//! node, and written back as canonical YAML. Patches edit this tree; [`crate::lint_grammar`] checks it
//! and compiles it to a [`crate::Grammar`].
//!
//! ```yaml
//! format: 1                 # grammar format major version
//! name: wav
//! endian: little            # default byte order (per type and per field too)
//! root: File                # the type whose fields are the file's records
//! types:
//!   File:
//!     fields:
//!       - { name: header, type: RiffHeader }
//!       - { name: chunks, one_of: [FmtChunk, Chunk], repeat: eof }
//!   Chunk:
//!     fields:
//!       - { name: id, type: bytes, size: 4 }
//!       - { name: size, type: u32 }
//!       - { name: data, type: bytes, size: size }
//! registries:
//!   wav_format: { 1: PCM, 3: IEEE_FLOAT }
//! ```

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use marked_yaml::types::MarkedMappingNode;
use marked_yaml::{LoaderOptions, Node as YNode};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::errors::{Diagnostic, Pos};

/// The grammar format major version this crate reads and writes.
pub const FORMAT: i128 = 1;

/// A scalar property value: an integer, a string or a list of names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// An integer (decimal, `0x..`, `0o..` or `0b..` in YAML).
    Int(i128),
    /// A string.
    Str(String),
    /// A list of names (`one_of`).
    List(Vec<String>),
}

impl Scalar {
    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i128> {
        match self {
            Scalar::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Str(s) => write!(f, "{s:?}"),
            Scalar::List(l) => write!(f, "[{}]", l.join(", ")),
        }
    }
}

impl From<&str> for Scalar {
    fn from(s: &str) -> Self {
        Scalar::Str(s.to_owned())
    }
}

impl From<i128> for Scalar {
    fn from(i: i128) -> Self {
        Scalar::Int(i)
    }
}

impl Serialize for Scalar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::Int(i) => match i64::try_from(*i) {
                Ok(v) => s.serialize_i64(v),
                Err(_) => match u64::try_from(*i) {
                    Ok(v) => s.serialize_u64(v),
                    Err(_) => s.serialize_i128(*i),
                },
            },
            Scalar::Str(v) => s.serialize_str(v),
            Scalar::List(l) => l.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer, a string or a list of names")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v.into()))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Scalar::List(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Ordered properties of a field or a type (`name`, `type`, `size`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Props(pub Vec<(String, Scalar)>);

impl Props {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Scalar> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Set `key` (in place if present, else appended).
    pub fn set(&mut self, key: &str, value: Scalar) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }

    /// Remove `key`; whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|(k, _)| k != key);
        self.0.len() != before
    }

    /// The `name` property, if it is a string.
    pub fn name(&self) -> Option<&str> {
        self.get("name").and_then(Scalar::as_str)
    }
}

impl Serialize for Props {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Props {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Props;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of properties")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Props, A::Error> {
                let mut out = Props::default();
                while let Some((k, v)) = map.next_entry::<String, Scalar>()? {
                    if out.get(&k).is_some() {
                        return Err(de::Error::custom(format!("duplicate key `{k}`")));
                    }
                    out.0.push((k, v));
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// One type: its own properties (`endian`, `doc`) and its ordered fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TypeDef {
    /// Properties of the type other than `fields`.
    #[serde(flatten, default)]
    pub props: Props,
    /// The fields, in file order.
    #[serde(default)]
    pub fields: Vec<Props>,
}

/// A grammar as written. Types and registries keep their order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Spec {
    /// Top-level properties: `format`, `name`, `endian`, `root`, `doc`.
    pub props: Props,
    /// Types by name, in order. A type is shared between the versions that did not change it,
    /// so a version costs what its patch changed, not a copy of the whole tree.
    pub types: Vec<(String, Arc<TypeDef>)>,
    /// Registries by name: value → name, in order.
    pub registries: Vec<(String, Vec<(i128, String)>)>,
}

impl Spec {
    /// The type called `name`.
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_ref())
    }

    /// The type called `name`, to edit (copied first if another version shares it).
    pub fn type_def_mut(&mut self, name: &str) -> Option<&mut TypeDef> {
        self.types
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, t)| Arc::make_mut(t))
    }

    /// The registry called `name`.
    pub fn registry(&self, name: &str) -> Option<&[(i128, String)]> {
        self.registries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.as_slice())
    }

    /// Canonical YAML: one layout for every spec, so equal specs have equal text.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.props.0 {
            let _ = writeln!(out, "{}: {}", key(k), scalar(v));
        }
        out.push_str("types:\n");
        for (name, t) in &self.types {
            let _ = writeln!(out, "  {}:", key(name));
            for (k, v) in &t.props.0 {
                let _ = writeln!(out, "    {}: {}", key(k), scalar(v));
            }
            if t.fields.is_empty() {
                out.push_str("    fields: []\n");
            } else {
                out.push_str("    fields:\n");
                for f in &t.fields {
                    let body: Vec<String> =
                        f.0.iter()
                            .map(|(k, v)| match v {
                                // Magic numbers read best in hex.
                                Scalar::Int(i) if k == "const" && *i > 255 => {
                                    format!("{}: {i:#x}", key(k))
                                }
                                _ => format!("{}: {}", key(k), scalar(v)),
                            })
                            .collect();
                    let _ = writeln!(out, "      - {{ {} }}", body.join(", "));
                }
            }
        }
        if !self.registries.is_empty() {
            out.push_str("registries:\n");
            for (name, entries) in &self.registries {
                let _ = writeln!(out, "  {}:", key(name));
                if entries.is_empty() {
                    out.pop();
                    out.push_str(" {}\n");
                }
                for (v, n) in entries {
                    let _ = writeln!(out, "    {v}: {}", quote(n));
                }
            }
        }
        out
    }
}

/// A plain identifier is written as is; anything else is quoted.
fn key(s: &str) -> String {
    quote(s)
}

fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "inf" | "nan"
        );
    if plain {
        s.to_owned()
    } else {
        // A JSON string is a valid YAML double-quoted scalar.
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

fn scalar(v: &Scalar) -> String {
    match v {
        Scalar::Int(i) => i.to_string(),
        Scalar::Str(s) => quote(s),
        Scalar::List(l) => format!(
            "[{}]",
            l.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Where each node of a spec was written: spec path (`types.Header.fields[0].type`) → position.
#[derive(Debug, Clone, Default)]
pub struct Locations(HashMap<String, Pos>);

impl Locations {
    /// The position of `path`, or of its nearest ancestor that has one.
    pub fn find(&self, path: &str) -> Option<Pos> {
        let mut p = path;
        loop {
            if let Some(pos) = self.0.get(p) {
                return Some(*pos);
            }
            if p.is_empty() {
                return None;
            }
            // Up one step; from a top-level key to "" (the whole grammar).
            p = &p[..p.rfind(['.', '[']).unwrap_or(0)];
        }
    }

    fn put(&mut self, path: String, node: &YNode) {
        if let Some(m) = node.span().start() {
            self.0.insert(
                path,
                Pos {
                    line: m.line(),
                    column: m.column(),
                },
            );
        }
    }
}

/// Parse an integer the way the grammar writes them: `-12`, `0x1F`, `0o17`, `0b101`, `1_000`.
pub fn parse_int(s: &str) -> Option<i128> {
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let clean: String = body.chars().filter(|c| *c != '_').collect();
    let (radix, digits) = match clean.get(..2).map(|p| p.to_ascii_lowercase()) {
        Some(p) if p == "0x" => (16, &clean[2..]),
        Some(p) if p == "0o" => (8, &clean[2..]),
        Some(p) if p == "0b" => (2, &clean[2..]),
        _ => (10, clean.as_str()),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// Read a spec from YAML text. Errors carry line and column; `Locations` maps every node.
pub fn load(text: &str) -> Result<(Spec, Locations), Vec<Diagnostic>> {
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    let loaded =
        std::panic::catch_unwind(|| marked_yaml::parse_yaml_with_options(0, text, options));
    let root = match loaded {
        Ok(Ok(root)) => root,
        Ok(Err(e)) => return Err(vec![load_error(e)]),
        Err(_) => {
            return Err(vec![Diagnostic::new(
                "",
                Some(Pos { line: 1, column: 1 }),
                "unsupported yaml construct",
            )]);
        }
    };
    let mut cx = Loader {
        locs: Locations::default(),
        errors: Vec::new(),
    };
    let Some(top) = root.as_mapping() else {
        return Err(vec![Diagnostic::new(
            "",
            Some(pos_of(&root)),
            "a grammar is a mapping with `types:`",
        )]);
    };
    cx.locs.put(String::new(), &root);
    let spec = cx.spec(top);
    if cx.errors.is_empty() {
        Ok((spec, cx.locs))
    } else {
        Err(cx.errors)
    }
}

fn pos_of(node: &YNode) -> Pos {
    node.span()
        .start()
        .map(|m| Pos {
            line: m.line(),
            column: m.column(),
        })
        .unwrap_or(Pos { line: 1, column: 1 })
}

fn load_error(e: marked_yaml::LoadError) -> Diagnostic {
    use marked_yaml::LoadError as E;
    let (marker, what): (Option<marked_yaml::Marker>, String) = match &e {
        E::TopLevelMustBeMapping(m) => (Some(*m), "a grammar is a mapping".to_owned()),
        E::TopLevelMustBeSequence(m) => (Some(*m), "unexpected list".to_owned()),
        E::UnexpectedAnchor(m) => (Some(*m), "anchors are not supported".to_owned()),
        E::MappingKeyMustBeScalar(m) => (Some(*m), "a key must be a plain value".to_owned()),
        E::UnexpectedTag(m) => (Some(*m), "tags are not supported".to_owned()),
        E::DuplicateKey(inner) => (
            inner.key.span().start().copied(),
            format!("duplicate key `{}`", inner.key.as_str()),
        ),
        E::ScanError(m, err) => (Some(*m), format!("yaml syntax: {err}")),
    };
    let pos = marker.map(|m| Pos {
        line: m.line(),
        column: m.column(),
    });
    Diagnostic::new("", pos.or(Some(Pos { line: 1, column: 1 })), what)
}

struct Loader {
    locs: Locations,
    errors: Vec<Diagnostic>,
}

impl Loader {
    fn err(&mut self, path: &str, node: &YNode, msg: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(path, Some(pos_of(node)), msg.into()));
    }

    fn spec(&mut self, top: &MarkedMappingNode) -> Spec {
        let mut spec = Spec::default();
        for (k, v) in top.iter() {
            let key = k.as_str();
            match key {
                "types" => {
                    self.locs.put("types".into(), v);
                    match v.as_mapping() {
                        Some(m) => {
                            for (tn, tv) in m.iter() {
                                let path = format!("types.{}", tn.as_str());
                                self.locs.put(path.clone(), &YNode::Scalar(tn.clone()));
                                let t = self.type_def(&path, tv);
                                spec.types.push((tn.as_str().to_owned(), Arc::new(t)));
                            }
                        }
                        None if is_null(v) => {}
                        None => self.err("types", v, "`types` is a mapping of type name → type"),
                    }
                }
                "registries" => {
                    self.locs.put("registries".into(), v);
                    match v.as_mapping() {
                        Some(m) => {
                            for (rn, rv) in m.iter() {
                                let path = format!("registries.{}", rn.as_str());
                                self.locs.put(path.clone(), &YNode::Scalar(rn.clone()));
                                let r = self.registry(&path, rv);
                                spec.registries.push((rn.as_str().to_owned(), r));
                            }
                        }
                        None if is_null(v) => {}
                        None => self.err(
                            "registries",
                            v,
                            "`registries` is a mapping of registry name → {value: name}",
                        ),
                    }
                }
                _ => {
                    self.locs.put(key.to_owned(), v);
                    if let Some(s) = self.scalar(key, v) {
                        spec.props.0.push((key.to_owned(), s));
                    }
                }
            }
        }
        spec
    }

    fn type_def(&mut self, path: &str, node: &YNode) -> TypeDef {
        let mut t = TypeDef::default();
        let Some(m) = node.as_mapping() else {
            self.err(path, node, "a type is a mapping with `fields:`");
            return t;
        };
        for (k, v) in m.iter() {
            let key = k.as_str();
            if key == "fields" {
                match v.as_sequence() {
                    Some(seq) => {
                        for (i, f) in seq.iter().enumerate() {
                            let fpath = format!("{path}.fields[{i}]");
                            self.locs.put(fpath.clone(), f);
                            t.fields.push(self.props(&fpath, f));
                        }
                    }
                    None if is_null(v) => {}
                    None => self.err(&format!("{path}.fields"), v, "`fields` is a list"),
                }
            } else {
                let p = format!("{path}.{key}");
                self.locs.put(p.clone(), &YNode::Scalar(k.clone()));
                if let Some(s) = self.scalar(&p, v) {
                    t.props.0.push((key.to_owned(), s));
                }
            }
        }
        t
    }

    fn props(&mut self, path: &str, node: &YNode) -> Props {
        let mut props = Props::default();
        let Some(m) = node.as_mapping() else {
            self.err(
                path,
                node,
                "a field is a mapping such as `{ name: size, type: u32 }`",
            );
            return props;
        };
        for (k, v) in m.iter() {
            let p = format!("{path}.{}", k.as_str());
            self.locs.put(p.clone(), v);
            if let Some(s) = self.scalar(&p, v) {
                props.0.push((k.as_str().to_owned(), s));
            }
        }
        props
    }

    fn registry(&mut self, path: &str, node: &YNode) -> Vec<(i128, String)> {
        let mut out = Vec::new();
        let Some(m) = node.as_mapping() else {
            if !is_null(node) {
                self.err(path, node, "a registry is a mapping of value → name");
            }
            return out;
        };
        for (k, v) in m.iter() {
            let p = format!("{path}.{}", k.as_str());
            let knode = YNode::Scalar(k.clone());
            self.locs.put(p.clone(), &knode);
            let Some(value) = parse_int(k.as_str()) else {
                self.err(
                    &p,
                    &knode,
                    format!("registry key `{}` is not an integer", k.as_str()),
                );
                continue;
            };
            match v.as_scalar() {
                Some(s) if !s.as_str().is_empty() => out.push((value, s.as_str().to_owned())),
                _ => self.err(&p, v, "a registry name is a string"),
            }
        }
        out
    }

    fn scalar(&mut self, path: &str, node: &YNode) -> Option<Scalar> {
        match node {
            YNode::Scalar(s) => {
                if s.may_coerce()
                    && let Some(i) = parse_int(s.as_str())
                {
                    return Some(Scalar::Int(i));
                }
                Some(Scalar::Str(s.as_str().to_owned()))
            }
            YNode::Sequence(seq) => {
                let mut out = Vec::new();
                for item in seq.iter() {
                    match item.as_scalar() {
                        Some(s) => out.push(s.as_str().to_owned()),
                        None => {
                            self.err(path, item, "a list here holds type names");
                            return None;
                        }
                    }
                }
                Some(Scalar::List(out))
            }
            YNode::Mapping(_) => {
                self.err(path, node, "expected a value, found a mapping");
                None
            }
        }
    }
}

fn is_null(node: &YNode) -> bool {
    node.as_scalar()
        .is_some_and(|s| s.may_coerce() && matches!(s.as_str(), "" | "~" | "null"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "format: 1\nname: t\nroot: File\ntypes:\n  File:\n    fields:\n      - { name: h, type: Head }\n  Head:\n    endian: big\n    fields:\n      - { name: magic, type: bytes, size: 4, const: \"fmt \" }\n      - { name: n, type: u16, const: 0x10 }\nregistries:\n  kinds:\n    1: one\n    0x2: two\n";

    #[test]
    fn canonical_text_reads_back_to_the_same_spec() {
        let (spec, locs) = load(TEXT).unwrap();
        assert_eq!(spec.types.len(), 2);
        assert_eq!(
            spec.type_def("Head").unwrap().fields[1].get("const"),
            Some(&Scalar::Int(16))
        );
        assert_eq!(
            spec.type_def("Head").unwrap().fields[0].get("const"),
            Some(&Scalar::Str("fmt ".into()))
        );
        assert_eq!(spec.registry("kinds").unwrap()[1], (2, "two".to_owned()));
        assert_eq!(locs.find("types.Head.fields[1].type").unwrap().line, 12);
        assert_eq!(locs.find("types.Head.fields[9]").unwrap().line, 8);
        let text = spec.to_yaml();
        let (again, _) = load(&text).unwrap();
        assert_eq!(again, spec, "{text}");
        assert_eq!(again.to_yaml(), text);
    }

    #[test]
    fn quoted_numbers_stay_strings_and_odd_names_are_quoted() {
        let mut spec =
            load("types:\n  T:\n    fields:\n      - { name: \"1\", type: u8, doc: \"yes\" }\n")
                .unwrap()
                .0;
        assert_eq!(
            spec.types[0].1.fields[0].get("name"),
            Some(&Scalar::Str("1".into()))
        );
        spec.props.set("name", Scalar::Str("a: b # c\n".into()));
        let (again, _) = load(&spec.to_yaml()).unwrap();
        assert_eq!(again, spec);
    }

    #[test]
    fn integers_in_every_base() {
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("-0b101"), Some(-5));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("0o17"), Some(15));
        assert_eq!(parse_int("12a"), None);
        assert_eq!(parse_int("0x"), None);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = load("types:\n  T: [\n").unwrap_err();
        assert!(e[0].pos.is_some());
        let e = load("types:\n  T:\n    fields: 3\n").unwrap_err();
        assert_eq!(e[0].pos.unwrap().line, 3, "{e:?}");
    }
}
