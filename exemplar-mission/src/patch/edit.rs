//! The text edits of one patch step: a value replaced where it stands, a key line inserted
//! after a mapping's last key, a node's lines removed or a new node's lines inserted. Nothing
//! else in the file moves: comments, blank lines, quoting and key order stay as written.

use super::layout::{Entry, Item, Layout, Lines, Mapping};
use crate::render::{Ctx, scalar};

/// Replace `start..end` of the text with `text`.
#[derive(Debug)]
pub(super) struct Edit {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) text: String,
}

/// One change to one node, as the steps of a patch apply them.
#[derive(Debug)]
pub(super) enum Step<'a> {
    /// Set a key of the node itself (`name`, `status`, `aspect_id`) to a text, or to null.
    Set {
        id: &'a str,
        key: &'a str,
        value: Option<String>,
    },
    /// Set (`Some`) or remove (`None`) a key of the node's `detail:`.
    Detail {
        id: &'a str,
        key: &'a str,
        value: Option<&'a str>,
    },
    /// Remove the node's lines.
    Remove { id: &'a str },
    /// Insert a node's lines after the lines of node `after`.
    Insert { after: String, node: NewNode<'a> },
}

/// A node to insert, as text values.
#[derive(Debug)]
pub(super) struct NewNode<'a> {
    pub(super) id: &'a str,
    pub(super) name: &'a str,
    pub(super) parent: Option<&'a str>,
    pub(super) status: Option<&'a str>,
    pub(super) detail: Vec<(&'a str, &'a str)>,
}

/// Where a step writes. `Err` says why the file's layout does not allow it.
pub(super) fn edit(
    step: &Step,
    layout: &Layout,
    lines: &Lines,
    eol: &str,
) -> Result<Option<Edit>, String> {
    let item = |id: &str| {
        layout
            .items
            .iter()
            .find(|it| it.id == id)
            .ok_or_else(|| format!("design node {id} was not found in the text"))
    };
    match step {
        Step::Set { id, key, value } => {
            let it = item(id)?;
            let value = match value {
                Some(v) => scalar(v, Ctx::Block),
                None => "null".to_owned(),
            };
            set_block(lines, &it.map, it.last, it.key_column, key, &value, eol).map(Some)
        }
        Step::Detail { id, key, value } => detail(lines, item(id)?, key, *value, eol),
        Step::Remove { id } => {
            let it = item(id)?;
            // Where nodes are set apart by a blank line, the blank line above goes too, so a
            // node added and then removed leaves the file as it was.
            let first =
                if layout.separated && it.first > 1 && lines.text(it.first - 1).trim().is_empty() {
                    it.first - 1
                } else {
                    it.first
                };
            Ok(Some(Edit {
                start: lines.start(first),
                end: lines.start(it.last + 1),
                text: String::new(),
            }))
        }
        Step::Insert { after, node } => {
            let anchor = item(after)?;
            let mut text = render_node(node, anchor.dash_column, anchor.key_column, eol);
            if layout.separated {
                text.insert_str(0, eol);
            }
            Ok(Some(insert_after(lines, anchor.last, text, eol)))
        }
    }
}

fn detail(
    lines: &Lines,
    it: &Item,
    key: &str,
    value: Option<&str>,
    eol: &str,
) -> Result<Option<Edit>, String> {
    let at = it.map.entries.iter().position(|e| e.key == "detail");
    let Some(at) = at else {
        let Some(v) = value else { return Ok(None) };
        let indent = " ".repeat(it.key_column - 1);
        let text = format!(
            "{indent}detail:{eol}{indent}  {key}: {}{eol}",
            scalar(v, Ctx::Block)
        );
        return Ok(Some(insert_after(lines, it.last, text, eol)));
    };
    let entry = &it.map.entries[at];
    let (_, last) = region(lines, &it.map.entries, at, it.last);
    match (&entry.map, value) {
        (None, None) => Ok(None),
        (None, Some(v)) if entry.null => {
            let inner = " ".repeat(it.key_column + 1);
            let colon = colon_after(lines.src, entry)?;
            Ok(Some(Edit {
                start: colon + 1,
                end: lines.content_end(last),
                text: format!("{eol}{inner}{key}: {}", scalar(v, Ctx::Block)),
            }))
        }
        (None, Some(_)) => Err(format!("the detail of {} is not a mapping", it.id)),
        (Some(map), _) if map.flow => flow(lines, map, key, value),
        (Some(map), None) => match map.entries.iter().position(|e| e.key == key) {
            None => Ok(None),
            Some(j) => {
                let (a, b) = region(lines, &map.entries, j, last);
                Ok(Some(Edit {
                    start: lines.start(a),
                    end: lines.start(b + 1),
                    text: String::new(),
                }))
            }
        },
        (Some(map), Some(v)) => {
            let column = column_of(
                lines,
                map.entries.first().map(|e| e.key_at).unwrap_or(map.at),
            );
            set_block(lines, map, last, column, key, &scalar(v, Ctx::Block), eol).map(Some)
        }
    }
}

