//! Any JSON as a design patch document, applied to a fixed mission: never a panic; a patch
//! that applies gives a file that reads back as a mission whose signal and history are the
//! old ones, and every comment outside the design is kept.
#![no_main]

use exemplar_formats::patch::DesignPatch;
use libfuzzer_sys::fuzz_target;

const MISSION: &str = "# kept\nid: m\nname: M\n\ndesign:\n  # ideas\n  - id: S0\n    name: Idea\n    aspect_id: null\n    detail: { type: tenet, content: text }\n\n  - id: S1\n    name: D\n    aspect_id: S0\n    detail:\n      invariant: holds   # why\n      constraint: 'quoted'\n  - id: S2\n    name: E\n    aspect_id: S1\n    status: proposed\n\n# evidence\nsignal:\n  - id: T0\n    ref: tests/t.rs::a\n    spec_ids: [S1]\n";

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<DesignPatch>(data) else {
        return;
    };
    let path = std::path::Path::new("mission.yaml");
    let mission = exemplar_mission::parse_str(path, MISSION).unwrap();
    let tests = [exemplar_mission::patch::LinkedTest {
        reference: "tests/t.rs::a".into(),
        ids: vec!["S1".into()],
    }];
    if let Ok(p) = exemplar_mission::patch::apply(&mission, &doc.operations, doc.base.as_deref(), &tests) {
        let back = exemplar_mission::parse_str(path, &p.text).expect("a patched file parses");
        assert_eq!(back.signal, mission.signal);
        for kept in ["# kept", "# evidence"] {
            assert!(p.text.contains(kept), "{kept} lost");
        }
    }
});
