//! The compiled grammar that [`crate::parse_binary`] walks: types by index, every name and
//! length reference resolved, the minimum size of every type known. Only [`crate::lint_grammar`]
//! builds one, so a `Grammar` is always acyclic, bounded in depth and free of references that
//! could stall the parser.

use std::collections::HashMap;

/// Index of a type in its grammar.
pub type TypeId = usize;

/// Byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

/// An integer field's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntKind {
    /// Width: 8, 16, 32 or 64.
    pub bits: u8,
    /// Two's complement when true.
    pub signed: bool,
    /// Byte order.
    pub endian: Endian,
}

impl IntKind {
    /// Width in bytes.
    pub fn bytes(self) -> u64 {
        u64::from(self.bits / 8)
    }

    /// The grammar's name for it: `u32`, `i16`...
    pub fn name(self) -> &'static str {
        match (self.signed, self.bits) {
            (false, 8) => "u8",
            (false, 16) => "u16",
            (false, 32) => "u32",
            (false, 64) => "u64",
            (true, 8) => "i8",
            (true, 16) => "i16",
            (true, 32) => "i32",
            (true, 64) => "i64",
            _ => "int",
        }
    }

    /// Decode from exactly `self.bytes()` bytes.
    pub fn decode(self, b: &[u8]) -> i128 {
        let mut buf = [0u8; 8];
        let n = b.len().min(8);
        match self.endian {
            Endian::Little => buf[..n].copy_from_slice(&b[..n]),
            Endian::Big => {
                for (i, byte) in b[..n].iter().rev().enumerate() {
                    buf[i] = *byte;
                }
            }
        }
        let raw = u64::from_le_bytes(buf);
        if self.signed {
            let shift = 64 - u32::from(self.bits);
            i128::from(((raw << shift) as i64) >> shift)
        } else {
            i128::from(raw)
        }
    }

    /// Whether `v` fits this integer.
    pub fn fits(self, v: i128) -> bool {
        let bits = u32::from(self.bits);
        if self.signed {
            let lim = 1i128 << (bits - 1);
            (-lim..lim).contains(&v)
        } else {
            (0..(1i128 << bits)).contains(&v)
        }
    }
}

/// How long a byte string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteLen {
    /// Always this many bytes.
    Fixed(u64),
    /// The value of an earlier integer field of the same type (its index).
    Field(usize),
    /// An integer prefix read first, then that many bytes.
    Prefix(IntKind),
}

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// An integer.
    Int(IntKind),
    /// A byte string.
    Bytes(ByteLen),
    /// A nested type.
    Type(TypeId),
    /// The first of these types whose constants match.
    OneOf(Vec<TypeId>),
}

/// How many times a field occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Once.
    One,
    /// A fixed count.
    Count(u64),
    /// The value of an earlier integer field of the same type (its index).
    Field(usize),
    /// Until the end of the file.
    Eof,
}

/// A value a field must have (a magic number, a chunk id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Const {
    /// For integer fields.
    Int(i128),
    /// For byte strings.
    Bytes(Vec<u8>),
}

/// One field of a compiled type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    /// Its name, unique in its type.
    pub name: String,
    /// What it holds.
    pub kind: FieldKind,
    /// How often.
    pub repeat: Repeat,
    /// The registry naming its values (integers only).
    pub registry: Option<usize>,
    /// The value it must have.
    pub constant: Option<Const>,
}

/// One compiled type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeInfo {
    /// Its name.
    pub name: String,
    /// Its fields in file order.
    pub fields: Vec<FieldInfo>,
    /// The fewest bytes an instance can take.
    pub min_size: u64,
}

/// A registry: value → name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryInfo {
    /// Its name.
    pub name: String,
    /// Sorted by value.
    pub entries: Vec<(i128, String)>,
}

impl RegistryInfo {
    /// The name of `v`.
    pub fn lookup(&self, v: i128) -> Option<&str> {
        self.entries
            .binary_search_by_key(&v, |(k, _)| *k)
            .ok()
            .map(|i| self.entries[i].1.as_str())
    }
}

/// A checked grammar, ready to parse with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grammar {
    /// The grammar's `name`, or empty.
    pub name: String,
    /// All types; [`TypeId`]s index this.
    pub types: Vec<TypeInfo>,
    /// The type whose fields are the records.
    pub root: TypeId,
    /// The registries.
    pub registries: Vec<RegistryInfo>,
    pub(crate) index: HashMap<String, TypeId>,
}

impl Grammar {
    /// The type called `name`.
    pub fn type_id(&self, name: &str) -> Option<TypeId> {
        self.index.get(name).copied()
    }

    /// The type `id`.
    pub fn ty(&self, id: TypeId) -> &TypeInfo {
        &self.types[id]
    }

    /// Field `field` of type `ty`.
    pub fn field(&self, ty: TypeId, field: usize) -> &FieldInfo {
        &self.types[ty].fields[field]
    }

    /// A short description of a field's kind: `u32`, `bytes`, `Chunk`, `one_of`.
    pub fn kind_name(&self, kind: &FieldKind) -> String {
        match kind {
            FieldKind::Int(k) => k.name().to_owned(),
            FieldKind::Bytes(_) => "bytes".into(),
            FieldKind::Type(t) => self.types[*t].name.clone(),
            FieldKind::OneOf(_) => "one_of".into(),
        }
    }
}
