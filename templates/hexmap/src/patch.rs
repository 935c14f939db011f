//! Patches: structured edits of a spec, addressed by paths such as `types.Header.fields[0]`.
//! A patch is applied to a copy of the spec, so it takes effect whole or not at all.
//!
//! ```yaml
//! description: read the format chunk
//! ops:
//!   - { op: add_type, path: types.Fmt, def: { fields: [ { name: id, type: bytes, size: 4 } ] } }
//!   - { op: insert_field, path: types.Fmt, index: -1, field: { name: format, type: u16 } }
//!   - { op: update_field, path: "types.Fmt.fields[1]", set: { registry: wav_format } }
//!   - { op: update_field, path: "types.Fmt.fields[1].name", value: audio_format }
//!   - { op: delete_field, path: "types.Fmt.fields[1]" }
//!   - { op: update_type, path: types.Fmt, set: { endian: big } }
//!   - { op: add_registry_entry, path: registries.wav_format, value: 1, name: PCM }
//! ```
//!
//! (Inside `{ }` a path with `[ ]` is quoted: brackets are YAML syntax there.)

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::errors::PatchError;
use crate::spec::{Props, Scalar, Spec, TypeDef};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A key: `types`, a type name, `fields`, a property.
    Key(String),
    /// A list index: `[0]`.
    Index(usize),
}

/// Parse `types.Header.fields[0].name` into its steps.
pub fn parse_path(path: &str) -> Result<Vec<Seg>, String> {
    if path.is_empty() {
        return Err("empty path".into());
    }
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return Err(format!("empty step in path `{path}`"));
        }
        out.push(Seg::Key(key.to_owned()));
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in path `{path}`"))?;
            let idx = rest[1..close]
                .parse()
                .map_err(|_| format!("`{}` is not an index in path `{path}`", &rest[1..close]))?;
            out.push(Seg::Index(idx));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("unexpected `{rest}` in path `{path}`"));
            }
        }
    }
    Ok(out)
}

/// Write steps back as a path: `types.Header.fields[0]`.
pub fn path_to_string(segs: &[Seg]) -> String {
    let mut s = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// What a path points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `types.T`.
    Type(String),
    /// `types.T.fields[i]`.
    Field(String, usize),
    /// `types.T.fields[i].prop`.
    FieldProp(String, usize, String),
    /// `registries.R`.
    Registry(String),
}

/// Check a path's shape and say what it points at.
pub fn validate_path(path: &str) -> Result<Target, String> {
    let segs = parse_path(path)?;
    let key = |i: usize| match segs.get(i) {
        Some(Seg::Key(k)) => Some(k.clone()),
        _ => None,
    };
    match (key(0).as_deref(), segs.len()) {
        (Some("types"), 2) => key(1).map(Target::Type),
        (Some("types"), 4) => match (&segs[1], &segs[2], &segs[3]) {
            (Seg::Key(t), Seg::Key(f), Seg::Index(i)) if f == "fields" => {
                Some(Target::Field(t.clone(), *i))
            }
            _ => None,
        },
        (Some("types"), 5) => match (&segs[1], &segs[2], &segs[3], &segs[4]) {
            (Seg::Key(t), Seg::Key(f), Seg::Index(i), Seg::Key(p)) if f == "fields" => {
                Some(Target::FieldProp(t.clone(), *i, p.clone()))
            }
            _ => None,
        },
        (Some("registries"), 2) => key(1).map(Target::Registry),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "`{path}` is not a path to a type (types.T), a field (types.T.fields[0]), a field property (types.T.fields[0].name) or a registry (registries.R)"
        )
    })
}

/// One structured edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum PatchOp {
    /// Insert `field` into type `path` before `index` (`-1` appends, `-2` goes before the
    /// last field...).
    InsertField {
        /// `types.T`.
        path: String,
        /// Where; `-1` appends.
        #[serde(default = "append")]
        index: i64,
        /// The field's properties, at least `name` and `type` (or `one_of`).
        field: Props,
    },
    /// Change a field: `set`/`unset` properties at `types.T.fields[i]`, or `value` for the
    /// property at `types.T.fields[i].prop`.
    UpdateField {
        /// `types.T.fields[i]` or `types.T.fields[i].prop`.
        path: String,
        /// Properties to set.
        #[serde(default)]
        set: Props,
        /// Properties to remove.
        #[serde(default)]
        unset: Vec<String>,
        /// The new value, for a property path.
        #[serde(default)]
        value: Option<Scalar>,
    },
    /// Remove the field at `types.T.fields[i]`.
    DeleteField {
        /// `types.T.fields[i]`.
        path: String,
    },
    /// Add the type `types.T`.
    AddType {
        /// `types.T`.
        path: String,
        /// Its properties and fields.
        #[serde(default)]
        def: TypeDef,
    },
    /// Change a type's own properties (`endian`, `doc`).
    UpdateType {
        /// `types.T`.
        path: String,
        /// Properties to set.
        #[serde(default)]
        set: Props,
        /// Properties to remove.
        #[serde(default)]
        unset: Vec<String>,
    },
    /// Name `value` in registry `registries.R` (created when missing).
    AddRegistryEntry {
        /// `registries.R`.
        path: String,
        /// The value.
        #[serde(with = "int")]
        value: i128,
        /// Its name.
        name: String,
    },
}

