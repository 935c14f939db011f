//! `cargo exemplar check`: the pre-commit gate.
//!
//! It runs the tests like `run` (recording the run in the journal, leaving the mission files
//! alone unless `--rewrite`), then compares with a baseline: by default the signal and history
//! in the mission files as committed at `HEAD` (read with `git show`); or `--baseline RUN` (a
//! run of the journal) or `--baseline COMMIT`. The gate fails (exit 1) when:
//!
//! - an `active` directive's loss rose (a directive new since the baseline counts from 0);
//! - a test that passed in the baseline fails now (unless it only verifies `proposed` ones);
//! - a mission's loss is above `--max-loss` (or `[package.metadata.exemplar] max-loss`).
//!
//! `proposed` directives are shown, never gating. Without any baseline (a mission not yet
//! committed), every directive is compared with loss 0.
//!
//! The output is the remediation signal: each violated directive with its invariant and
//! constraint, the failing tests with file:line and message, and the loss before → after.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use exemplar_mission::update::round_loss;
use exemplar_mission::{Mission, Outcome, Status};
use serde::Serialize;
use serde_json::json;

use crate::cli::{CheckArgs, MessageFormat};
use crate::errors::{Error, ExitCode};
use crate::git::git;
use crate::report::{self, NodeRow};
use crate::run::{self, Session};
use crate::style::{ColorChoice, Style};

/// What one mission looked like in the baseline.
#[derive(Debug, Clone, Default)]
pub struct MissionBaseline {
    /// Mission loss.
    pub loss: Option<f64>,
    /// Direct loss per node.
    pub directives: HashMap<String, f64>,
    /// Latest outcome per test ref.
    pub tests: HashMap<String, Outcome>,
}

/// The baseline of every mission: a description and the data.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// "HEAD (1a2b3c4)", "run 2025...", "commit abc".
    pub label: String,
    /// By mission id; a mission without a baseline is absent.
    pub missions: HashMap<String, MissionBaseline>,
}

/// A directive whose loss rose.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// The row of the loss table, with the failing tests.
    #[serde(flatten)]
    pub row: NodeRow,
    /// Loss in the baseline.
    pub before: f64,
    /// Loss now.
    pub after: f64,
}

/// A test that passed in the baseline and fails now.
#[derive(Debug, Clone, Serialize)]
pub struct Regression {
    /// Test ref.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Its directives.
    pub ids: Vec<String>,
    /// Outcome now.
    pub outcome: Outcome,
    /// File and line.
    pub file: String,
    /// Line.
    pub line: u32,
    /// Failure message.
    pub message: Option<String>,
}

/// The verdict for one mission.
#[derive(Debug, Clone, Serialize)]
pub struct MissionVerdict {
    /// Mission id.
    pub id: String,
    /// Baseline loss.
    pub loss_before: Option<f64>,
    /// Loss now.
    pub loss_after: f64,
    /// The ceiling, if any.
    pub max_loss: Option<f64>,
    /// Above the ceiling.
    pub over_ceiling: bool,
    /// Active directives whose loss rose.
    pub violations: Vec<Violation>,
    /// Tests that passed and fail now.
    pub regressions: Vec<Regression>,
    /// Proposed directives with loss: shown, not gating.
    pub proposed: Vec<NodeRow>,
}

impl MissionVerdict {
    /// The gate holds for this mission.
    pub fn ok(&self) -> bool {
        self.violations.is_empty() && self.regressions.is_empty() && !self.over_ceiling
    }
}

