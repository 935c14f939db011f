//! A design as a [`DesignSnapshot`]: what a run keeps in the journal so the design it
//! measured can be shown as it was.

use exemplar_formats::design::{DesignNode, DesignSnapshot};
use serde_json::Value;

use crate::model::{DetailValue, Node};

/// The snapshot of `design`, and its bytes as the journal stores them (JSON).
pub fn snapshot(design: &[Node]) -> (DesignSnapshot, Vec<u8>) {
    let snap = DesignSnapshot {
        version: 1,
        nodes: design
            .iter()
            .map(|n| DesignNode {
                id: n.id.clone(),
                name: n.name.clone(),
                parent: n.aspect_id.clone(),
                status: n.status,
                detail: n
                    .detail
                    .0
                    .iter()
                    .map(|(k, v)| (k.clone(), value(v)))
                    .collect(),
            })
            .collect(),
    };
    let bytes = serde_json::to_vec(&snap).expect("a snapshot serializes");
    (snap, bytes)
}

fn value(v: &DetailValue) -> Value {
    match v {
        DetailValue::Text(t) => Value::String(t.clone()),
        DetailValue::List(items) => Value::Array(items.iter().map(value).collect()),
        DetailValue::Map(entries) => {
            Value::Object(entries.iter().map(|(k, v)| (k.clone(), value(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_back_as_the_design() {
        let m = crate::parse_str(
            std::path::Path::new("m.yaml"),
            "id: m\nname: M\ndesign:\n  - id: S0\n    name: Idea\n    detail: { type: tenet, tags: [a, b] }\n  - id: S1\n    name: D\n    aspect_id: S0\n    status: proposed\n",
        )
        .unwrap();
        let (snap, bytes) = snapshot(&m.design);
        let back: DesignSnapshot = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, snap);
        assert_eq!(back.nodes[0].detail["tags"], serde_json::json!(["a", "b"]));
        assert_eq!(back.depth(&back.nodes[1]), 1);
        assert_eq!(
            back.nodes[1].status,
            exemplar_formats::design::Status::Proposed
        );
    }
}