/// Set `key` of a block mapping whose content ends on line `last`: its value replaced, or a
/// line inserted after the mapping's last key, at `column`.
fn set_block(
    lines: &Lines,
    map: &Mapping,
    last: usize,
    column: usize,
    key: &str,
    value: &str,
    eol: &str,
) -> Result<Edit, String> {
    let Some(j) = map.entries.iter().position(|e| e.key == key) else {
        let text = format!("{}{key}: {value}{eol}", " ".repeat(column - 1));
        let end = lines.trim_back(1, last);
        return Ok(insert_after(lines, end, text, eol));
    };
    let e = &map.entries[j];
    let (_, b) = region(lines, &map.entries, j, last);
    if !e.null
        && e.map.is_none()
        && e.value_line == e.key_line
        && b == e.key_line
        && let Some(end) = scalar_end(lines.src, e.value_at, false)
    {
        return Ok(Edit {
            start: e.value_at,
            end,
            text: value.to_owned(),
        });
    }
    // A value over several lines, a block scalar, null or a nested collection: replaced
    // from just after the colon to the end of the key's last line.
    let colon = colon_after(lines.src, e)?;
    Ok(Edit {
        start: colon + 1,
        end: lines.content_end(b),
        text: format!(" {value}"),
    })
}

/// Set or remove `key` of a flow mapping (`{ type: tenet, content: ... }`).
fn flow(
    lines: &Lines,
    map: &Mapping,
    key: &str,
    value: Option<&str>,
) -> Result<Option<Edit>, String> {
    let src = lines.src;
    let unsupported = || "a detail value inside `{ ... }` that is not a one-line text".to_owned();
    let end_of = |e: &Entry| {
        if e.map.is_some() || e.null {
            None
        } else {
            scalar_end(src, e.value_at, true)
        }
    };
    match (map.entries.iter().position(|e| e.key == key), value) {
        (Some(j), Some(v)) => {
            let e = &map.entries[j];
            let end = end_of(e).ok_or_else(unsupported)?;
            Ok(Some(Edit {
                start: e.value_at,
                end,
                text: scalar(v, Ctx::Flow),
            }))
        }
        (None, Some(v)) => {
            let text = format!("{}: {}", scalar(key, Ctx::Flow), scalar(v, Ctx::Flow));
            match map.entries.last() {
                Some(e) => {
                    let end = end_of(e).ok_or_else(unsupported)?;
                    Ok(Some(Edit {
                        start: end,
                        end,
                        text: format!(", {text}"),
                    }))
                }
                None => Ok(Some(Edit {
                    start: map.at + 1,
                    end: map.at + 1,
                    text: format!(" {text} "),
                })),
            }
        }
        (Some(j), None) => {
            let e = &map.entries[j];
            let end = end_of(e).ok_or_else(unsupported)?;
            let after = &src[end..];
            let skip = after.len() - after.trim_start_matches([' ', '\t']).len();
            if after[skip..].starts_with(',') {
                let rest = &after[skip + 1..];
                let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
                return Ok(Some(Edit {
                    start: e.key_at,
                    end: end + skip + 1 + spaces,
                    text: String::new(),
                }));
            }
            // The last key: the comma before it goes with it.
            let start = match j.checked_sub(1).map(|p| &map.entries[p]) {
                Some(prev) => end_of(prev).ok_or_else(unsupported)?,
                None => e.key_at,
            };
            Ok(Some(Edit {
                start,
                end,
                text: String::new(),
            }))
        }
        (None, None) => Ok(None),
    }
}

