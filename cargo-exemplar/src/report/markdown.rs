//! A Markdown summary for a CI step summary (`$GITHUB_STEP_SUMMARY`): regressions first, then
//! failing tests, then the loss table. Every name and message is text, whatever it holds: a CI
//! page renders HTML inside Markdown, so `<`, `>` and `&` become entities, the characters of
//! Markdown's own syntax are escaped, `|` cannot end a table cell, and line breaks cannot end a
//! row.

use std::fmt::Write as _;

use exemplar_formats::headline;

use super::data::ReportData;

/// `s` as the text of a table cell (or a heading).
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `s` as a code span in a table cell: fenced by more backticks than it holds in a row, its
/// `|` escaped (GitHub's tables split cells before reading code spans).
fn code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let text = s.replace('|', "\\|").replace(['\n', '\r'], " ");
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn l(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "–".into())
}

/// The summary.
pub fn render(d: &ReportData) -> String {
    let mut out = String::from("## cargo exemplar\n\n");
    let Some(latest) = d.latest() else {
        out.push_str("The journal has no runs yet.\n");
        return out;
    };
    let _ = writeln!(
        out,
        "Run {}{}{}.\n",
        code(&latest.run_id),
        latest
            .commit
            .as_deref()
            .map(|c| format!(" on {}", code(c)))
            .unwrap_or_default(),
        if latest.complete() {
            ""
        } else {
            " (incomplete)"
        }
    );
    write_regressions(&mut out, d);
    write_failing(&mut out, d);
    for m in &d.missions {
        let _ = writeln!(out, "### Mission {} — loss {}\n", cell(&m.id), l(m.loss));
        out.push_str("| ID | name | status | loss |\n|---|---|---|---|\n");
        for n in &m.nodes {
            let _ = writeln!(
                out,
                "| {} | {}{} | {} | {} |",
                cell(&n.id),
                "&nbsp;&nbsp;".repeat(n.depth),
                cell(&n.name),
                n.status.as_str(),
                l(n.loss)
            );
        }
        out.push('\n');
    }
    out
}

/// Losses that rose since the previous run.
fn write_regressions(out: &mut String, d: &ReportData) {
    let rises: Vec<_> = d
        .diff
        .iter()
        .flat_map(|(_, _, x)| x.loss.iter())
        .filter(|c| c.to.unwrap_or(0.0) > c.from.unwrap_or(0.0))
        .collect();
    if rises.is_empty() {
        return;
    }
    out.push_str("### Regressions since the previous run\n\n| mission | directive | before | after |\n|---|---|---|---|\n");
    for c in rises {
        let name = if c.node.is_empty() {
            "(mission)"
        } else {
            c.node.as_str()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&c.mission),
            cell(name),
            l(c.from),
            l(c.to)
        );
    }
    out.push('\n');
}

/// The failing tests of the latest run, each with the line of its message that says what
/// went wrong (marked `…` when the message has more; `cargo exemplar show` prints it whole).
fn write_failing(out: &mut String, d: &ReportData) {
    let failing: Vec<_> = d.tests.iter().filter(|t| t.is_failing()).collect();
    if failing.is_empty() {
        return;
    }
    out.push_str(
        "### Failing tests\n\n| test | directives | outcome | message |\n|---|---|---|---|\n",
    );
    for t in failing {
        let msg = t.message.as_deref().unwrap_or("");
        let line = headline(msg);
        let more = if msg.trim() != line { " …" } else { "" };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {}{more} |",
            code(&t.reference),
            cell(&t.ids.join(", ")),
            t.word(),
            cell(line)
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_code_spans_hold_text_only() {
        assert_eq!(
            cell("a<img src=x onerror=alert(1)>|b & *c*"),
            "a&lt;img src=x onerror=alert(1)&gt;\\|b &amp; \\*c\\*"
        );
        assert_eq!(
            cell("[x](javascript:1)\nnext"),
            "\\[x\\](javascript:1) next"
        );
        assert_eq!(code("a::b"), "`a::b`");
        assert_eq!(code("a`b|c"), "``a`b\\|c``");
        assert_eq!(code("`x"), "`` `x ``");
    }
}
