//! `lint_grammar`: check a spec and compile it into a [`Grammar`]. Every problem is reported,
//! each with its spec path and, when the spec came from text, its line and column: unknown
//! types and keys, duplicate fields, bad length references, cycles between types, nesting too
//! deep to parse safely, repeated elements that could take zero bytes.

use std::collections::HashMap;

use crate::errors::Diagnostic;
use crate::grammar::{
    ByteLen, Const, Endian, FieldInfo, FieldKind, Grammar, IntKind, RegistryInfo, Repeat, TypeId,
    TypeInfo,
};
use crate::spec::{self, FORMAT, Locations, Props, Scalar, Spec};

/// How deeply types may nest. The parser recurses once per level, so this bounds its stack.
pub const MAX_DEPTH: usize = 32;

const TOP_KEYS: &[&str] = &["format", "name", "endian", "root", "doc"];
const TYPE_KEYS: &[&str] = &["endian", "doc"];
const FIELD_KEYS: &[&str] = &[
    "name", "type", "one_of", "size", "prefix", "count", "repeat", "endian", "registry", "const",
    "doc",
];

/// Lint grammar text: the compiled grammar, or every problem found.
pub fn lint_grammar(text: &str) -> Result<Grammar, Vec<Diagnostic>> {
    let (spec, locs) = spec::load(text)?;
    lint_spec(&spec, &locs)
}

/// Lint a spec already in memory; `locs` gives positions (empty for a spec built in code).
pub fn lint_spec(spec: &Spec, locs: &Locations) -> Result<Grammar, Vec<Diagnostic>> {
    let mut cx = Cx {
        locs,
        errors: Vec::new(),
    };
    let grammar = cx.compile(spec);
    if cx.errors.is_empty() {
        grammar.ok_or_else(|| {
            vec![Diagnostic::new(
                "",
                None,
                "the grammar could not be compiled",
            )]
        })
    } else {
        Err(cx.errors)
    }
}

/// Parse an integer type name (`u8` … `i64`).
pub fn int_type(name: &str, endian: Endian) -> Option<IntKind> {
    let (signed, bits) = match name.split_at_checked(1)? {
        ("u", b) => (false, b),
        ("i", b) => (true, b),
        _ => return None,
    };
    let bits: u8 = match bits {
        "8" => 8,
        "16" => 16,
        "32" => 32,
        "64" => 64,
        _ => return None,
    };
    Some(IntKind {
        bits,
        signed,
        endian,
    })
}

fn endian_of(s: &str) -> Option<Endian> {
    match s {
        "little" | "le" => Some(Endian::Little),
        "big" | "be" => Some(Endian::Big),
        _ => None,
    }
}

struct Cx<'a> {
    locs: &'a Locations,
    errors: Vec<Diagnostic>,
}

