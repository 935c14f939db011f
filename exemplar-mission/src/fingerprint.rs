//! Directive fingerprints: BLAKE3 of a node's normalized name and detail.
//!
//! When a directive's fingerprint changes, its loss curve starts a new era and evidence recorded
//! before the change counts as stale: a changed invariant is never shown as verified by tests
//! that ran against the old one. Normalization makes the fingerprint blind to what does not
//! change meaning: surrounding and repeated whitespace, and the order of `detail` keys.

use std::fmt;

use crate::model::{DetailValue, Node};

/// A node's fingerprint.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a design node.
    pub fn of(node: &Node) -> Fingerprint {
        let mut h = blake3::Hasher::new();
        h.update(b"exemplar.fingerprint.v1\0");
        put_text(&mut h, &node.name);
        let mut keys: Vec<&(String, DetailValue)> = node.detail.0.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        h.update(&(keys.len() as u64).to_le_bytes());
        for (k, v) in keys {
            put_text(&mut h, k);
            put_value(&mut h, v);
        }
        Fingerprint(*h.finalize().as_bytes())
    }

    /// All 64 hex digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The first 16 hex digits, as kept in a mission file's history.
    pub fn short(&self) -> String {
        self.to_hex()[..16].to_owned()
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.short())
    }
}

fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn put_text(h: &mut blake3::Hasher, text: &str) {
    let t = normalize(text);
    h.update(&(t.len() as u64).to_le_bytes());
    h.update(t.as_bytes());
}

fn put_value(h: &mut blake3::Hasher, v: &DetailValue) {
    match v {
        DetailValue::Text(t) => {
            h.update(b"t");
            put_text(h, t);
        }
        DetailValue::List(items) => {
            h.update(b"l");
            h.update(&(items.len() as u64).to_le_bytes());
            for i in items {
                put_value(h, i);
            }
        }
        DetailValue::Map(entries) => {
            h.update(b"m");
            let mut sorted: Vec<&(String, DetailValue)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            h.update(&(sorted.len() as u64).to_le_bytes());
            for (k, v) in sorted {
                put_text(h, k);
                put_value(h, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Detail, Pos, Status};

    fn node(name: &str, detail: &[(&str, &str)]) -> Node {
        Node {
            id: "S1".into(),
            name: name.into(),
            aspect_id: Some("S0".into()),
            status: Status::Active,
            detail: Detail(
                detail
                    .iter()
                    .map(|(k, v)| (k.to_string(), DetailValue::Text(v.to_string())))
                    .collect(),
            ),
            pos: Pos::default(),
            aspect_pos: Pos::default(),
        }
    }

    #[test]
    fn whitespace_and_key_order_do_not_change_it() {
        let a = node(
            "Write-Ahead Log",
            &[("invariant", "a → b"), ("constraint", "c")],
        );
        let b = node(
            " Write-Ahead  Log ",
            &[("constraint", "c"), ("invariant", "a  →\n b")],
        );
        assert_eq!(Fingerprint::of(&a), Fingerprint::of(&b));
    }

    #[test]
    fn a_changed_invariant_changes_it() {
        let a = node(
            "Write-Ahead Log",
            &[("invariant", "write → log.append → ack")],
        );
        let b = node(
            "Write-Ahead Log",
            &[("invariant", "write → disk.append → ack")],
        );
        assert_ne!(Fingerprint::of(&a), Fingerprint::of(&b));
        let c = node(
            "Write-Ahead Log 2",
            &[("invariant", "write → log.append → ack")],
        );
        assert_ne!(Fingerprint::of(&a), Fingerprint::of(&c));
    }

    #[test]
    fn key_and_value_boundaries_are_unambiguous() {
        let a = node("n", &[("ab", "c")]);
        let b = node("n", &[("a", "bc")]);
        assert_ne!(Fingerprint::of(&a), Fingerprint::of(&b));
    }

    #[test]
    fn short_is_a_prefix_of_hex() {
        let f = Fingerprint::of(&node("x", &[]));
        assert_eq!(f.short().len(), 16);
        assert!(f.to_hex().starts_with(&f.short()));
    }
}
