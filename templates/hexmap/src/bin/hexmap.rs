//! `hexmap`: lint a binary grammar, parse a file with it, measure its coverage, decode a value,
//! and run the improvement loop with candidate patches from a file.
//!
//! Exit codes: 0 ok; 1 the grammar does not lint, the parse stopped on an error, or `iterate`
//! found no improvement; 2 usage error or unreadable input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hexmap::{
    CandidateOutcome, CandidatePool, Grammar, HexmapError, LoopOptions, ParseOptions, ParseResult,
    Patch, Query, SpecStore, analyze_coverage, decode_field, display_value, generate_spans,
    improve, lint_grammar, parse_binary, query_records, record_path,
};

const USAGE: &str = "\
usage: hexmap <command> [options]

commands:
  lint GRAMMAR                      check a grammar; every problem with file:line:column
  parse GRAMMAR FILE                the file's records and values
      [--json] [--max-records N] [--type T] [--where FIELD=VALUE]
  coverage GRAMMAR FILE [--json]    how much of the file the grammar explains, and the gaps
  decode GRAMMAR FILE PATH [--json] one value, such as `chunks[0].sample_rate`
  iterate GRAMMAR FILE --candidates PATCHES.yaml
      [--max-iterations N] [--max-records N] [--out BEST.yaml] [--json]
                                    improve the grammar with the candidate patches:
                                    each round applies every candidate, keeps the best
                                    score, and stops when none improves

exit codes: 0 ok, 1 lint/parse failure or no improvement, 2 usage or input error
";

enum Fail {
    Usage(String),
    Input(HexmapError),
    Failed,
}

impl From<HexmapError> for Fail {
    fn from(e: HexmapError) -> Self {
        Fail::Input(e)
    }
}

impl From<lexopt::Error> for Fail {
    fn from(e: lexopt::Error) -> Self {
        Fail::Usage(e.to_string())
    }
}

#[derive(Default)]
struct Args {
    positional: Vec<String>,
    json: bool,
    max_records: Option<usize>,
    max_iterations: Option<usize>,
    candidates: Option<PathBuf>,
    out: Option<PathBuf>,
    type_name: Option<String>,
    filter: Option<(String, String)>,
}