/// Lines `first..=last` of entry `j` of a block mapping whose content ends on `map_last`.
fn region(lines: &Lines, entries: &[Entry], j: usize, map_last: usize) -> (usize, usize) {
    let first = entries[j].key_line;
    let next = entries
        .get(j + 1)
        .map(|e| e.key_line.saturating_sub(1))
        .unwrap_or(map_last)
        .max(first);
    (first, lines.trim_back(first, next))
}

/// `text` inserted on the line after `line`, the line ended first when the file ends on it.
fn insert_after(lines: &Lines, line: usize, text: String, eol: &str) -> Edit {
    let at = lines.start(line + 1);
    let text = if at == lines.src.len() && !lines.src.is_empty() && !lines.src.ends_with('\n') {
        format!("{eol}{}", text.strip_suffix(eol).unwrap_or(&text))
    } else {
        text
    };
    Edit {
        start: at,
        end: at,
        text,
    }
}

fn render_node(n: &NewNode, dash: usize, key: usize, eol: &str) -> String {
    let pad = " ".repeat(key - 1);
    let dash_pad = " ".repeat(dash - 1);
    let gap = " ".repeat(key.saturating_sub(dash + 1).max(1));
    let mut out = format!("{dash_pad}-{gap}id: {}{eol}", scalar(n.id, Ctx::Block));
    out.push_str(&format!("{pad}name: {}{eol}", scalar(n.name, Ctx::Block)));
    let parent = n
        .parent
        .map(|p| scalar(p, Ctx::Block))
        .unwrap_or_else(|| "null".into());
    out.push_str(&format!("{pad}aspect_id: {parent}{eol}"));
    if let Some(s) = n.status {
        out.push_str(&format!("{pad}status: {s}{eol}"));
    }
    if !n.detail.is_empty() {
        out.push_str(&format!("{pad}detail:{eol}"));
        for (k, v) in &n.detail {
            out.push_str(&format!(
                "{pad}  {}: {}{eol}",
                scalar(k, Ctx::Block),
                scalar(v, Ctx::Block)
            ));
        }
    }
    out
}

/// The 1-based character column of a byte offset.
fn column_of(lines: &Lines, at: usize) -> usize {
    let start = lines.src[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    lines.src[start..at].chars().count() + 1
}

/// The offset of the `:` after an entry's key.
fn colon_after(src: &str, e: &Entry) -> Result<usize, String> {
    let rest = &src[e.key_at..];
    let key_len = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => quoted_end(rest, q).ok_or("an unterminated quoted key")?,
        _ => e.key.len(),
    };
    let after = &src[e.key_at + key_len..];
    let skip = after.len() - after.trim_start_matches([' ', '\t']).len();
    if after[skip..].starts_with(':') {
        Ok(e.key_at + key_len + skip)
    } else {
        Err(format!("no `:` after the key `{}`", e.key))
    }
}

/// Where a one-line scalar that starts at `at` ends; `None` when it does not end on its line
/// (a block scalar, a quoted text over several lines).
fn scalar_end(src: &str, at: usize, in_flow: bool) -> Option<usize> {
    let rest = &src[at..];
    let line = &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())];
    match line.chars().next()? {
        q @ ('"' | '\'') => quoted_end(line, q).map(|n| at + n),
        '|' | '>' => None,
        _ => {
            let mut end = line.len();
            if let Some(i) = line.find(" #").or_else(|| line.find("\t#")) {
                end = end.min(i);
            }
            if in_flow && let Some(i) = line.find([',', '}', ']']) {
                end = end.min(i);
            }
            Some(at + line[..end].trim_end().len())
        }
    }
}

/// The length of a quoted scalar at the start of `text`, quotes included.
fn quoted_end(text: &str, quote: char) -> Option<usize> {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && chars.peek().is_some_and(|(_, n)| *n == '\'') {
                chars.next();
                continue;
            }
            return Some(i + 1);
        }
    }
    None
}
