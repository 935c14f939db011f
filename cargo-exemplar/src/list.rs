//! `cargo exemplar list` (and `run -- --list`): every test of the selected packages, with its
//! binary, its design ids and whether a run with the same arguments would run it. Nothing
//! runs, and neither the mission files nor the journal are touched.
//!
//! The JSON document (`--message-format json`) is schema `exemplar-list`, version 1:
//! [`exemplar_formats::list::ListDocument`].

use std::fmt::Write;

use exemplar_formats::events::Plan;
use exemplar_formats::list::{ListDocument, ListedTest};

use crate::cli::{ListArgs, MessageFormat};
use crate::errors::{Error, ExitCode};
use crate::style::{ColorChoice, Style};

/// `cargo exemplar list`.
pub fn command(args: &ListArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    let doc = exemplar_runner::listing::list(&args.into())?;
    match args.message_format {
        MessageFormat::Human => print!("{}", render(&doc, color.for_stdout())),
        MessageFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("the listing serializes")
        ),
    }
    Ok(
        if doc
            .binaries
            .iter()
            .any(|b| b.error.is_some() || !b.stranded.is_empty())
        {
            ExitCode::Failed
        } else {
            ExitCode::Ok
        },
    )
}

/// The listing for people: a block per binary, then what is not run, then the counts.
pub fn render(doc: &ListDocument, style: Style) -> String {
    let mut out = String::new();
    let width = doc
        .binaries
        .iter()
        .flat_map(|b| &b.tests)
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    for b in &doc.binaries {
        let harness = match b.harness.as_str() {
            "exemplar" => ", exemplar harness",
            _ => "",
        };
        let _ = writeln!(
            out,
            "{}",
            style.bold(&format!(
                "{} ({} {}){harness}:",
                b.package, b.kind, b.target
            ))
        );
        if let Some(e) = &b.error {
            let _ = writeln!(out, "    {}", style.bad(e.trim_end()));
        } else if b.tests.is_empty() {
            let _ = writeln!(out, "    {}", style.dim("(no tests)"));
        }
        for t in &b.tests {
            let plan = match t.plan {
                Plan::Run => String::new(),
                Plan::Ignored => style.warn("ignored"),
                Plan::Filtered => style.dim("filtered"),
                Plan::OtherShard => style.dim("in another shard"),
            };
            let line = format!("    {:<width$}  {:<10}  {plan}", t.name, t.ids.join(","));
            let _ = writeln!(out, "{}", line.trim_end());
        }
        for t in &b.stranded {
            let place = format!(
                "{}:{}",
                t.file.as_deref().unwrap_or("?"),
                t.line.unwrap_or(0)
            );
            let line = format!(
                "    {:<width$}  {:<10}  {} ({place}: compiled, but no harness runs it)",
                t.name,
                t.ids.join(","),
                style.bad("stranded")
            );
            let _ = writeln!(out, "{line}");
        }
    }
    if !doc.not_run.is_empty() {
        let _ = writeln!(out, "{}", style.bold("not run by exemplar:"));
        for u in &doc.not_run {
            let what = match u.kind.as_str() {
                "doctest" => format!("the doctests of library {}", u.target),
                kind => format!("{kind} {}", u.target),
            };
            let _ = writeln!(out, "    {}: {what} ({})", u.package, u.reason);
        }
    }
    let _ = writeln!(out, "\n{}", summary(doc));
    out
}

fn summary(doc: &ListDocument) -> String {
    let tests: Vec<&ListedTest> = doc.binaries.iter().flat_map(|b| &b.tests).collect();
    let count = |p: Plan| tests.iter().filter(|t| t.plan == p).count();
    let tagged = tests.iter().filter(|t| !t.ids.is_empty()).count();
    let stranded: usize = doc.binaries.iter().map(|b| b.stranded.len()).sum();
    let stranded = if stranded > 0 {
        format!("; {stranded} stranded (compiled, never run)")
    } else {
        String::new()
    };
    let elsewhere = match count(Plan::OtherShard) {
        0 => String::new(),
        n => format!(", {n} in other shards"),
    };
    format!(
        "{} tests in {} binaries ({tagged} tagged, {} untagged): {} would run, {} filtered out, {} ignored{elsewhere}{stranded}",
        tests.len(),
        doc.binaries.len(),
        tests.len() - tagged,
        count(Plan::Run),
        count(Plan::Filtered),
        count(Plan::Ignored),
    )
}
