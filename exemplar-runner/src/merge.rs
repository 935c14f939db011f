//! Merging the shards of a partitioned run (`run --partition`, one journal per CI job, their
//! bundles imported into one journal) into the one run they are together: the union of their
//! results, the loss of the whole suite, and the mission files rewritten once.
//!
//! The shards of one run are the complete shard runs with the same commit and run group
//! (`--run-group`, or the CI's own run id), of one kind and total, the latest of each shard
//! number. The merge refuses a group with a shard missing, shards of different kinds, totals
//! or designs, and a design that changed since they ran: a partial merge must never look like
//! a whole run. Every test a shard left to the others must have run in one of them. A group
//! already merged is not merged again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use exemplar_formats::events::Plan;
use exemplar_formats::{Outcome, TestRecord};
use exemplar_store::records::{RunScope, RunStart, TestDef};
use exemplar_store::{Index, RunRow};

use crate::clock::RunClock;
use crate::discover::{self, Discovery};
use crate::errors::Error;
use crate::journal::{self, Recorder};
use crate::made::MadeRun;
use crate::partition::Partition;
use crate::plan::{JournalChoice, Selection};
use crate::session::Session;
use crate::signal;

/// What to merge, and where.
#[derive(Debug, Clone, Default)]
pub struct MergePlan {
    /// The workspace and its missions (the packages, `--manifest-path`).
    pub selection: Selection,
    /// The journal the shards were imported into.
    pub journal: JournalChoice,
    /// The shards' run group (`None`: the group of the latest shard run).
    pub run_group: Option<String>,
    /// Rewrite the mission files.
    pub rewrite: bool,
    /// A note for the history entry.
    pub note: Option<String>,
}

/// The shards of one run, read from the journal.
struct Shards {
    /// The group, as the shards recorded it (`None`: no group, only the commit).
    group: Option<String>,
    commit: Option<String>,
    /// One run per shard number, in order.
    runs: Vec<RunRow>,
    /// Their results, each test once.
    outcomes: Vec<exemplar_store::records::Outcome>,
    /// Messages and output by blob address.
    texts: HashMap<[u8; 32], String>,
}

/// Merge the shards of a run into one, journal it, and rewrite the mission files.
pub fn merge(plan: &MergePlan) -> Result<Session, Error> {
    let discovery = discover::discover(&plan.selection)?;
    let Some(dir) = journal::location(&plan.journal, &discovery.root) else {
        return Err(Error::CannotMerge(
            "--no-journal: shards are merged in a journal".into(),
        ));
    };
    let shards = read_shards(&dir, plan.run_group.as_deref())?;
    same_design(&shards, &discovery)?;
    let clock = RunClock::start(&discovery.packages);
    let run_id = crate::session::new_run_id(&clock.started());
    let tests = records(&shards, &discovery);
    let stamp = signal::Stamp {
        timestamp: clock.started_text(),
        commit: shards.commit.clone(),
        note: plan.note.clone(),
        rewrite: plan.rewrite,
        // A test no shard journaled (one `--fail-fast` never started, one of a binary that
        // did not list) keeps its signal, as in any run that did not run it.
        partial: true,
    };
    let made = MadeRun {
        discovery,
        tests,
        recorder: Recorder::open(&dir, true, &mut |_| {})?,
        journal: Some(dir),
        start: merged_start(&run_id, &clock, &shards),
        clock,
        stamp,
    };
    let mut session = made.record()?;
    session.merged_from = shards.runs.iter().map(|r| r.run_id.clone()).collect();
    Ok(session)
}

/// The complete shard runs of the group, one per shard number (with the reruns of it), with
/// their results.
fn read_shards(dir: &Path, group: Option<&str>) -> Result<Shards, Error> {
    if !dir.join("wal").is_dir() {
        return Err(Error::CannotMerge(format!(
            "no journal at {}",
            dir.display()
        )));
    }
    let ix = exemplar_store::open_index(dir)?;
    let runs = ix.runs()?;
    let members = Members::of(&runs, group, dir)?;
    let chains = members.chains()?;
    let Union { outcomes, texts } = union(&ix, dir, &chains)?;
    Ok(Shards {
        group: members.group,
        commit: members.commit,
        runs: chains.into_iter().map(|c| c[0].clone()).collect(),
        outcomes,
        texts,
    })
}

/// The shard runs of one group: the group of the latest shard run (or the one asked for),
/// with the same commit.
struct Members<'r> {
    group: Option<String>,
    commit: Option<String>,
    /// How messages name the group.
    name: String,
    runs: Vec<&'r RunRow>,
}