/// `cargo exemplar check`.
pub fn command(args: &CheckArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    if let Some(m) = args.max_loss
        && !(0.0..=1.0).contains(&m)
    {
        return Err(Error::Usage(format!(
            "--max-loss must be between 0 and 1, not {m}"
        )));
    }
    if args.run.harness_args.iter().any(|a| a == "--list") {
        return crate::list::command(&(&args.run).into(), color);
    }
    let mut run_args = args.run.clone();
    run_args.no_rewrite = !args.rewrite;
    let session = run::recorded(&run_args, color)?;
    let baseline = load_baseline(&session, &run_args, args.baseline.as_deref())?;
    let verdicts: Vec<MissionVerdict> = session
        .missions
        .iter()
        .map(|m| {
            judge(
                m,
                baseline.missions.get(&m.package.mission.id),
                args.max_loss.or(m.package.max_loss),
            )
        })
        .collect();
    let ok = verdicts.iter().all(MissionVerdict::ok);
    match args.run.message_format {
        MessageFormat::Human => print!(
            "{}",
            render(&baseline, &verdicts, &session, color.for_stdout())
        ),
        MessageFormat::Json => {
            let doc = json!({
                "format": "exemplar-check",
                "version": 1,
                "ok": ok,
                "baseline": baseline.label,
                "missions": verdicts,
                "run": report::json::value(&session),
            });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
    }
    Ok(if ok { ExitCode::Ok } else { ExitCode::Failed })
}

/// Compare one mission's run with its baseline.
pub fn judge(
    m: &run::session::MissionResult,
    base: Option<&MissionBaseline>,
    max_loss: Option<f64>,
) -> MissionVerdict {
    let rows = report::rows(m);
    let empty = MissionBaseline::default();
    let b = base.unwrap_or(&empty);
    let mut violations = Vec::new();
    let mut proposed = Vec::new();
    for row in rows {
        let Some(after) = row.loss else { continue };
        match row.status {
            Status::Active => {
                let before = b.directives.get(&row.id).copied().unwrap_or(0.0);
                if after > before + 1e-9 {
                    violations.push(Violation { before, after, row });
                }
            }
            Status::Proposed if after > 0.0 => proposed.push(row),
            _ => {}
        }
    }
    let mission = &m.package.mission;
    let gating = |ids: &[String]| {
        ids.iter()
            .any(|id| mission.node(id).is_some_and(|n| n.status == Status::Active))
    };
    let regressions = m
        .tests
        .iter()
        .filter(|t| t.outcome.is_some_and(Outcome::is_failing))
        .filter(|t| b.tests.get(&t.reference) == Some(&Outcome::Passed))
        .filter(|t| gating(&t.info.ids))
        .map(|t| Regression {
            reference: t.reference.clone(),
            ids: t.info.ids.clone(),
            outcome: t.outcome.unwrap_or(Outcome::Failed),
            file: t.file.clone(),
            line: t.info.line,
            message: t.message.clone(),
        })
        .collect();
    let loss_after = round_loss(m.update.loss.mission);
    MissionVerdict {
        id: mission.id.clone(),
        loss_before: b.loss,
        loss_after,
        max_loss,
        over_ceiling: max_loss.is_some_and(|c| loss_after > c + 1e-9),
        violations,
        regressions,
        proposed,
    }
}

fn render(baseline: &Baseline, verdicts: &[MissionVerdict], s: &Session, style: Style) -> String {
    let mut out = format!("check against {}\n", baseline.label);
    let f = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
    for v in verdicts {
        let word = if v.ok() {
            style.good("ok")
        } else {
            style.bad("FAILED")
        };
        let _ = writeln!(
            out,
            "\nmission {}: loss {} → {:.3}  {word}",
            v.id,
            f(v.loss_before),
            v.loss_after
        );
        if v.over_ceiling {
            let _ = writeln!(
                out,
                "  {} loss {:.3} is above the ceiling {}",
                style.bad("x"),
                v.loss_after,
                f(v.max_loss)
            );
        }
        for x in &v.violations {
            let _ = writeln!(
                out,
                "  {} {} [{}]: loss {:.3} → {:.3}",
                style.bad(&x.row.id),
                x.row.name,
                x.row.status.as_str(),
                x.before,
                x.after
            );
            report::table::write_detail(&mut out, &x.row, style);
        }
        for r in &v.regressions {
            let _ = writeln!(
                out,
                "  {} {} ({}:{}) passed in the baseline, {} now [{}]",
                style.bad("x"),
                r.reference,
                r.file,
                r.line,
                r.outcome,
                r.ids.join(", ")
            );
            if let Some(m) = &r.message {
                for l in m.lines().take(6) {
                    let _ = writeln!(out, "          {l}");
                }
            }
        }
        for p in &v.proposed {
            let _ = writeln!(
                out,
                "  {} {} [proposed, not gating]: loss {}",
                style.dim(&p.id),
                p.name,
                f(p.loss)
            );
        }
    }
    let failed = verdicts.iter().filter(|v| !v.ok()).count();
    let _ = writeln!(
        out,
        "\ngate: {} (run {})",
        if failed == 0 {
            style.good("ok")
        } else {
            style.bad(&format!("FAILED in {failed} mission(s)"))
        },
        s.run_id
    );
    out
}

/// The baseline: `--baseline RUN|COMMIT`, or the mission files at HEAD.
fn load_baseline(
    s: &Session,
    args: &crate::cli::RunArgs,
    spec: Option<&str>,
) -> Result<Baseline, Error> {
    let Some(first) = s.missions.first() else {
        return Ok(Baseline::default());
    };
    let root = first.package.dir.clone();
    if let Some(spec) = spec {
        // A run of the journal?
        if !args.no_journal {
            let dir = crate::journal::location(args.journal.as_deref(), &workspace_root(&root));
            if dir.join("wal").is_dir() {
                let ix = exemplar_store::open_index(&dir)?;
                if let Ok(run) = ix.find_run(spec) {
                    return from_run(&ix, &run);
                }
            }
        }
        if git(
            &root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{spec}^{{commit}}"),
            ],
        )
        .is_some()
        {
            return from_commit(s, spec, &format!("commit {spec}"));
        }
        return Err(Error::Usage(format!(
            "--baseline {spec}: neither a run in the journal nor a git commit"
        )));
    }
    match git(&root, &["rev-parse", "--short=7", "HEAD"]) {
        Some(head) => from_commit(s, "HEAD", &format!("the mission files at HEAD ({head})")),
        None => Ok(Baseline {
            label: "nothing (not a git repository with commits): every directive is compared with loss 0".into(),
            missions: HashMap::new(),
        }),
    }
}

