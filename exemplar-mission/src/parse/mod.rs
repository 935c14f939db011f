//! Reading a mission file: YAML with positions (marked-yaml) walked into the [`Mission`] model,
//! then validated as a whole. Every problem is collected with its line and column, so a user
//! sees all of them at once.
//!
//! - `reader`: the walk's context and its typed readers (text, numbers, lists), each
//!   recording a problem with its position instead of failing;
//! - `design`, `signal`, `history`: the sections of the file read into the model;
//! - `validate`: the checks of the whole (ids, parents, cycles).

mod canonical;
mod design;
mod design_only;
mod history;
pub mod keys;
mod reader;
mod signal;
mod validate;

use std::path::Path;

use marked_yaml::LoaderOptions;

use crate::errors::{MissionError, MissionErrors, Problem};
use crate::model::{Mission, Pos};

use reader::{Cx, pos_of};
use validate::validate;

pub(crate) use design_only::without_evidence;
pub use design_only::{outside_evidence, parse_design_str};

/// Read and parse the mission file at `path`. A mission file is UTF-8 text: a file in UTF-16
/// (a byte order mark says so) or with bytes that are not UTF-8 is refused, with where.
pub fn parse_file(path: &Path) -> Result<Mission, MissionErrors> {
    let error = |pos: Pos, why: String| {
        Err(MissionErrors(vec![MissionError {
            path: path.to_owned(),
            pos,
            problem: Problem::Read(why),
        }]))
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return error(Pos { line: 1, column: 1 }, e.to_string()),
    };
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return error(
            Pos { line: 1, column: 1 },
            "the file is UTF-16 (it begins with a UTF-16 byte order mark); a mission file is UTF-8: save it as UTF-8".into(),
        );
    }
    match String::from_utf8(bytes) {
        Ok(text) => parse_str(path, &text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let pos = pos_at(&String::from_utf8_lossy(&bytes[..at]), at);
            error(
                pos,
                format!(
                    "byte 0x{:02x} is not UTF-8 (a mission file is UTF-8: save it as UTF-8)",
                    bytes[at]
                ),
            )
        }
    }
}