impl<'r> Members<'r> {
    fn of(all: &'r [RunRow], group: Option<&str>, dir: &Path) -> Result<Members<'r>, Error> {
        let is_shard = |r: &&RunRow| r.complete() && r.partition().is_some();
        let group_of = |r: &RunRow| r.scope.as_ref().and_then(|s| s.run_group.clone());
        let wanted = |r: &&RunRow| group.is_none_or(|g| group_of(r).as_deref() == Some(g));
        let Some(latest) = all.iter().rev().filter(is_shard).find(wanted) else {
            return Err(Error::CannotMerge(match group {
                Some(g) => format!("no shard run of run group {g} in {}", dir.display()),
                None => format!("no shard run in {}", dir.display()),
            }));
        };
        let (group, commit) = (group_of(latest), latest.commit.clone());
        let name = group
            .clone()
            .unwrap_or_else(|| format!("of commit {}", commit.as_deref().unwrap_or("-")));
        let runs: Vec<&RunRow> = all
            .iter()
            .filter(is_shard)
            .filter(|r| group_of(r) == group && r.commit == commit)
            .collect();
        let merged = all.iter().find(|m| {
            let from = m
                .scope
                .as_ref()
                .map_or(&[][..], |s| s.merged_from.as_slice());
            runs.iter().any(|r| from.contains(&r.run_id))
        });
        if let Some(m) = merged {
            return Err(Error::CannotMerge(format!(
                "run group {name} was merged already, as run {}",
                m.run_id
            )));
        }
        Ok(Members {
            group,
            commit,
            name,
            runs,
        })
    }

    /// Each shard's run (the latest of its number) followed by the reruns of it, in log order;
    /// shard 1 first. Every shard of the partition must be there, each of the whole suite.
    fn chains(&self) -> Result<Vec<Vec<RunRow>>, Error> {
        let name = &self.name;
        let mut bases: BTreeMap<u64, &RunRow> = BTreeMap::new();
        let mut cut: Option<Partition> = None;
        for r in self.runs.iter().filter(|r| rerun_of(r).is_none()) {
            whole_suite(r, name)?;
            let p: Partition = r
                .partition()
                .unwrap_or_default()
                .parse()
                .map_err(|e| Error::CannotMerge(format!("run {}: {e}", r.run_id)))?;
            match cut {
                Some(c) if (c.kind, c.total) != (p.kind, p.total) => {
                    return Err(Error::CannotMerge(format!(
                        "run group {name} holds shards of {c} and of {p}: one partition per run group"
                    )));
                }
                _ => cut = Some(p),
            }
            bases.insert(p.shard, r); // the latest of each shard number
        }
        let total = cut.map_or(0, |c| c.total);
        let missing: Vec<String> = (1..=total)
            .filter(|k| !bases.contains_key(k))
            .map(|k| format!("{k}/{total}"))
            .collect();
        if !missing.is_empty() {
            return Err(Error::CannotMerge(format!(
                "run group {name} lacks shard {}: import every shard's bundle, then merge",
                missing.join(", ")
            )));
        }
        Ok(bases
            .into_values()
            .map(|base| {
                let mut chain = vec![base.clone()];
                let reruns = self.runs.iter().filter(|r| rerun_of(r).is_some());
                let of_base = reruns.filter(|r| self.root(r) == base.run_id);
                chain.extend(of_base.map(|r| (*r).clone()));
                chain
            })
            .collect())
    }

    /// The run a rerun's chain of `rerun_of` began with.
    fn root(&self, r: &RunRow) -> String {
        let mut id = r.run_id.clone();
        let mut steps = 0;
        while let Some(up) = self
            .runs
            .iter()
            .find(|x| x.run_id == id)
            .and_then(|x| rerun_of(x))
        {
            id = up;
            steps += 1;
            if steps > self.runs.len() {
                break;
            }
        }
        id
    }
}

/// The run a `--rerun-failed` run re-ran.
fn rerun_of(r: &RunRow) -> Option<String> {
    r.scope.as_ref().and_then(|s| s.rerun_of.clone())
}

/// A shard of the whole suite: no `--design`, target or harness filter, so that the union
/// of the shards is the suite.
fn whole_suite(r: &RunRow, name: &str) -> Result<(), Error> {
    let filtered = r
        .scope
        .as_ref()
        .is_some_and(|s| s.design.is_some() || !s.targets.is_empty() || !s.harness_args.is_empty());
    if filtered {
        return Err(Error::CannotMerge(format!(
            "run {} of run group {name} ran a filtered suite (--design, a target or harness \
             filter): shards merge only when together they ran the whole suite",
            r.run_id
        )));
    }
    Ok(())
}

/// Each test's latest result in its shard's chain, each test once (ignored and stranded tests
/// are in every shard), and every test a shard left to the others run by one of them.
fn union(ix: &Index, dir: &Path, chains: &[Vec<RunRow>]) -> Result<Union, Error> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut texts = HashMap::new();
    for chain in chains {
        // A rerun's result replaces the shard's (the chain is in log order).
        let mut latest: BTreeMap<u64, exemplar_store::records::Outcome> = BTreeMap::new();
        for r in chain {
            for o in ix.outcomes(&r.run_id)? {
                let id = TestDef::id_of(&o.mission, &o.reference, &o.binary, o.line, &o.ids);
                latest.insert(id, o);
            }
        }
        for (id, o) in latest {
            if !seen.insert(id) {
                continue;
            }
            for h in o.message.iter().chain(&o.output) {
                if !texts.contains_key(&**h)
                    && let Some(text) = ix.blob_text(dir, h)?
                {
                    texts.insert(**h, text);
                }
            }
            out.push(o);
        }
    }
    let runs: Vec<&RunRow> = chains.iter().map(|c| &c[0]).collect();
    let left: HashSet<u64> = runs
        .iter()
        .flat_map(|r| r.other_shards.iter().copied())
        .collect();
    let unrun = left.iter().filter(|id| !seen.contains(*id)).count();
    if unrun > 0 {
        return Err(Error::CannotMerge(format!(
            "{unrun} tests that a shard left to the others ran in none of them: the shards did not list the same suite"
        )));
    }
    Ok(Union {
        outcomes: out,
        texts,
    })
}

