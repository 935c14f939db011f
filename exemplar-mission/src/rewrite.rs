//! Rewriting a mission file: only `signal:` and `history:` change; every other byte stays.
//!
//! The top-level mapping must be in block style (keys at column 1), which is how mission files
//! are written. A section spans from its key's line to the next top-level key, minus the
//! comment and blank lines right before that key (they belong to what follows). A missing
//! section is added: `signal:` before `history:` or at the end, `history:` after `signal:`.
//!
//! The new text is parsed back before anything is written: if the design, signal or history it
//! reads differs from what was meant, nothing is written. The write is atomic: a temporary file
//! in the same folder with the original's permissions, fsync, a check that the file on disk is
//! still the one that was read, rename over it, fsync of the folder.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::errors::RewriteError;
use crate::fingerprint::Fingerprint;
use crate::model::{HistoryEntry, Mission, SignalEntry};
use crate::{parse, render};

/// The full text of `mission` with its `signal:` and `history:` replaced.
pub fn render(
    mission: &Mission,
    signal: &[SignalEntry],
    history: &[HistoryEntry],
) -> Result<String, RewriteError> {
    // A byte order mark stays where it was, outside the text the positions count in.
    let (bom, src) = match mission.source.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", mission.source.as_str()),
    };
    if src.contains('\r') && !src.contains('\n') {
        return Err(RewriteError::Unsupported {
            path: mission.path.clone(),
            reason: "its line breaks are CR alone; the rewrite keeps a file's line breaks and knows LF and CRLF: convert it to LF".into(),
        });
    }
    let lines = Lines::of(src);
    for (key, line) in &mission.top_keys {
        let text = &src[lines.start(*line)..];
        let bare = text.starts_with(key.as_str());
        let quoted =
            text.starts_with(&format!("\"{key}\"")) || text.starts_with(&format!("'{key}'"));
        if !bare && !quoted {
            return Err(RewriteError::Unsupported {
                path: mission.path.clone(),
                reason: "its top-level mapping is not in block style (keys at column 1)".into(),
            });
        }
    }
    // New lines take the line break most of the file's lines have.
    let crlf = src.matches("\r\n").count() * 2 > src.matches('\n').count();
    let fix_newlines = |s: String| if crlf { s.replace('\n', "\r\n") } else { s };
    let signal_text = fix_newlines(render::signal(signal));
    let history_text = fix_newlines(render::history(history));
    let eol = if crlf { "\r\n" } else { "\n" };

    // Edits as (start, end, text), applied from the back.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let signal_span = section_span(mission, &lines, "signal");
    let history_span = section_span(mission, &lines, "history");
    match (signal_span, history_span) {
        (Some(s), Some(h)) => {
            edits.push((s.0, s.1, signal_text));
            edits.push((h.0, h.1, history_text));
        }
        (Some(s), None) => {
            edits.push((s.0, s.1, format!("{signal_text}{history_text}")));
        }
        (None, Some(h)) => {
            edits.push((h.0, h.1, format!("{signal_text}{history_text}")));
        }
        (None, None) => {
            // At the end of the document (before a `...` that ends it), the line before
            // terminated.
            let both = format!("{signal_text}{history_text}");
            let at = document_end(&lines);
            let text = if at == 0 || src[..at].ends_with('\n') {
                both
            } else {
                format!("{eol}{both}")
            };
            edits.push((at, at, text));
        }
    }
    // If a section ran to the end of a file without a final newline, it is replaced whole.
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = src.to_owned();
    for (start, end, text) in edits {
        out.replace_range(start..end, &text);
    }
    out.insert_str(0, bom);
    check_round_trip(mission, &out, signal, history)?;
    Ok(out)
}

/// Where the document's content ends: the start of a `...` line that ends it (with only
/// comments and blank lines after), else the end of the text.
fn document_end(lines: &Lines) -> usize {
    let mut line = lines.count();
    while line >= 1 {
        let t = lines.text(line).trim_end_matches(['\n', '\r']);
        if t.starts_with("...") {
            return lines.start(line);
        }
        if !(t.trim().is_empty() || t.starts_with('#')) {
            break;
        }
        line -= 1;
    }
    lines.src.len()
}

/// The byte offset where each line of a text starts.
struct Lines<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn of(src: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { src, starts }
    }

    /// The offset of 1-based `line` (the end of the text past the last line).
    fn start(&self, line: usize) -> usize {
        self.starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.src.len())
    }

    /// The text of 1-based `line`, with its line break.
    fn text(&self, line: usize) -> &'a str {
        &self.src[self.start(line)..self.start(line + 1)]
    }

    fn count(&self) -> usize {
        self.starts.len()
    }
}

