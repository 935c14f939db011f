//! Where the design's nodes and their keys sit in the text of a mission file: the byte spans a
//! patch edits. Only block-style design lists are laid out; a flow-style list or node is
//! reported as such, and the patch refuses to edit it rather than rewrite it whole.

use marked_yaml::types::MarkedMappingNode;
use marked_yaml::{LoaderOptions, Node as YNode};

/// The text of a mission file cut into lines, with byte offsets.
pub(super) struct Lines<'a> {
    pub(super) src: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(super) fn of(src: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { src, starts }
    }

    /// The offset where 1-based `line` starts (the end of the text past the last line).
    pub(super) fn start(&self, line: usize) -> usize {
        self.starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.src.len())
    }

    /// The text of 1-based `line` without its line break.
    pub(super) fn text(&self, line: usize) -> &'a str {
        self.src[self.start(line)..self.start(line + 1)].trim_end_matches(['\n', '\r'])
    }

    /// The offset just past the content of `line` (before its line break).
    pub(super) fn content_end(&self, line: usize) -> usize {
        self.start(line) + self.text(line).len()
    }

    /// The byte offset of a 1-based line and character column.
    pub(super) fn offset(&self, line: usize, column: usize) -> usize {
        let start = self.start(line);
        let text = &self.src[start..];
        start
            + text
                .char_indices()
                .nth(column.saturating_sub(1))
                .map(|(i, _)| i)
                .unwrap_or(text.len())
    }

    pub(super) fn count(&self) -> usize {
        self.starts.len()
    }

    /// Whether `line` holds nothing but blanks or a comment.
    pub(super) fn is_filler(&self, line: usize) -> bool {
        let t = self.text(line).trim();
        t.is_empty() || t.starts_with('#')
    }

    /// `last` moved back over trailing blank and comment lines, not before `first`.
    pub(super) fn trim_back(&self, first: usize, mut last: usize) -> usize {
        while last > first && self.is_filler(last) {
            last -= 1;
        }
        last
    }
}

/// A key of a block or flow mapping and its value.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) key: String,
    /// Byte offset of the key.
    pub(super) key_at: usize,
    pub(super) key_line: usize,
    /// Byte offset where the value's node starts (for an empty value, wherever the parser put it).
    pub(super) value_at: usize,
    pub(super) value_line: usize,
    /// The value is a mapping (block or flow), with its layout.
    pub(super) map: Option<Mapping>,
    /// The value is a scalar that reads as null.
    pub(super) null: bool,
}

/// A mapping's keys, in file order.
#[derive(Debug, Clone)]
pub(super) struct Mapping {
    pub(super) flow: bool,
    /// Byte offset of `{` for a flow mapping, of the first key for a block one.
    pub(super) at: usize,
    pub(super) entries: Vec<Entry>,
}

/// One node of `design:`.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) id: String,
    /// The first line of the item (its `-`) and the last line of its content.
    pub(super) first: usize,
    pub(super) last: usize,
    /// 1-based columns of its `-` and of its keys.
    pub(super) dash_column: usize,
    pub(super) key_column: usize,
    pub(super) map: Mapping,
}

/// The design list of a mission file.
pub(super) struct Layout {
    pub(super) items: Vec<Item>,
    /// Most nodes are set apart by a blank line (comments above a node count with it), so a
    /// new node is too.
    pub(super) separated: bool,
}