/// Registry values may need all of i64 and u64; YAML and JSON readers do not all take i128.
mod int {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::spec::Scalar;

    pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
        Scalar::Int(*v).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        match Scalar::deserialize(d)? {
            Scalar::Int(i) => Ok(i),
            other => Err(serde::de::Error::custom(format!(
                "expected an integer, found {other}"
            ))),
        }
    }
}

fn append() -> i64 {
    -1
}

impl PatchOp {
    /// The op's kind as written: `insert_field`...
    pub fn kind(&self) -> &'static str {
        match self {
            PatchOp::InsertField { .. } => "insert_field",
            PatchOp::UpdateField { .. } => "update_field",
            PatchOp::DeleteField { .. } => "delete_field",
            PatchOp::AddType { .. } => "add_type",
            PatchOp::UpdateType { .. } => "update_type",
            PatchOp::AddRegistryEntry { .. } => "add_registry_entry",
        }
    }

    /// The op's path.
    pub fn path(&self) -> &str {
        match self {
            PatchOp::InsertField { path, .. }
            | PatchOp::UpdateField { path, .. }
            | PatchOp::DeleteField { path }
            | PatchOp::AddType { path, .. }
            | PatchOp::UpdateType { path, .. }
            | PatchOp::AddRegistryEntry { path, .. } => path,
        }
    }

    /// Check the op on its own: the path's shape fits the op; a new field has a name and a type.
    pub fn validate(&self) -> Result<(), String> {
        let target = validate_path(self.path())?;
        let shape_ok = matches!(
            (self, &target),
            (PatchOp::InsertField { .. }, Target::Type(_))
                | (
                    PatchOp::UpdateField { .. },
                    Target::Field(..) | Target::FieldProp(..)
                )
                | (PatchOp::DeleteField { .. }, Target::Field(..))
                | (PatchOp::AddType { .. }, Target::Type(_))
                | (PatchOp::UpdateType { .. }, Target::Type(_))
                | (PatchOp::AddRegistryEntry { .. }, Target::Registry(_))
        );
        if !shape_ok {
            return Err(format!(
                "{} does not apply to `{}`",
                self.kind(),
                self.path()
            ));
        }
        match (self, &target) {
            (PatchOp::InsertField { field, .. }, _) => new_field(field),
            (PatchOp::AddType { def, .. }, _) => def.fields.iter().try_for_each(new_field),
            (PatchOp::UpdateField { value, set, .. }, Target::FieldProp(..)) => {
                if value.is_none() || !set.0.is_empty() {
                    Err("a property path takes `value`, not `set`".into())
                } else {
                    Ok(())
                }
            }
            (PatchOp::UpdateField { value: Some(_), .. }, Target::Field(..)) => {
                Err("`value` needs a property path such as types.T.fields[0].name".into())
            }
            (PatchOp::UpdateType { set, unset, .. }, _) => {
                if set.get("fields").is_some() || unset.iter().any(|u| u == "fields") {
                    Err("update_type changes a type's own properties; edit fields with the field ops".into())
                } else {
                    Ok(())
                }
            }
            (PatchOp::AddRegistryEntry { name, .. }, _) if name.is_empty() => {
                Err("a registry entry needs a name".into())
            }
            _ => Ok(()),
        }
    }
}

fn new_field(f: &Props) -> Result<(), String> {
    match f.name() {
        Some(n) if !n.is_empty() => {}
        _ => return Err("a new field needs a `name`".into()),
    }
    if f.get("type").is_none() && f.get("one_of").is_none() {
        return Err(format!(
            "field `{}` needs a `type` (or `one_of`)",
            f.name().unwrap_or("")
        ));
    }
    Ok(())
}

/// A described list of ops, applied together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patch {
    /// Why: what the patch is meant to explain.
    #[serde(default)]
    pub description: String,
    /// The ops, in order.
    pub ops: Vec<PatchOp>,
}

impl fmt::Display for Patch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} ops)", self.description, self.ops.len())
    }
}

impl Patch {
    /// A patch of `ops`.
    pub fn new(description: impl Into<String>, ops: Vec<PatchOp>) -> Self {
        Patch {
            description: description.into(),
            ops,
        }
    }