impl Cx<'_> {
    fn err(&mut self, path: &str, msg: impl Into<String>) {
        let pos = self.locs.find(path);
        self.errors.push(Diagnostic::new(path, pos, msg));
    }

    fn unknown_keys(&mut self, path: &str, props: &Props, known: &[&str]) {
        for (k, _) in &props.0 {
            if !known.contains(&k.as_str()) && !k.starts_with("x-") {
                self.err(
                    &format!("{path}{}{k}", if path.is_empty() { "" } else { "." }),
                    format!("unknown key `{k}` (known: {})", known.join(", ")),
                );
            }
        }
    }

    fn endian(&mut self, path: &str, props: &Props, default: Endian) -> Endian {
        match props.get("endian") {
            None => default,
            Some(Scalar::Str(s)) if endian_of(s).is_some() => endian_of(s).unwrap_or(default),
            Some(v) => {
                self.err(
                    &join(path, "endian"),
                    format!("endian is `little` or `big`, not {v}"),
                );
                default
            }
        }
    }

    fn compile(&mut self, spec: &Spec) -> Option<Grammar> {
        self.unknown_keys("", &spec.props, TOP_KEYS);
        match spec.props.get("format") {
            None => {}
            Some(Scalar::Int(v)) if *v == FORMAT => {}
            Some(Scalar::Int(v)) if *v > FORMAT => self.err(
                "format",
                format!("grammar format {v} is newer than this hexmap reads ({FORMAT})"),
            ),
            Some(v) => self.err("format", format!("unknown grammar format {v}")),
        }
        let endian = self.endian("", &spec.props, Endian::Little);
        let name = match spec.props.get("name") {
            None => String::new(),
            Some(Scalar::Str(s)) => s.clone(),
            Some(v) => {
                self.err("name", format!("`name` is a string, not {v}"));
                String::new()
            }
        };
        if let Some(v) = spec.props.get("doc")
            && v.as_str().is_none()
        {
            self.err("doc", "`doc` is a string");
        }

        // Names first, so fields can refer to types defined after them.
        let mut index: HashMap<String, TypeId> = HashMap::new();
        for (i, (tname, _)) in spec.types.iter().enumerate() {
            let path = format!("types.{tname}");
            if int_type(tname, endian).is_some() || tname == "bytes" {
                self.err(&path, format!("`{tname}` is a built-in type name"));
            }
            if index.insert(tname.clone(), i).is_some() {
                self.err(&path, format!("duplicate type `{tname}`"));
            }
        }
        if spec.types.is_empty() {
            self.err("types", "the grammar has no types");
        }

        let mut registries = Vec::new();
        let mut reg_index = HashMap::new();
        for (rname, entries) in &spec.registries {
            let path = format!("registries.{rname}");
            let mut sorted = entries.clone();
            sorted.sort_by_key(|(v, _)| *v);
            for w in sorted.windows(2) {
                if w[0].0 == w[1].0 {
                    self.err(&path, format!("registry value {} is named twice", w[0].0));
                }
            }
            if reg_index.insert(rname.clone(), registries.len()).is_some() {
                self.err(&path, format!("duplicate registry `{rname}`"));
            }
            registries.push(RegistryInfo {
                name: rname.clone(),
                entries: sorted,
            });
        }

        let mut types = Vec::with_capacity(spec.types.len());
        // Fields that did not compile, so later checks do not report them twice.
        let mut broken: Vec<(TypeId, usize)> = Vec::new();
        for (tname, t) in &spec.types {
            let path = format!("types.{tname}");
            self.unknown_keys(&path, &t.props, TYPE_KEYS);
            let tendian = self.endian(&path, &t.props, endian);
            if t.fields.is_empty() {
                self.err(&path, format!("type `{tname}` has no fields"));
            }
            let mut fields: Vec<FieldInfo> = Vec::with_capacity(t.fields.len());
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for (i, f) in t.fields.iter().enumerate() {
                let fpath = format!("{path}.fields[{i}]");
                let fname = f.name().unwrap_or("");
                if let Some(first) = seen.get(fname) {
                    let at = self
                        .locs
                        .find(&format!("{path}.fields[{first}]"))
                        .map(|p| format!(" (first at line {})", p.line))
                        .unwrap_or_default();
                    self.err(
                        &join(&fpath, "name"),
                        format!("duplicate field `{fname}` in `{tname}`{at}"),
                    );
                } else if !fname.is_empty() {
                    seen.insert(fname, i);
                }
                if let Some(field) = self.field(&fpath, f, tendian, &index, &reg_index, &fields) {
                    fields.push(field);
                } else {
                    // Keep indices aligned with the spec for later reference checks.
                    broken.push((types.len(), i));
                    fields.push(FieldInfo {
                        name: fname.to_owned(),
                        kind: FieldKind::Bytes(ByteLen::Fixed(1)),
                        repeat: Repeat::One,
                        registry: None,
                        constant: None,
                    });
                }
            }
            types.push(TypeInfo {
                name: tname.clone(),
                fields,
                min_size: 0,
            });
        }

        let root = match spec.props.get("root") {
            None => {
                self.err("", "the grammar has no `root:` type");
                None
            }
            Some(Scalar::Str(r)) => match index.get(r) {
                Some(id) => Some(*id),
                None => {
                    self.err("root", format!("unknown type `{r}`{}", known(&index)));
                    None
                }
            },
            Some(v) => {
                self.err("root", format!("`root` names a type, not {v}"));
                None
            }
        };
        if let Some(root) = root {
            for (i, f) in types[root].fields.iter().enumerate() {
                if matches!(f.kind, FieldKind::Int(_) | FieldKind::Bytes(_))
                    && !broken.contains(&(root, i))
                {
                    self.err(
                        &format!("types.{}.fields[{i}].type", types[root].name),
                        format!(
                            "a field of the root type is a record: `{}` must be a type or `one_of`, not a{}",
                            f.name,
                            if matches!(f.kind, FieldKind::Int(_)) { "n integer" } else { " byte string" }
                        ),
                    );
                }
            }
        }

        let order = self.check_cycles(&types)?;
        self.sizes_and_depth(&mut types, &order);
        if !self.errors.is_empty() {
            return None;
        }
        Some(Grammar {
            name,
            types,
            root: root?,
            registries,
            index,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn field(
        &mut self,
        path: &str,
        f: &Props,
        endian: Endian,
        types: &HashMap<String, TypeId>,
        registries: &HashMap<String, usize>,
        earlier: &[FieldInfo],
    ) -> Option<FieldInfo> {
        self.unknown_keys(path, f, FIELD_KEYS);
        let name = match f.get("name") {
            Some(Scalar::Str(s)) if !s.is_empty() && !s.contains(['.', '[', ']']) => s.clone(),
            Some(Scalar::Str(s)) if !s.is_empty() => {
                self.err(
                    &join(path, "name"),
                    format!("a field name cannot contain `.`, `[` or `]`: `{s}`"),
                );
                return None;
            }
            Some(v) => {
                self.err(
                    &join(path, "name"),
                    format!("a field name is a string, not {v}"),
                );
                return None;
            }
            None => {
                self.err(path, "a field needs a `name`");
                return None;
            }
        };
        let fendian = self.endian(path, f, endian);
        // A reference to an earlier integer field of the same type, for sizes and counts.
        let length_ref = |cx: &mut Self, key: &str, r: &str| -> Option<usize> {
            match earlier.iter().position(|e| e.name == r) {
                Some(i)
                    if matches!(earlier[i].kind, FieldKind::Int(_))
                        && earlier[i].repeat == Repeat::One =>
                {
                    Some(i)
                }
                Some(_) => {
                    cx.err(
                        &join(path, key),
                        format!("bad length reference: `{r}` is not a single integer field"),
                    );
                    None
                }
                None if r == name => {
                    cx.err(
                        &join(path, key),
                        format!("bad length reference: `{name}` refers to itself"),
                    );
                    None
                }
                None => {
                    cx.err(
                        &join(path, key),
                        format!("bad length reference: no integer field `{r}` before `{name}` in this type"),
                    );
                    None
                }
            }
        };

        let kind = match (f.get("type"), f.get("one_of")) {
            (Some(_), Some(_)) => {
                self.err(path, format!("`{name}` has both `type` and `one_of`"));
                return None;
            }
            (None, None) => {
                self.err(path, format!("`{name}` needs a `type` (or `one_of`)"));
                return None;
            }
            (None, Some(Scalar::List(alts))) if !alts.is_empty() => {
                let mut ids = Vec::new();
                for a in alts {
                    match types.get(a) {
                        Some(id) => ids.push(*id),
                        None => self.err(
                            &join(path, "one_of"),
                            format!("unknown type `{a}`{}", known(types)),
                        ),
                    }
                }
                FieldKind::OneOf(ids)
            }
            (None, Some(_)) => {
                self.err(
                    &join(path, "one_of"),
                    "`one_of` is a non-empty list of type names",
                );
                return None;
            }
            (Some(Scalar::Str(t)), None) if t == "bytes" => {
                let len = match (f.get("size"), f.get("prefix")) {
                    (Some(_), Some(_)) => {
                        self.err(path, format!("`{name}` has both `size` and `prefix`"));
                        return None;
                    }
                    (Some(Scalar::Int(n)), None) if *n >= 0 && u64::try_from(*n).is_ok() => {
                        ByteLen::Fixed(*n as u64)
                    }
                    (Some(Scalar::Str(r)), None) => ByteLen::Field(length_ref(self, "size", r)?),
                    (Some(v), None) => {
                        self.err(
                            &join(path, "size"),
                            format!(
                                "`size` is a byte count or the name of an earlier field, not {v}"
                            ),
                        );
                        return None;
                    }
                    (None, Some(Scalar::Str(p))) => match int_type(p, fendian) {
                        Some(k) if !k.signed => ByteLen::Prefix(k),
                        _ => {
                            self.err(&join(path, "prefix"), format!("`prefix` is an unsigned integer type (u8, u16, u32, u64), not `{p}`"));
                            return None;
                        }
                    },
                    (None, Some(v)) => {
                        self.err(
                            &join(path, "prefix"),
                            format!("`prefix` is an unsigned integer type, not {v}"),
                        );
                        return None;
                    }
                    (None, None) => {
                        self.err(
                            path,
                            format!("byte string `{name}` needs a `size` or a `prefix`"),
                        );
                        return None;
                    }
                };
                FieldKind::Bytes(len)
            }
            (Some(Scalar::Str(t)), None) => match int_type(t, fendian) {
                Some(k) => FieldKind::Int(k),
                None => match types.get(t) {
                    Some(id) => FieldKind::Type(*id),
                    None => {
                        self.err(
                            &join(path, "type"),
                            format!("unknown type `{t}`{}", known(types)),
                        );
                        return None;
                    }
                },
            },
            (Some(v), None) => {
                self.err(&join(path, "type"), format!("`type` names a type, not {v}"));
                return None;
            }
        };
        if !matches!(kind, FieldKind::Bytes(_)) {
            for key in ["size", "prefix"] {
                if f.get(key).is_some() {
                    self.err(
                        &join(path, key),
                        format!("`{key}` applies to byte strings only"),
                    );
                }
            }
        }
        if !matches!(kind, FieldKind::Int(_) | FieldKind::Bytes(_)) && f.get("endian").is_some() {
            self.err(
                &join(path, "endian"),
                "`endian` applies to integers and prefixes only",
            );
        }

        let repeat = match (f.get("count"), f.get("repeat")) {
            (Some(_), Some(_)) => {
                self.err(path, format!("`{name}` has both `count` and `repeat`"));
                return None;
            }
            (None, None) => Repeat::One,
            (Some(Scalar::Int(n)), None) if *n >= 0 && u64::try_from(*n).is_ok() => {
                Repeat::Count(*n as u64)
            }
            (Some(Scalar::Str(r)), None) => Repeat::Field(length_ref(self, "count", r)?),
            (Some(v), None) => {
                self.err(
                    &join(path, "count"),
                    format!("`count` is a number or the name of an earlier field, not {v}"),
                );
                return None;
            }
            (None, Some(Scalar::Str(s))) if s == "eof" => Repeat::Eof,
            (None, Some(v)) => {
                self.err(&join(path, "repeat"), format!("`repeat` is `eof`, not {v}"));
                return None;
            }
        };

        let registry = match f.get("registry") {
            None => None,
            Some(Scalar::Str(r)) if matches!(kind, FieldKind::Int(_)) => match registries.get(r) {
                Some(i) => Some(*i),
                None => {
                    self.err(&join(path, "registry"), format!("unknown registry `{r}`"));
                    None
                }
            },
            Some(_) => {
                self.err(
                    &join(path, "registry"),
                    "`registry` names a registry and applies to integers only",
                );
                None
            }
        };

        let constant = match (f.get("const"), &kind) {
            (None, _) => None,
            (Some(Scalar::Int(v)), FieldKind::Int(k)) => {
                if !k.fits(*v) {
                    self.err(
                        &join(path, "const"),
                        format!("{v} does not fit a {}", k.name()),
                    );
                }
                Some(Const::Int(*v))
            }
            (Some(Scalar::Str(s)), FieldKind::Bytes(len)) => {
                if let ByteLen::Fixed(n) = len
                    && *n != s.len() as u64
                {
                    self.err(
                        &join(path, "const"),
                        format!("`{s}` is {} bytes but `{name}` is {n}", s.len()),
                    );
                }
                Some(Const::Bytes(s.as_bytes().to_vec()))
            }
            (Some(v), _) => {
                self.err(&join(path, "const"), format!("{v} is not a constant for `{name}` (integers take a number, byte strings a string)"));
                None
            }
        };
        if constant.is_some() && repeat != Repeat::One {
            self.err(
                &join(path, "const"),
                "a repeated field cannot have a `const`",
            );
        }
        Some(FieldInfo {
            name,
            kind,
            repeat,
            registry,
            constant,
        })
    }

    /// Kahn's algorithm over "type uses type"; types left over are in a cycle. Returns the types
    /// in dependency order (used types first).
    fn check_cycles(&mut self, types: &[TypeInfo]) -> Option<Vec<TypeId>> {
        let n = types.len();
        let uses = |t: &TypeInfo| -> Vec<TypeId> {
            t.fields
                .iter()
                .flat_map(|f| match &f.kind {
                    FieldKind::Type(id) => vec![*id],
                    FieldKind::OneOf(ids) => ids.clone(),
                    _ => vec![],
                })
                .collect()
        };
        let edges: Vec<Vec<TypeId>> = types.iter().map(uses).collect();
        let mut pending: Vec<usize> = edges.iter().map(|e| e.len()).collect();
        let mut users: Vec<Vec<TypeId>> = vec![Vec::new(); n];
        for (t, e) in edges.iter().enumerate() {
            for u in e {
                users[*u].push(t);
            }
        }
        let mut ready: Vec<TypeId> = (0..n).filter(|t| pending[*t] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(t) = ready.pop() {
            order.push(t);
            for u in &users[t] {
                pending[*u] -= 1;
                if pending[*u] == 0 {
                    ready.push(*u);
                }
            }
        }
        if order.len() == n {
            return Some(order);
        }
        // Walk from a leftover type along edges into leftover types until one repeats.
        let Some(start) = (0..n).find(|t| pending[*t] > 0) else {
            return Some(order);
        };
        let mut path = vec![start];
        let mut cur = start;
        while let Some(next) = edges[cur].iter().copied().find(|u| pending[*u] > 0) {
            if let Some(at) = path.iter().position(|p| *p == next) {
                let cycle: Vec<&str> = path[at..]
                    .iter()
                    .chain(std::iter::once(&next))
                    .map(|t| types[*t].name.as_str())
                    .collect();
                self.err(
                    &format!("types.{}", types[next].name),
                    format!("type cycle: {}", cycle.join(" → ")),
                );
                return None;
            }
            path.push(next);
            cur = next;
        }
        self.err("types", "type cycle");
        None
    }

    fn sizes_and_depth(&mut self, types: &mut [TypeInfo], order: &[TypeId]) {
        let mut depth = vec![1usize; types.len()];
        for &t in order {
            let mut size: u64 = 0;
            let mut d = 1;
            for (i, f) in types[t].fields.iter().enumerate() {
                let (elem, inner) = match &f.kind {
                    FieldKind::Int(k) => (k.bytes(), 0),
                    FieldKind::Bytes(ByteLen::Fixed(n)) => (*n, 0),
                    FieldKind::Bytes(ByteLen::Field(_)) => (0, 0),
                    FieldKind::Bytes(ByteLen::Prefix(k)) => (k.bytes(), 0),
                    FieldKind::Type(id) => (types[*id].min_size, depth[*id]),
                    FieldKind::OneOf(ids) => (
                        ids.iter().map(|id| types[*id].min_size).min().unwrap_or(0),
                        ids.iter().map(|id| depth[*id]).max().unwrap_or(0),
                    ),
                };
                d = d.max(inner + 1);
                let times = match f.repeat {
                    Repeat::One => 1,
                    Repeat::Count(n) => n,
                    Repeat::Field(_) | Repeat::Eof => 0,
                };
                if f.repeat != Repeat::One && elem == 0 {
                    self.err(
                        &format!("types.{}.fields[{i}]", types[t].name),
                        format!(
                            "`{}` repeats an element that can be zero bytes long, so the parse could not advance",
                            f.name
                        ),
                    );
                }
                size = size.saturating_add(elem.saturating_mul(times));
            }
            types[t].min_size = size;
            depth[t] = d;
            if d > MAX_DEPTH {
                self.err(
                    &format!("types.{}", types[t].name),
                    format!(
                        "types nest {d} deep under `{}`; the limit is {MAX_DEPTH}",
                        types[t].name
                    ),
                );
                return;
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

fn known(types: &HashMap<String, TypeId>) -> String {
    let mut names: Vec<&str> = types.keys().map(String::as_str).collect();
    names.sort_unstable();
    if names.is_empty() {
        String::new()
    } else {
        format!(
            " (known types: {}; integers u8…u64, i8…i64; bytes)",
            names.join(", ")
        )
    }
}