/// Lay out the design of `body` (a mission file without its byte order mark). `Err` says why
/// the design cannot be edited in place.
pub(super) fn layout(body: &str, lines: &Lines) -> Result<Layout, String> {
    let options = LoaderOptions::default().error_on_duplicate_keys(true);
    let root = std::panic::catch_unwind(|| marked_yaml::parse_yaml_with_options(0, body, options))
        .map_err(|_| "unsupported yaml construct".to_owned())?
        .map_err(|e| e.to_string())?;
    let top = root.as_mapping().ok_or("the top level is not a mapping")?;
    let design = top.get_node("design").ok_or("it has no `design:`")?;
    let seq = design
        .as_sequence()
        .filter(|_| !starts_with(body, lines, design, '['))
        .ok_or(
            "its `design:` is not a block list (`- id: ...` lines); write it that way to patch it",
        )?;
    // Where the design list ends: the next line at column 1 that is not part of the list (a
    // `-`), a comment or empty: the next top-level key or a document marker. (The text parsed
    // may have its evidence blanked; the lines are the file's.)
    let design_line = line_of(design);
    let section_end = (design_line + 1..=lines.count())
        .find(|l| {
            let t = lines.text(*l);
            !t.is_empty() && !t.starts_with([' ', '\t', '#', '-'])
        })
        .map(|l| l - 1)
        .unwrap_or(lines.count());
    let mut items: Vec<Item> = Vec::new();
    for node in seq.iter() {
        let Some(map) = node.as_mapping() else {
            return Err("a design node is not a mapping".into());
        };
        if starts_with(body, lines, node, '{') {
            let id = map.get_scalar("id").map(|s| s.as_str()).unwrap_or("?");
            return Err(format!(
                "design node {id} is a flow mapping (`{{ ... }}`); write it in block style to patch it"
            ));
        }
        let mapping = mapping(body, lines, map, false);
        let key_line = mapping.entries.first().map(|e| e.key_line).unwrap_or(1);
        let key_column = map
            .keys()
            .next()
            .and_then(|k| k.span().start())
            .map(|m| m.column())
            .unwrap_or(1);
        let (first, dash_column) = dash_of(lines, key_line, key_column);
        items.push(Item {
            id: map
                .get_scalar("id")
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            first,
            last: key_line,
            dash_column,
            key_column,
            map: mapping,
        });
    }
    let n = items.len();
    for i in 0..n {
        let next = items
            .get(i + 1)
            .map(|it| it.first - 1)
            .unwrap_or(section_end);
        let first = items[i].first;
        items[i].last = lines.trim_back(first, next.max(first));
    }
    let apart = items
        .iter()
        .skip(1)
        .filter(|it| {
            let mut line = it.first - 1;
            while line > 1 && lines.text(line).trim_start().starts_with('#') {
                line -= 1;
            }
            lines.text(line).trim().is_empty()
        })
        .count();
    let separated = n > 1 && apart * 2 > n - 1;
    Ok(Layout { items, separated })
}

fn mapping(body: &str, lines: &Lines, map: &MarkedMappingNode, flow: bool) -> Mapping {
    let at = map
        .span()
        .start()
        .map(|m| lines.offset(m.line(), m.column()))
        .unwrap_or(0);
    let entries = map
        .iter()
        .map(|(k, v)| {
            let key = k.span().start();
            let value = v.span().start();
            let map = v.as_mapping().map(|m| {
                let flow = flow || starts_with(body, lines, v, '{');
                mapping(body, lines, m, flow)
            });
            Entry {
                key: k.as_str().to_owned(),
                key_at: key.map(|m| lines.offset(m.line(), m.column())).unwrap_or(0),
                key_line: key.map(|m| m.line()).unwrap_or(1),
                value_at: value
                    .map(|m| lines.offset(m.line(), m.column()))
                    .unwrap_or(0),
                value_line: value.map(|m| m.line()).unwrap_or(1),
                map,
                null: v.as_scalar().is_some_and(|s| {
                    s.may_coerce() && matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL")
                }),
            }
        })
        .collect();
    Mapping { flow, at, entries }
}

/// The line and column of an item's `-`: on its first key's line, else alone on a line above.
fn dash_of(lines: &Lines, key_line: usize, key_column: usize) -> (usize, usize) {
    let before: String = lines.text(key_line).chars().take(key_column - 1).collect();
    if let Some(i) = before.rfind('-') {
        return (key_line, before[..i].chars().count() + 1);
    }
    let mut line = key_line;
    while line > 1 {
        line -= 1;
        let t = lines.text(line);
        if t.trim() == "-" {
            return (line, t.find('-').map(|i| i + 1).unwrap_or(1));
        }
        if !lines.is_filler(line) {
            break;
        }
    }
    (key_line, key_column.saturating_sub(2).max(1))
}

fn line_of(node: &YNode) -> usize {
    node.span().start().map(|m| m.line()).unwrap_or(1)
}

fn starts_with(body: &str, lines: &Lines, node: &YNode, c: char) -> bool {
    node.span()
        .start()
        .map(|m| body[lines.offset(m.line(), m.column())..].starts_with(c))
        .unwrap_or(false)
}