    /// Check the patch on its own, without a spec: every problem found.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        if self.ops.is_empty() {
            errors.push("the patch has no ops".to_owned());
        }
        for (i, op) in self.ops.iter().enumerate() {
            if let Err(e) = op.validate() {
                errors.push(format!("op {i}: {e}"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Apply every op to a copy of `spec`: the new spec, or the first op that does not fit
    /// (and `spec` is untouched either way).
    pub fn apply(&self, spec: &Spec) -> Result<Spec, PatchError> {
        self.validate().map_err(PatchError::Invalid)?;
        let mut out = spec.clone();
        for (i, op) in self.ops.iter().enumerate() {
            apply_op(&mut out, op).map_err(|message| PatchError::Op {
                op: i,
                kind: op.kind(),
                path: op.path().to_owned(),
                message,
            })?;
        }
        Ok(out)
    }
}

fn apply_op(spec: &mut Spec, op: &PatchOp) -> Result<(), String> {
    let target = validate_path(op.path())?;
    let no_type = |t: &str| format!("no type `{t}`");
    match (op, target) {
        (PatchOp::InsertField { index, field, .. }, Target::Type(t)) => {
            let ty = spec.type_def_mut(&t).ok_or_else(|| no_type(&t))?;
            let name = field.name().unwrap_or("");
            if ty.fields.iter().any(|f| f.name() == Some(name)) {
                return Err(format!("`{t}` already has a field `{name}`"));
            }
            let len = ty.fields.len() as i64;
            let at = if *index < 0 { len + 1 + index } else { *index };
            if !(0..=len).contains(&at) {
                return Err(format!("index {index} is out of range for {len} fields"));
            }
            ty.fields.insert(at as usize, field.clone());
        }
        (
            PatchOp::UpdateField {
                set, unset, value, ..
            },
            target,
        ) => {
            let (t, i, prop) = match target {
                Target::Field(t, i) => (t, i, None),
                Target::FieldProp(t, i, p) => (t, i, Some(p)),
                _ => return Err("not a field path".into()),
            };
            let ty = spec.type_def_mut(&t).ok_or_else(|| no_type(&t))?;
            let n = ty.fields.len();
            let f = ty
                .fields
                .get_mut(i)
                .ok_or_else(|| format!("`{t}` has {n} fields, no field {i}"))?;
            match (prop, value) {
                (Some(p), Some(v)) => f.set(&p, v.clone()),
                _ => {
                    for (k, v) in &set.0 {
                        f.set(k, v.clone());
                    }
                    for k in unset {
                        if !f.remove(k) {
                            return Err(format!("the field has no property `{k}` to unset"));
                        }
                    }
                }
            }
            if f.name().is_none_or(str::is_empty) {
                return Err("a field must keep a name".into());
            }
            let name = f.name().unwrap_or("").to_owned();
            if ty.fields.iter().filter(|f| f.name() == Some(&name)).count() > 1 {
                return Err(format!("`{t}` would have two fields `{name}`"));
            }
        }
        (PatchOp::DeleteField { .. }, Target::Field(t, i)) => {
            let ty = spec.type_def_mut(&t).ok_or_else(|| no_type(&t))?;
            if i >= ty.fields.len() {
                return Err(format!(
                    "`{t}` has {} fields, no field {i}",
                    ty.fields.len()
                ));
            }
            ty.fields.remove(i);
        }
        (PatchOp::AddType { def, .. }, Target::Type(t)) => {
            if spec.type_def(&t).is_some() {
                return Err(format!("type `{t}` already exists"));
            }
            spec.types.push((t, std::sync::Arc::new(def.clone())));
        }
        (PatchOp::UpdateType { set, unset, .. }, Target::Type(t)) => {
            let ty = spec.type_def_mut(&t).ok_or_else(|| no_type(&t))?;
            for (k, v) in &set.0 {
                ty.props.set(k, v.clone());
            }
            for k in unset {
                if !ty.props.remove(k) {
                    return Err(format!("`{t}` has no property `{k}` to unset"));
                }
            }
        }
        (PatchOp::AddRegistryEntry { value, name, .. }, Target::Registry(r)) => {
            let reg = match spec.registries.iter().position(|(n, _)| *n == r) {
                Some(i) => &mut spec.registries[i].1,
                None => {
                    spec.registries.push((r.clone(), Vec::new()));
                    &mut spec.registries.last_mut().ok_or("registry vanished")?.1
                }
            };
            if let Some((_, old)) = reg.iter().find(|(v, _)| v == value) {
                return Err(format!("{value} is already named `{old}` in `{r}`"));
            }
            reg.push((*value, name.clone()));
        }
        (op, _) => return Err(format!("{} does not apply to `{}`", op.kind(), op.path())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_and_write_back() {
        for p in [
            "types.Header",
            "types.Header.fields[0]",
            "types.Header.fields[12].name",
            "registries.kinds",
        ] {
            assert_eq!(path_to_string(&parse_path(p).unwrap()), p);
            assert!(validate_path(p).is_ok(), "{p}");
        }
        for bad in [
            "",
            "types",
            "types.H.fields",
            "types.H.fields[x]",
            "types.H.fields[0",
            "types..H",
            "things.H",
            "types.H.fields[0]x",
            "types.H.fields[0].a.b",
        ] {
            assert!(validate_path(bad).is_err(), "{bad}");
        }
        assert_eq!(
            validate_path("types.H.fields[3].size").unwrap(),
            Target::FieldProp("H".into(), 3, "size".into())
        );
    }
}