fn workspace_root(pkg_dir: &Path) -> std::path::PathBuf {
    git(pkg_dir, &["rev-parse", "--show-toplevel"])
        .map(Into::into)
        .unwrap_or_else(|| pkg_dir.to_owned())
}

fn from_commit(s: &Session, rev: &str, label: &str) -> Result<Baseline, Error> {
    let mut missions = HashMap::new();
    for m in &s.missions {
        let path = &m.package.mission.path;
        let dir = path.parent().unwrap_or(Path::new("."));
        let Some(top) = git(dir, &["rev-parse", "--show-toplevel"]) else {
            continue;
        };
        let rel = path
            .strip_prefix(&top)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let Some(text) = git(dir, &["show", &format!("{rev}:{rel}")]) else {
            continue; // not committed there: no baseline for this mission
        };
        let old: Mission = exemplar_mission::parse_str(path, &text)?;
        missions.insert(m.package.mission.id.clone(), from_mission(&old));
    }
    Ok(Baseline {
        label: label.to_owned(),
        missions,
    })
}

/// A mission file's own record of its last state.
pub fn from_mission(m: &Mission) -> MissionBaseline {
    let last = m.history.last();
    MissionBaseline {
        loss: last.map(|h| h.loss),
        directives: last
            .map(|h| h.directives.iter().cloned().collect())
            .unwrap_or_default(),
        tests: m
            .signal
            .iter()
            .filter_map(|s| s.result.as_ref().map(|r| (s.reference.clone(), r.outcome)))
            .collect(),
    }
}

fn from_run(ix: &exemplar_store::Index, run: &exemplar_store::RunRow) -> Result<Baseline, Error> {
    let mut missions: HashMap<String, MissionBaseline> = HashMap::new();
    for l in &run.losses {
        let b = missions.entry(l.mission.clone()).or_default();
        b.loss = Some(round_loss(l.loss));
        for n in &l.nodes {
            b.directives.insert(n.id.clone(), round_loss(n.loss));
        }
    }
    for o in ix.outcomes(&run.run_id)? {
        if let Some(outcome) = Outcome::from_code(o.outcome) {
            missions
                .entry(o.mission.clone())
                .or_default()
                .tests
                .insert(o.reference.clone(), outcome);
        }
    }
    Ok(Baseline {
        label: format!("run {}", run.run_id),
        missions,
    })
}