fn args() -> Result<Args, Fail> {
    use lexopt::prelude::*;
    let mut a = Args::default();
    let mut p = lexopt::Parser::from_env();
    while let Some(arg) = p.next()? {
        match arg {
            Long("json") => a.json = true,
            Long("max-records") => a.max_records = Some(p.value()?.parse()?),
            Long("max-iterations") => a.max_iterations = Some(p.value()?.parse()?),
            Long("candidates") => a.candidates = Some(p.value()?.into()),
            Long("out") => a.out = Some(p.value()?.into()),
            Long("type") => a.type_name = Some(p.value()?.string()?),
            Long("where") => {
                let w = p.value()?.string()?;
                let (k, v) = w
                    .split_once('=')
                    .ok_or_else(|| Fail::Usage(format!("--where takes FIELD=VALUE, not `{w}`")))?;
                a.filter = Some((k.to_owned(), v.to_owned()));
            }
            Short('h') | Long("help") => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            Value(v) => a.positional.push(v.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail::Failed) => ExitCode::from(1),
        Err(Fail::Usage(m)) => {
            eprintln!("error: {m}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Fail::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, HexmapError> {
    std::fs::read(path).map_err(|source| HexmapError::Io {
        action: "cannot read",
        path: path.to_owned(),
        source,
    })
}

fn read_text(path: &Path) -> Result<String, HexmapError> {
    let bytes = read(path)?;
    String::from_utf8(bytes).map_err(|e| HexmapError::Io {
        action: "cannot read",
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

fn grammar(path: &Path) -> Result<(String, Grammar), HexmapError> {
    let text = read_text(path)?;
    let g = lint_grammar(&text).map_err(|diagnostics| HexmapError::Grammar {
        file: path.display().to_string(),
        diagnostics,
    })?;
    Ok((text, g))
}

fn want(a: &Args, n: usize, what: &str) -> Result<(), Fail> {
    if a.positional.len() != n + 1 {
        return Err(Fail::Usage(format!(
            "`{}` takes {what}",
            a.positional.first().map(String::as_str).unwrap_or("")
        )));
    }
    Ok(())
}

fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn run() -> Result<(), Fail> {
    let a = args()?;
    let Some(cmd) = a.positional.first().cloned() else {
        return Err(Fail::Usage("no command".into()));
    };
    let parse_options = ParseOptions {
        max_records: a.max_records.unwrap_or(ParseOptions::default().max_records),
    };
    match cmd.as_str() {
        "lint" => {
            want(&a, 1, "GRAMMAR")?;
            let path = Path::new(&a.positional[1]);
            let text = read_text(path)?;
            match lint_grammar(&text) {
                Ok(g) => {
                    println!(
                        "{}: ok: {} types, {} registries, root `{}`",
                        path.display(),
                        g.types.len(),
                        g.registries.len(),
                        g.ty(g.root).name
                    );
                    Ok(())
                }
                Err(ds) => {
                    for d in &ds {
                        eprintln!("{}", d.render(&path.display().to_string()));
                    }
                    eprintln!("{}: {} problems", path.display(), ds.len());
                    Err(Fail::Failed)
                }
            }
        }
        "parse" => {
            want(&a, 2, "GRAMMAR FILE")?;
            let (_, g) = grammar(Path::new(&a.positional[1]))?;
            let data = read(Path::new(&a.positional[2]))?;
            let result = parse_binary(&g, &data, parse_options);
            let q = Query {
                type_name: a.type_name.clone(),
                field: a.filter.clone(),
                range: None,
            };
            let chosen = query_records(&g, &result, &data, &q);
            let spans = generate_spans(&g, &result);
            // Spans come in file order, so each record's values are one run of them.
            let values_of = |r: &hexmap::Record| {
                let from = spans.partition_point(|s| s.record < r.index);
                let to = spans.partition_point(|s| s.record <= r.index);
                &spans[from..to]
            };
            if a.json {
                let records: Vec<serde_json::Value> = chosen
                    .iter()
                    .map(|r| {
                        let values: Vec<serde_json::Value> = values_of(r)
                            .iter()
                            .map(|s| {
                                serde_json::json!({
                                    "path": s.path, "offset": s.span.offset, "len": s.span.len,
                                    "kind": s.kind, "value": display_value(&g, &data, s),
                                    "int": s.int.map(|i| i.to_string()),
                                })
                            })
                            .collect();
                        serde_json::json!({
                            "index": r.index, "path": record_path(&g, r), "type": g.ty(r.ty).name,
                            "offset": r.span.offset, "len": r.span.len, "values": values,
                        })
                    })
                    .collect();
                print_json(&serde_json::json!({
                    "file_size": result.file_size, "end": result.end, "stop": result.stop,
                    "errors": result.errors, "records": records,
                }));
            } else {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(
                    out,
                    "{:>10} {:>8}  {:<32} {:<10} value",
                    "offset", "len", "path", "kind"
                );
                for r in &chosen {
                    let _ = writeln!(
                        out,
                        "{:>10} {:>8}  {:<32} {}",
                        r.span.offset,
                        r.span.len,
                        record_path(&g, r),
                        g.ty(r.ty).name
                    );
                    for s in values_of(r) {
                        let _ = writeln!(
                            out,
                            "{:>10} {:>8}    {:<30} {:<10} {}",
                            s.span.offset,
                            s.span.len,
                            s.path,
                            s.kind,
                            display_value(&g, &data, s)
                        );
                    }
                }
                let _ = writeln!(out, "{}", footer(&result, chosen.len()));
            }
            report_errors(&result)
        }
        "coverage" => {
            want(&a, 2, "GRAMMAR FILE")?;
            let (_, g) = grammar(Path::new(&a.positional[1]))?;
            let data = read(Path::new(&a.positional[2]))?;
            let result = parse_binary(&g, &data, parse_options);
            let cov = analyze_coverage(&generate_spans(&g, &result), &result);
            if a.json {
                print_json(
                    &serde_json::json!({ "coverage": cov, "stop": result.stop, "errors": result.errors }),
                );
            } else {
                println!(
                    "{}% covered: {} of {} bytes, {} records, {} values",
                    percent(cov.percentage),
                    cov.covered_bytes,
                    cov.file_size,
                    cov.records,
                    cov.values
                );
                for gap in &cov.gaps {
                    println!("  gap at {}: {} bytes", gap.offset, gap.len);
                }
                for e in &result.errors {
                    println!("  stopped {e}");
                }
            }
            Ok(())
        }
        "decode" => {
            want(&a, 3, "GRAMMAR FILE PATH")?;
            let (_, g) = grammar(Path::new(&a.positional[1]))?;
            let data = read(Path::new(&a.positional[2]))?;
            let result = parse_binary(&g, &data, parse_options);
            let d = decode_field(&g, &result, &data, &a.positional[3])?;
            if a.json {
                print_json(&serde_json::to_value(&d).unwrap_or_default());
            } else {
                println!(
                    "{} ({}, {} bytes at {}): {}",
                    d.path, d.kind, d.span.len, d.span.offset, d.display
                );
            }
            Ok(())
        }
        "iterate" => iterate(&a, parse_options),
        other => Err(Fail::Usage(format!("unknown command `{other}`"))),
    }
}

/// A percentage to one decimal, rounded down: 99.99 % shows as 99.9, never as 100.0.
fn percent(p: f64) -> String {
    format!("{:.1}", (p * 10.0).floor() / 10.0)
}

fn footer(result: &ParseResult, shown: usize) -> String {
    format!(
        "{shown} of {} records, {} of {} bytes, stopped: {}",
        result.records.len(),
        result.end,
        result.file_size,
        match result.stop {
            hexmap::parse::Stop::Complete => "complete",
            hexmap::parse::Stop::RecordLimit => "record limit",
            hexmap::parse::Stop::Error => "error",
        }
    )
}

fn report_errors(result: &ParseResult) -> Result<(), Fail> {
    for e in &result.errors {
        eprintln!("error: {e}");
    }
    if result.errors.is_empty() {
        Ok(())
    } else {
        Err(Fail::Failed)
    }
}

/// Candidate patches: a list, or a mapping with `candidates:`.
fn candidates(path: &Path) -> Result<Vec<Patch>, HexmapError> {
    let text = read_text(path)?;
    let bad = |message: String| HexmapError::Candidates {
        path: path.to_owned(),
        message,
    };
    let value: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let list = match value.get("candidates") {
        Some(c) => c.clone(),
        None => value,
    };
    let patches: Vec<Patch> = match serde_yaml::from_value(list) {
        Ok(p) => p,
        Err(e) => {
            return Err(bad(format!(
                "not a list of patches ({{description, ops}}): {e}"
            )));
        }
    };
    for (i, p) in patches.iter().enumerate() {
        p.validate().map_err(|errs| {
            bad(format!(
                "candidate {i} ({}): {}",
                p.description,
                errs.join("; ")
            ))
        })?;
    }
    Ok(patches)
}

fn iterate(a: &Args, parse: ParseOptions) -> Result<(), Fail> {
    want(a, 2, "GRAMMAR FILE --candidates PATCHES.yaml")?;
    let gpath = Path::new(&a.positional[1]);
    let fpath = Path::new(&a.positional[2]);
    let cpath = a
        .candidates
        .as_deref()
        .ok_or_else(|| Fail::Usage("iterate needs --candidates PATCHES.yaml".into()))?;
    let (text, _) = grammar(gpath)?;
    let data = read(fpath)?;
    let mut pool = CandidatePool {
        candidates: candidates(cpath)?,
    };
    let mut store = SpecStore::new();
    let root = store
        .create_initial(&text, true)
        .map_err(HexmapError::from)?;
    let options = LoopOptions {
        max_iterations: a.max_iterations.unwrap_or(10),
        parse,
    };
    let outcome = improve(
        &mut store,
        &root.id,
        &data,
        &fpath.display().to_string(),
        &mut pool,
        options,
    )
    .map_err(HexmapError::from)?;
    if let Some(out) = &a.out {
        std::fs::write(out, &outcome.best_version.text).map_err(|source| HexmapError::Io {
            action: "cannot write",
            path: out.clone(),
            source,
        })?;
    }
    let improved = outcome.best_version.id != root.id;
    if a.json {
        let diff = store
            .diff_specs(&root.id, &outcome.best_version.id)
            .map_err(HexmapError::from)?;
        print_json(&serde_json::json!({
            "best_version": outcome.best_version.id,
            "lineage": outcome.lineage,
            "score": outcome.best_score,
            "coverage": outcome.best_run.stats.coverage_percentage,
            "end": outcome.end,
            "rounds": outcome.rounds,
            "diff": diff,
            "spec": outcome.best_version.text,
        }));
    } else {
        for r in &outcome.rounds {
            println!(
                "round {} from {} (score {:.1}):",
                r.iteration, r.from_version, r.from_score
            );
            for c in &r.candidates {
                match &c.outcome {
                    CandidateOutcome::Rejected { error } => {
                        println!("  rejected  {}: {error}", c.description)
                    }
                    CandidateOutcome::Scored {
                        version_id,
                        score,
                        coverage,
                        passed_gates,
                        ..
                    } => println!(
                        "  {version_id:<8}  {score:5.1}  {:>5}%{}  {}{}",
                        percent(*coverage),
                        if *passed_gates { "" } else { " (gate failed)" },
                        c.description,
                        if r.chosen.as_deref() == Some(version_id.as_str()) {
                            "  ← chosen"
                        } else {
                            ""
                        }
                    ),
                }
            }
        }
        println!(
            "best: {} (score {:.1}, coverage {}%), lineage {}; ended: {:?}",
            outcome.best_version.id,
            outcome.best_score.total_score,
            percent(outcome.best_run.stats.coverage_percentage),
            outcome.lineage.join(" → "),
            outcome.end
        );
        if improved && let Ok(d) = store.diff_specs(&root.id, &outcome.best_version.id) {
            print!("{d}");
        }
    }
    if improved { Ok(()) } else { Err(Fail::Failed) }
}
