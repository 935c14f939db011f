//! Rendering the `signal:` and `history:` sections as YAML text.
//!
//! The layout is fixed and compact (flow mappings for results, indented block sequences), and
//! every scalar is written plain only when it is unambiguously a string in YAML 1.1 and 1.2;
//! anything else is double-quoted with JSON escapes (valid YAML). The rewrite parses the result
//! back and compares it with what was meant, so a rendering mistake cannot reach the disk.

use std::fmt::Write;

use crate::model::{HistoryEntry, SignalEntry};
use crate::parse::is_rfc3339;

/// Where a scalar goes: block context allows `,[]{}` in plain scalars, flow context does not.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Ctx {
    Block,
    Flow,
}

pub(crate) fn is_plain_safe(s: &str, ctx: Ctx) -> bool {
    if s.is_empty() || s.trim() != s {
        return false;
    }
    if is_rfc3339(s) {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "~" | "null"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".nan"
            | ".inf"
            | "-.inf"
            | "+.inf"
    ) {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    // Anything that could be read as a number (1, 0x1f, 1e3, .5, +1, 1_000, 1:20) is quoted.
    if first.is_ascii_digit() || matches!(first, '.' | '+' | '-') {
        return false;
    }
    if matches!(
        first,
        '?' | ':'
            | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '#'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    ) {
        return false;
    }
    if s.ends_with(':') || s.contains(": ") || s.contains(" #") || s.contains('\t') {
        return false;
    }
    if s.chars().any(|c| c.is_control() || c == '\u{feff}') {
        return false;
    }
    if ctx == Ctx::Flow
        && s.chars()
            .any(|c| matches!(c, ',' | '[' | ']' | '{' | '}' | ':'))
    {
        return false;
    }
    true
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{feff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(crate) fn scalar(s: &str, ctx: Ctx) -> String {
    if is_plain_safe(s, ctx) {
        s.to_owned()
    } else {
        quoted(s)
    }
}

/// A float with at least one decimal (`0.0`, `0.3333`, `1.0`).
fn number(v: f64) -> String {
    let s = format!("{v}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

fn flow_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| scalar(s, Ctx::Flow)).collect();
    format!("[{}]", inner.join(", "))
}

fn flow_map<'a>(entries: impl Iterator<Item = (&'a str, String)>) -> String {
    let inner: Vec<String> = entries
        .map(|(k, v)| format!("{}: {v}", scalar(k, Ctx::Flow)))
        .collect();
    if inner.is_empty() {
        "{}".into()
    } else {
        format!("{{ {} }}", inner.join(", "))
    }
}

/// The `signal:` section, ending with a newline.
pub(crate) fn signal(entries: &[SignalEntry]) -> String {
    if entries.is_empty() {
        return "signal: []\n".into();
    }
    let mut out = String::from("signal:\n");
    for e in entries {
        let _ = writeln!(out, "  - id: {}", e.id);
        let _ = writeln!(out, "    ref: {}", scalar(&e.reference, Ctx::Block));
        let _ = writeln!(out, "    spec_ids: {}", flow_list(&e.spec_ids));
        if let Some(r) = &e.result {
            let _ = writeln!(
                out,
                "    result: {}",
                flow_map(
                    [
                        ("outcome", r.outcome.as_str().to_owned()),
                        ("duration", number(r.duration)),
                        ("timestamp", scalar(&r.timestamp, Ctx::Flow)),
                    ]
                    .into_iter()
                )
            );
        }
    }
    out
}

/// The `history:` section, ending with a newline.
pub(crate) fn history(entries: &[HistoryEntry]) -> String {
    if entries.is_empty() {
        return "history: []\n".into();
    }
    let mut out = String::from("history:\n");
    for h in entries {
        let _ = writeln!(out, "  - iteration: {}", h.iteration);
        let _ = writeln!(out, "    timestamp: {}", scalar(&h.timestamp, Ctx::Block));
        if let Some(c) = &h.commit {
            let _ = writeln!(out, "    commit: {}", scalar(c, Ctx::Block));
        }
        let _ = writeln!(out, "    loss: {}", number(h.loss));
        if let Some(d) = h.delta {
            let _ = writeln!(out, "    delta: {}", number(d));
        }
        let _ = writeln!(
            out,
            "    directives: {}",
            flow_map(h.directives.iter().map(|(k, v)| (k.as_str(), number(*v))))
        );
        let _ = writeln!(
            out,
            "    design: {{ added: {}, changed: {}, removed: {} }}",
            flow_list(&h.design.added),
            flow_list(&h.design.changed),
            flow_list(&h.design.removed)
        );
        if let Some(n) = &h.note {
            let _ = writeln!(out, "    note: {}", scalar(n, Ctx::Block));
        }
        let _ = writeln!(
            out,
            "    fingerprints: {}",
            flow_map(
                h.fingerprints
                    .iter()
                    .map(|(k, v)| (k.as_str(), scalar(v, Ctx::Flow)))
            )
        );
        if let Some(n) = h.next_test_id {
            let _ = writeln!(out, "    next_test_id: {n}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_only_when_unambiguous() {
        for s in [
            "tests/kv.rs::wal_ordering",
            "S1",
            "ok then",
            "a → b",
            "2025-12-01T13:00:00Z",
        ] {
            assert!(is_plain_safe(s, Ctx::Block), "{s}");
        }
        for s in [
            "", " x", "true", "No", "1a2b3c4", "0x1f", "-1", ".5", "a: b", "x #y", "*x", "&x",
            "!x", "'q", "\"q", "a\nb", "end:", "null", "~", "@x", "`x",
        ] {
            assert!(!is_plain_safe(s, Ctx::Block), "{s:?}");
        }
        assert!(!is_plain_safe("a,b", Ctx::Flow));
        assert!(is_plain_safe("a,b", Ctx::Block));
    }

    #[test]
    fn quoting_escapes_json_style() {
        assert_eq!(quoted("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }

    #[test]
    fn numbers_keep_a_decimal() {
        assert_eq!(number(0.0), "0.0");
        assert_eq!(number(1.0), "1.0");
        assert_eq!(number(0.3333), "0.3333");
        assert_eq!(number(-0.5), "-0.5");
    }
}