/// The shards' results, each test once, and the texts they point to.
struct Union {
    outcomes: Vec<exemplar_store::records::Outcome>,
    texts: HashMap<[u8; 32], String>,
}

/// The shards ran against one design, and it is the missions' design now.
fn same_design(shards: &Shards, discovery: &Discovery) -> Result<(), Error> {
    let stamps = |r: &RunRow| r.missions.clone();
    let first = stamps(&shards.runs[0]);
    if shards.runs.iter().any(|r| stamps(r) != first) {
        return Err(Error::CannotMerge(
            "the shards ran against different designs".into(),
        ));
    }
    for p in &discovery.packages {
        let now = crate::session::design_stamps(&p.mission);
        if let Some(then) = first.iter().find(|m| m.mission == p.mission.id)
            && then.nodes != now
        {
            return Err(Error::CannotMerge(format!(
                "the design of mission {} changed since the shards ran: merge where they ran (commit {})",
                p.mission.id,
                shards.commit.as_deref().unwrap_or("-")
            )));
        }
    }
    Ok(())
}

/// The union as each package's test records.
fn records(shards: &Shards, discovery: &Discovery) -> HashMap<String, Vec<TestRecord>> {
    let mut out: HashMap<String, Vec<TestRecord>> = HashMap::new();
    for o in &shards.outcomes {
        let Some(pkg) = discovery
            .packages
            .iter()
            .find(|p| p.mission.id == o.mission)
        else {
            continue;
        };
        let (file, name) = o.reference.split_once("::").unwrap_or(("", &o.reference));
        let text = |h: &Option<minicbor::bytes::ByteArray<32>>| {
            h.as_ref().and_then(|h| shards.texts.get(&**h).cloned())
        };
        out.entry(pkg.name.clone()).or_default().push(TestRecord {
            package: pkg.name.clone(),
            mission: o.mission.clone(),
            binary: o.binary.clone(),
            name: name.to_owned(),
            reference: o.reference.clone(),
            file: file.to_owned(),
            line: o.line,
            ids: o.ids.clone(),
            plan: Plan::Run,
            outcome: Outcome::from_code(o.outcome),
            duration: o.duration,
            message: text(&o.message),
            output: text(&o.output),
        });
    }
    out
}

/// The merged run's start: the shards' design, and a scope naming them.
fn merged_start(run_id: &str, clock: &RunClock, shards: &Shards) -> RunStart {
    RunStart {
        run_id: run_id.to_owned(),
        started_at: clock.started().as_second(),
        commit: shards.commit.clone(),
        note: Some(format!("merge of {} shards", shards.runs.len())),
        missions: shards.runs[0].missions.clone(),
        scope: Some(RunScope {
            run_group: shards.group.clone(),
            merged_from: shards.runs.iter().map(|r| r.run_id.clone()).collect(),
            ..RunScope::default()
        }),
    }
}
