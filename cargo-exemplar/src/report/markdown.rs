//! A Markdown summary for a CI step summary (`$GITHUB_STEP_SUMMARY`): regressions first, then
//! failing tests, then the loss table. Table cells escape `|` and line breaks.

use std::fmt::Write as _;

use exemplar_formats::headline;

use super::data::ReportData;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
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
        "Run `{}`{}{}.\n",
        latest.run_id,
        latest
            .commit
            .as_deref()
            .map(|c| format!(" on `{c}`"))
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
            "| `{}` | {} | {} | {}{more} |",
            cell(&t.reference),
            cell(&t.ids.join(", ")),
            t.word(),
            cell(line)
        );
    }
    out.push('\n');
}