/// The byte span of a top-level section: from its key to the next key, a document marker, or
/// the end, leaving column-1 comments and blank lines before the next key outside it.
fn section_span(mission: &Mission, lines: &Lines, key: &str) -> Option<(usize, usize)> {
    let idx = mission.top_keys.iter().position(|(k, _)| k == key)?;
    let line = mission.top_keys[idx].1;
    let mut end_line = match mission.top_keys.get(idx + 1) {
        Some((_, next)) => *next,
        None => lines.count() + 1,
    };
    if let Some(marker) = (line + 1..end_line)
        .find(|l| lines.text(*l).starts_with("---") || lines.text(*l).starts_with("..."))
    {
        end_line = marker;
    }
    while end_line > line + 1 {
        let t = lines.text(end_line - 1).trim_end_matches(['\n', '\r']);
        if t.trim().is_empty() || t.starts_with('#') {
            end_line -= 1;
        } else {
            break;
        }
    }
    Some((lines.start(line), lines.start(end_line)))
}

fn check_round_trip(
    mission: &Mission,
    text: &str,
    signal: &[SignalEntry],
    history: &[HistoryEntry],
) -> Result<(), RewriteError> {
    let fail = |detail: String| RewriteError::RoundTrip {
        path: mission.path.clone(),
        detail,
    };
    let back = parse::parse_str(&mission.path, text).map_err(|e| fail(e.to_string()))?;
    let design_key = |m: &Mission| {
        m.design
            .iter()
            .map(|n| {
                (
                    n.id.clone(),
                    n.aspect_id.clone(),
                    n.status,
                    Fingerprint::of(n),
                )
            })
            .collect::<Vec<_>>()
    };
    if design_key(&back) != design_key(mission)
        || back.id != mission.id
        || back.name != mission.name
    {
        return Err(fail("the design reads differently".into()));
    }
    if back.signal != signal {
        return Err(fail("the signal reads differently".into()));
    }
    if back.history != history {
        return Err(fail("the history reads differently".into()));
    }
    Ok(())
}

/// Replace the file at `path` with `text`, atomically, if it still holds `original`.
pub fn write_atomic(path: &Path, original: &str, text: &str) -> Result<(), RewriteError> {
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| RewriteError::Io { path: p, source }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let perms = fs::metadata(path).map_err(io(path))?.permissions();
    // The writer's pid in the name: a sweep leaves the file of a writer that is still at work.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".mission.{}.", std::process::id()))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io(dir))?;
    tmp.write_all(text.as_bytes()).map_err(io(tmp.path()))?;
    fs::set_permissions(tmp.path(), perms).map_err(io(tmp.path()))?;
    tmp.as_file().sync_all().map_err(io(tmp.path()))?;
    let now = fs::read(path).map_err(io(path))?;
    if now != original.as_bytes() {
        return Err(RewriteError::ChangedOnDisk {
            path: path.to_owned(),
        });
    }
    tmp.persist(path).map_err(|e| RewriteError::Io {
        path: path.to_owned(),
        source: e.error,
    })?;
    sync_dir(dir).map_err(io(dir))?;
    Ok(())
}

/// Remove the temporary files [`write_atomic`] left beside `path` when it was killed between
/// writing and renaming (`.mission.PID.*.tmp`, whose writer is gone); the removed paths.
/// cargo exemplar calls it while it holds the journal's writer lock, which every journaled
/// rewrite takes; the pid spares a rewrite that takes no lock (`--no-journal`, the merge
/// driver) while it is at work.
pub fn sweep_temporaries(path: &Path) -> Vec<std::path::PathBuf> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(".mission.") && name.ends_with(".tmp") && !writer_alive(&name, e)
        })
        .filter(|e| fs::remove_file(e.path()).is_ok())
        .map(|e| e.path())
        .collect()
}

/// Whether the writer of temporary file `name` may still be at work: its pid (after
/// `.mission.`) names a live process (Linux: `/proc/PID`), or, where that cannot be told, the
/// file changed in the last minute.
fn writer_alive(name: &str, entry: &fs::DirEntry) -> bool {
    let pid = name
        .strip_prefix(".mission.")
        .and_then(|rest| rest.split('.').next())
        .and_then(|pid| pid.parse::<u32>().ok());
    let Some(pid) = pid else {
        return false;
    };
    if pid == std::process::id() {
        return false;
    }
    if cfg!(target_os = "linux") {
        return Path::new("/proc").join(pid.to_string()).exists();
    }
    entry
        .metadata()
        .and_then(|m| m.modified())
        .is_ok_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() < 60))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}
