//! `cargo exemplar list` (and `run -- --list`): every test of the selected packages, with its
//! binary, its design ids and whether a run with the same arguments would run it. Nothing
//! runs, and neither the mission files nor the journal are touched.
//!
//! The JSON document (`--message-format json`) is schema `exemplar-list`, version 1: see
//! [`ListDocument`].

use std::fmt::Write;

use exemplar::events::Plan;
use serde::Serialize;

use crate::cli::{ListArgs, MessageFormat};
use crate::compile;
use crate::errors::{Error, ExitCode};
use crate::run::exec::{self, ExecOptions};
use crate::run::listing::{self, Listing};
use crate::run::session::design_filter;
use crate::style::{ColorChoice, Style};
use crate::workspace::{self, UnrunTarget};

/// The listing, as one document.
#[derive(Debug, Serialize)]
pub struct ListDocument {
    /// Always `exemplar-list`.
    pub format: &'static str,
    /// Schema version (1).
    pub version: u32,
    /// Every test binary of the selected packages, in cargo's order.
    pub binaries: Vec<ListedBinary>,
    /// Tests that exist but that exemplar does not run (doctests, examples, benches).
    pub not_run: Vec<UnrunTarget>,
}

/// One test binary.
#[derive(Debug, Serialize)]
pub struct ListedBinary {
    /// Package name.
    pub package: String,
    /// Target name.
    pub target: String,
    /// `lib`, `test`, `bin`, `example` or `bench`.
    pub kind: String,
    /// `exemplar` (its tests can carry design ids), `libtest`, or `unknown` when it could not
    /// list its tests.
    pub harness: &'static str,
    /// Its tests, in the harness's order.
    pub tests: Vec<ListedTest>,
    /// Why it could not list its tests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One test.
#[derive(Debug, Serialize)]
pub struct ListedTest {
    /// libtest name.
    pub name: String,
    /// Its design ids (empty: untagged).
    pub ids: Vec<String>,
    /// Source file, as the compiler named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Line of the function.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// `run`, `ignored` or `filtered`.
    pub plan: Plan,
}

/// `cargo exemplar list`.
pub fn command(args: &ListArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    let doc = document(args)?;
    match args.message_format {
        MessageFormat::Human => print!("{}", render(&doc, color.for_stdout())),
        MessageFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("the listing serializes")
        ),
    }
    Ok(if doc.binaries.iter().any(|b| b.error.is_some()) {
        ExitCode::Failed
    } else {
        ExitCode::Ok
    })
}

/// Build the selected packages' tests and list them.
pub fn document(args: &ListArgs) -> Result<ListDocument, Error> {
    let discovery = workspace::discover(&args.selection)?;
    let design = design_filter(&discovery, &args.design)?;
    let binaries = compile::build(&args.selection, &discovery.packages)?;
    let scratch = exec::scratch_dir()?;
    let mut listed = Vec::new();
    for bin in &binaries {
        let Some(pkg) = discovery.packages.iter().find(|p| p.name == bin.package) else {
            continue;
        };
        let opts = ExecOptions {
            design: design.clone(),
            ..ExecOptions::for_package(&pkg.dir, &pkg.name, scratch.path())
        };
        let listing = listing::list_binary(&bin.path, &opts, &args.harness_args)?;
        listed.push(listed_binary(bin, listing));
    }
    Ok(ListDocument {
        format: "exemplar-list",
        version: 1,
        binaries: listed,
        not_run: discovery
            .packages
            .iter()
            .flat_map(|p| p.not_run.iter().cloned())
            .collect(),
    })
}

fn listed_binary(bin: &compile::TestBinary, listing: Listing) -> ListedBinary {
    let (harness, tests, error) = match listing {
        Listing::Exemplar(inventory) => (
            "exemplar",
            inventory
                .into_iter()
                .map(|t| ListedTest {
                    name: t.name,
                    ids: t.ids,
                    file: Some(t.file),
                    line: Some(t.line),
                    plan: t.plan,
                })
                .collect(),
            None,
        ),
        Listing::Libtest(tests) => (
            "libtest",
            tests
                .into_iter()
                .map(|(name, plan)| ListedTest {
                    name,
                    ids: Vec::new(),
                    file: None,
                    line: None,
                    plan,
                })
                .collect(),
            None,
        ),
        Listing::Failed { status, output } => (
            "unknown",
            Vec::new(),
            Some(format!(
                "the binary {status} when asked for its tests:\n{output}"
            )),
        ),
    };
    ListedBinary {
        package: bin.package.clone(),
        target: bin.target.clone(),
        kind: bin.kind.clone(),
        harness,
        tests,
        error,
    }
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
        let untagged = if b.harness == "exemplar" {
            ""
        } else {
            ", untagged"
        };
        let _ = writeln!(
            out,
            "{}",
            style.bold(&format!(
                "{} ({} {}){untagged}:",
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
            };
            let line = format!("    {:<width$}  {:<10}  {plan}", t.name, t.ids.join(","));
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    if !doc.not_run.is_empty() {
        let _ = writeln!(out, "{}", style.bold("not run by exemplar:"));
        for u in &doc.not_run {
            let what = match u.kind {
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
    format!(
        "{} tests in {} binaries ({tagged} tagged, {} untagged): {} would run, {} filtered out, {} ignored",
        tests.len(),
        doc.binaries.len(),
        tests.len() - tagged,
        count(Plan::Run),
        count(Plan::Filtered),
        count(Plan::Ignored),
    )
}