/// The 1-based line and column just past `text[..len]`.
fn pos_at(text: &str, len: usize) -> Pos {
    let before = &text[..len.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Pos { line, column }
}

/// Parse mission text; `path` is used in error messages and kept in the result.
pub fn parse_str(path: &Path, text: &str) -> Result<Mission, MissionErrors> {
    // The YAML reader stops at a NUL as if the text ended there: what follows would be lost
    // without a word.
    if let Some(at) = text.find('\0') {
        return Err(MissionErrors(vec![MissionError {
            path: path.to_owned(),
            pos: pos_at(text, at),
            problem: Problem::Syntax(
                "a NUL character; a mission file is text (what follows it would be lost)".into(),
            ),
        }]));
    }
    if let Some(mission) = with_canonical_signal(path, text) {
        return Ok(mission);
    }
    parse_yaml(path, text)
}

/// The mission of `text` when its `signal:` section is in the shape the rewrite writes: that
/// section read line by line ([`canonical`]), the rest as YAML, the whole validated. `None`
/// for anything else, and for any error: the whole text is then read as YAML, so the errors
/// and their positions are the file's.
fn with_canonical_signal(path: &Path, text: &str) -> Option<Mission> {
    let (rest, entries) = design_only::split_signal(text)?;
    let signal = canonical::signal(&entries)?;
    let mut mission = parse_yaml(path, &rest).ok()?;
    mission.signal = signal;
    mission.source = text.to_owned();
    let mut cx = Cx {
        path: path.to_owned(),
        errors: Vec::new(),
    };
    validate(&mut cx, &mission);
    cx.errors.is_empty().then_some(mission)
}

/// Parse mission text as YAML, whole.
fn parse_yaml(path: &Path, text: &str) -> Result<Mission, MissionErrors> {
    let mut cx = Cx {
        path: path.to_owned(),
        errors: Vec::new(),
    };
    // A byte order mark is not part of the YAML; the source keeps it, and so does a rewrite.
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(line) = second_document(body) {
        cx.push(
            Pos { line, column: 1 },
            Problem::Syntax(
                "a second YAML document starts here; a mission file is one document".into(),
            ),
        );
        return Err(cx.finish());
    }
    let options = LoaderOptions::default().error_on_duplicate_keys(true);
    // The loader is not expected to panic, but a mission file is user input: a panic in a
    // dependency must still come out as an error with a position, never as a crash.
    let loaded =
        std::panic::catch_unwind(|| marked_yaml::parse_yaml_with_options(0, body, options));
    let root = match loaded {
        Ok(Ok(root)) => root,
        Ok(Err(e)) => {
            cx.load_error(e);
            return Err(cx.finish());
        }
        Err(_) => {
            cx.push(
                Pos { line: 1, column: 1 },
                Problem::Syntax("unsupported yaml construct".into()),
            );
            return Err(cx.finish());
        }
    };
    let Some(top) = root.as_mapping() else {
        cx.push(pos_of(&root), Problem::TopLevelNotMapping);
        return Err(cx.finish());
    };
    let mission = cx.mission(top, text);
    validate(&mut cx, &mission);
    if cx.errors.is_empty() {
        Ok(mission)
    } else {
        Err(cx.finish())
    }
}

/// The line of a `---` that starts a second document (one after content, or a second one);
/// a `...` end marker followed by more content counts too.
fn second_document(text: &str) -> Option<usize> {
    let mut content = false;
    let mut ended = false;
    for (i, line) in text.lines().enumerate() {
        let marker = |m: &str| {
            line.strip_prefix(m)
                .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t', '#']))
        };
        if marker("---") {
            if content || ended {
                return Some(i + 1);
            }
            content = true;
            continue;
        }
        if marker("...") {
            ended = true;
            continue;
        }
        let t = line.trim();
        // `%YAML` and `%TAG` directives come before the first `---`, which they need.
        if t.is_empty() || t.starts_with('#') || (!content && line.starts_with('%')) {
            continue;
        }
        if ended {
            return Some(i + 1);
        }
        content = true;
    }
    None
}

/// A design id: a letter, then letters, digits or `_` (so it is also a Rust identifier).
pub fn is_design_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
pub fn is_rfc3339(t: &str) -> bool {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !(b[10] == b'T' || b[10] == b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    let rest = &b[i..];
    rest == b"Z"
        || rest == b"z"
        || (rest.len() == 6
            && (rest[0] == b'+' || rest[0] == b'-')
            && rest[1..3].iter().all(u8::is_ascii_digit)
            && rest[3] == b':'
            && rest[4..6].iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod document_tests {
    use super::second_document;

    #[test]
    fn one_document_with_markers_and_directives_is_one() {
        assert_eq!(second_document("id: a\nname: b\n"), None);
        assert_eq!(second_document("---\nid: a\n...\n"), None);
        assert_eq!(second_document("%YAML 1.2\n---\nid: a\n"), None);
        assert_eq!(second_document("id: a\ndetail: |\n  ---\n  text\n"), None);
        assert_eq!(second_document("id: a\n---\nid: b\n"), Some(2));
        assert_eq!(second_document("---\nid: a\n---\n"), Some(3));
        assert_eq!(second_document("id: a\n...\nid: b\n"), Some(3));
    }
}

#[cfg(test)]
mod canonical_tests {
    use std::path::Path;

    use super::{parse_yaml, with_canonical_signal};

    /// Every bundled mission file, written by the rewrite, is read line by line, and read
    /// exactly as the YAML parser reads it.
    #[test]
    fn the_fast_reading_is_the_yaml_reading() {
        let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
        let mut read = 0;
        for entry in std::fs::read_dir(&templates).unwrap() {
            let path = entry.unwrap().path().join("mission.yaml");
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let full = parse_yaml(&path, &text).unwrap();
            let Some(fast) = with_canonical_signal(&path, &text) else {
                assert!(
                    full.signal.is_empty(),
                    "{} was not read fast",
                    path.display()
                );
                continue;
            };
            read += 1;
            assert_eq!(fast.signal, full.signal, "{}", path.display());
            assert_eq!(fast.design, full.design);
            assert_eq!(fast.history, full.history);
            assert_eq!(fast.top_keys, full.top_keys);
            assert_eq!(fast.source, full.source);
            assert_eq!(
                (fast.id, fast.name, fast.lang),
                (full.id, full.name, full.lang)
            );
        }
        assert!(read >= 3, "the bundled missions hold signal");
        // A signal entry that names an id the design lacks reads the same both ways; a
        // quoted ref is left to the YAML reading.
        let kv = std::fs::read_to_string(templates.join("kv/mission.yaml")).unwrap();
        let m = Path::new("m.yaml");
        let odd = kv.replacen("spec_ids: [S", "spec_ids: [S99, S", 1);
        let (fast, full) = (with_canonical_signal(m, &odd), parse_yaml(m, &odd));
        assert_eq!(fast.map(|f| f.signal), full.ok().map(|f| f.signal));
        let quoted = kv
            .replacen("    ref: tests/", "    ref: \"tests/", 1)
            .replacen("\n    spec_ids", "\"\n    spec_ids", 1);
        assert!(with_canonical_signal(m, &quoted).is_none());
        assert_eq!(
            parse_yaml(m, &quoted).unwrap().signal,
            parse_yaml(m, &kv).unwrap().signal
        );
    }
}
