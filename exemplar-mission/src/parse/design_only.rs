//! Reading only what a compile-time check needs: the design. `signal:` and `history:` are most
//! of a mission file that has seen many runs (1.5 of 1.7 MB at 10,000 tests), and `#[design]`
//! reads the file in a proc macro that a dev build compiles without optimisation, so parsing
//! them would cost every build of the tests a second or more.

use std::path::Path;

use crate::errors::MissionErrors;
use crate::model::Mission;

/// [`parse_str`](super::parse_str) of `text` with its top-level `signal:` and `history:`
/// sections left out: their lines are kept, empty, so every position in the rest is the
/// file's. The result has an empty signal and history. When that text does not parse, the
/// whole text is parsed, so the errors are those of the file.
pub fn parse_design_str(path: &Path, text: &str) -> Result<Mission, MissionErrors> {
    match without_evidence(text) {
        Some(design) => super::parse_str(path, &design).or_else(|_| super::parse_str(path, text)),
        None => super::parse_str(path, text),
    }
}

/// `text` with the lines of its block-style top-level `signal:` and `history:` sections
/// emptied (their line breaks kept); `None` when it has neither. A section runs from its key
/// at column 1 to the next line at column 1 that is not part of a block sequence (`-`), a
/// comment or empty: the next key, or a document marker.
pub(crate) fn without_evidence(text: &str) -> Option<String> {
    let mut found = false;
    let out = map_evidence(text, |line, out| {
        found = true;
        let content = line.trim_end_matches(['\r', '\n']);
        out.push_str(&line[content.len()..]);
    });
    found.then_some(out)
}

/// `text` without the lines of its top-level `signal:` and `history:` sections (as
/// [`without_evidence`] finds them): what a mission file says besides its evidence, to compare
/// two versions of it.
pub fn outside_evidence(text: &str) -> String {
    map_evidence(text, |_, _| {})
}

/// `text` split for reading its `signal:` section apart ([`super::canonical`]): the text with
/// the section's header line made `signal: []` and its entries' lines emptied (positions
/// kept), and the entries' lines. `None` unless the section is in block style.
pub(super) fn split_signal(text: &str) -> Option<(String, String)> {
    let mut entries = String::new();
    let mut header = false;
    let rest = map_sections(text, &["signal:"], |line, out| {
        let content = line.trim_end_matches(['\r', '\n']);
        if !header {
            header = true;
            if content != "signal:" {
                // Not the block style the rewrite writes (`signal: []`, a comment after it).
                out.push_str(line);
                return;
            }
            out.push_str("signal: []");
        } else {
            entries.push_str(line);
        }
        out.push_str(&line[content.len()..]);
    });
    (header && !entries.is_empty()).then_some((rest, entries))
}

/// `text` with each line of its evidence sections passed to `evidence` instead of copied.
fn map_evidence(text: &str, evidence: impl FnMut(&str, &mut String)) -> String {
    map_sections(text, &["signal:", "history:"], evidence)
}

/// `text` with each line of its top-level sections `keys` passed to `evidence` instead of
/// copied.
fn map_sections(text: &str, keys: &[&str], mut evidence: impl FnMut(&str, &mut String)) -> String {
    let is_evidence_key = |line: &str| {
        keys.iter().any(|k| {
            line.strip_prefix(k).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n', '#'])
            })
        })
    };
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let starts_at_column_one = !line.starts_with([' ', '\t', '-', '#', '\r', '\n']);
        if starts_at_column_one {
            inside = is_evidence_key(line);
        }
        if inside {
            evidence(line, &mut out);
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MISSION: &str = r#"id: m
name: M
design:
  - id: S0
    name: Idea
    aspect_id: null
    detail: { type: tenet, content: it works }
  - id: S1
    name: Works
    aspect_id: S0
    detail: { invariant: it works }
signal:
- id: T0
  ref: tests/a.rs::a
  spec_ids: [S1]
  result: { outcome: passed, duration: 0.5, timestamp: 2026-01-01T00:00:00Z }
# a comment
history:
  - iteration: 1
    timestamp: 2026-01-01T00:00:00Z
    commit: "225fc8e"
    loss: 0.0
    directives: { S1: 0.0 }
    design: { added: [S0, S1], changed: [], removed: [] }
    fingerprints: { S0: "5fd7a732952abb92", S1: "931a7d4b2f6f926b" }
    next_test_id: 1
lang: Rust
"#;

    #[test]
    fn the_design_is_read_as_the_whole_file_reads_it() {
        let path = Path::new("mission.yaml");
        let whole = crate::parse_str(path, MISSION).unwrap();
        let design = parse_design_str(path, MISSION).unwrap();
        assert_eq!(design.design, whole.design);
        assert!(design.signal.is_empty() && design.history.is_empty());
        assert!(!whole.signal.is_empty());
        let blanked = without_evidence(MISSION).unwrap();
        assert_eq!(blanked.lines().count(), MISSION.lines().count());
        assert!(blanked.contains("lang: Rust") && !blanked.contains("T0"));
        let crlf = MISSION.replace('\n', "\r\n");
        assert_eq!(
            without_evidence(&crlf).unwrap(),
            blanked.replace('\n', "\r\n")
        );
    }

    #[test]
    fn an_error_in_the_design_keeps_its_line_and_one_in_the_evidence_is_none() {
        let path = Path::new("mission.yaml");
        let bad_design = MISSION.replace("aspect_id: S0", "aspect_id: S9");
        let both = |t: &str| {
            let a = crate::parse_str(path, t).unwrap_err().to_string();
            let b = parse_design_str(path, t).unwrap_err().to_string();
            (a, b)
        };
        let (whole, design) = both(&bad_design);
        assert_eq!(whole, design);
        assert!(design.contains(":10:"), "{design}");
        // An error only in the evidence is no error of the design.
        let bad_signal = MISSION.replace("outcome: passed", "outcome: [");
        assert!(crate::parse_str(path, &bad_signal).is_err());
        let design = parse_design_str(path, &bad_signal).unwrap();
        assert_eq!(design.design.len(), 2);
        // Text the blanking cannot read as sections is parsed whole.
        let flow = "{id: m, name: M, design: [], signal: [}";
        assert_eq!(
            crate::parse_str(path, flow).unwrap_err().to_string(),
            parse_design_str(path, flow).unwrap_err().to_string()
        );
        assert_eq!(without_evidence("id: m\ndesign: []\n"), None);
    }
}
