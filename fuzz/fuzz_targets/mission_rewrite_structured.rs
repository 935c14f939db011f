//! Structured missions (`arbitrary`): a design tree with names and detail that YAML must
//! quote, written in block or flow style, with or without CRLF, a BOM, comments, and existing
//! evidence; any such file that parses, rewritten with any update, reads back exactly and keeps
//! every byte outside `signal:` and `history:`.
#![no_main]

use arbitrary::Arbitrary;
use exemplar_fuzz_support::{check_rewrite, evidence};
use libfuzzer_sys::fuzz_target;

#[path = "../support.rs"]
mod exemplar_fuzz_support;

#[derive(Debug, Arbitrary)]
struct Node {
    parent: Option<u8>,
    name: String,
    invariant: Option<String>,
    status: u8,
    flow_detail: bool,
    comment: Option<String>,
}

#[derive(Debug, Arbitrary)]
struct Doc {
    name: String,
    nodes: Vec<Node>,
    crlf: bool,
    bom: bool,
    old_signal: bool,
    trailing: Option<String>,
    seed: [u8; 8],
}

/// A scalar as JSON writes it: always valid YAML.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn render(doc: &Doc) -> String {
    let mut t = format!("# a mission\nid: m\nname: {}\ndesign:\n", q(&doc.name));
    for (i, n) in doc.nodes.iter().take(40).enumerate() {
        if let Some(c) = &n.comment {
            t.push_str(&format!("  # {}\n", c.replace(['\n', '\r'], " ")));
        }
        t.push_str(&format!("  - id: S{i}\n    name: {}\n", q(&n.name)));
        match n.parent.map(|p| p as usize % (i.max(1))) {
            Some(p) if i > 0 => t.push_str(&format!("    aspect_id: S{p}\n")),
            _ => t.push_str("    aspect_id: null\n"),
        }
        match n.status % 4 {
            0 => t.push_str("    status: proposed\n"),
            1 => t.push_str("    status: retired\n"),
            2 => t.push_str("    status: active\n"),
            _ => {}
        }
        if let Some(inv) = &n.invariant {
            if n.flow_detail {
                t.push_str(&format!("    detail: {{ invariant: {} }}\n", q(inv)));
            } else {
                t.push_str(&format!("    detail:\n      invariant: {}\n", q(inv)));
            }
        }
    }
    if doc.old_signal {
        t.push_str("\nsignal:\n  - id: T0\n    ref: tests/old.rs::gone\n    spec_ids: [S0]\n");
    }
    if let Some(tail) = &doc.trailing {
        t.push_str(&format!("# {}\n", tail.replace(['\n', '\r'], " ")));
    }
    if doc.crlf {
        t = t.replace('\n', "\r\n");
    }
    if doc.bom {
        t.insert(0, '\u{feff}');
    }
    t
}

fuzz_target!(|doc: Doc| {
    let text = render(&doc);
    let path = std::path::Path::new("mission.yaml");
    let Ok(mission) = exemplar_mission::parse_str(path, &text) else {
        return;
    };
    let (signal, history) = evidence(&mission, &doc.seed);
    check_rewrite(&mission, &signal, &history);
});
