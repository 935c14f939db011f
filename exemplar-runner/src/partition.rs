//! Partitions: one shard of a run cut over several CI jobs, with nextest's kinds and meaning,
//! so that a user who knows `cargo nextest run --partition` knows `cargo exemplar run
//! --partition`.
//!
//! - `hash:K/N`: a test is in shard K when the XXH64 (seed 0) of its name, modulo N, is K - 1.
//!   Stateless: a filter never moves a test to another shard.
//! - `count:K/N`: round robin over each binary's tests in name order, the counter starting
//!   again at every binary.
//! - `slice:K/N`: the same round robin over the whole run: binaries in the order of their ids
//!   (`package`, `package::test`, `package::bin/name`), each binary's tests in name order.
//!
//! Only the tests that would run count: those a filter, `--design` or `#[ignore]` leaves out
//! are not dealt, as in nextest (so with `count:` and `slice:`, a filter may move a test to
//! another shard). Ignored tests that run (`--include-ignored`) are dealt with counters of
//! their own, so that running them moves no other test. A test dealt to another shard is
//! planned [`Plan::OtherShard`]: shown and recorded as such, never as passed and never left
//! out silently.

use std::fmt;
use std::str::FromStr;

use exemplar_formats::events::{Plan, TestInfo};

use crate::build::TestBinary;
use crate::errors::PartitionError;

/// How tests are dealt to shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionKind {
    /// By a hash of the test's name.
    Hash,
    /// Round robin within each binary.
    Count,
    /// Round robin over the whole run.
    Slice,
}

/// One shard of a partitioned run: `kind:shard/total`, `shard` counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// How tests are dealt.
    pub kind: PartitionKind,
    /// This shard, from 1.
    pub shard: u64,
    /// How many shards there are.
    pub total: u64,
}

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(s: &str) -> Result<Partition, PartitionError> {
        let (kind, rest) = match s.split_once(':') {
            Some(("hash", rest)) => (PartitionKind::Hash, rest),
            Some(("count", rest)) => (PartitionKind::Count, rest),
            Some(("slice", rest)) => (PartitionKind::Slice, rest),
            _ => return Err(PartitionError::Kind(s.to_owned())),
        };
        let bad = |problem: String| PartitionError::Format {
            input: s.to_owned(),
            problem,
        };
        let (shard, total) = rest
            .split_once('/')
            .ok_or_else(|| bad(format!("expected '{rest}' to be in the form K/N")))?;
        let shard: u64 = shard
            .parse()
            .map_err(|e| bad(format!("cannot read the shard '{shard}' as a number: {e}")))?;
        let total: u64 = total
            .parse()
            .map_err(|e| bad(format!("cannot read the total '{total}' as a number: {e}")))?;
        if !(1..=total).contains(&shard) {
            return Err(bad(format!(
                "the shard {shard} must be between 1 and the total {total}, inclusive"
            )));
        }
        Ok(Partition { kind, shard, total })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            PartitionKind::Hash => "hash",
            PartitionKind::Count => "count",
            PartitionKind::Slice => "slice",
        };
        write!(f, "{kind}:{}/{}", self.shard, self.total)
    }
}

/// A binary's tests to deal: its id (see [`binary_id`]) and each test's name, whether it is
/// `#[ignore]`d, and its plan, which dealing may turn to [`Plan::OtherShard`].
pub struct Deal<'a> {
    /// The binary's id.
    pub binary: String,
    /// Its tests.
    pub tests: Vec<DealtTest<'a>>,
}

impl<'a> Deal<'a> {
    /// The tests of `bin`, as its listing gives them.
    pub fn of(bin: &TestBinary, tests: &'a mut [TestInfo]) -> Deal<'a> {
        Deal {
            binary: binary_id(&bin.package, &bin.kind, &bin.target),
            tests: tests
                .iter_mut()
                .map(|t| DealtTest {
                    name: &t.name,
                    ignored: t.ignored,
                    plan: &mut t.plan,
                })
                .collect(),
        }
    }
}

/// One test of a [`Deal`].
pub struct DealtTest<'a> {
    /// Its name.
    pub name: &'a str,
    /// `#[ignore]`d (dealt with counters of their own).
    pub ignored: bool,
    /// Its plan: only `Plan::Run` tests are dealt.
    pub plan: &'a mut Plan,
}

/// nextest's id of a test binary: the package for its library, `package::target` for an
/// integration test, `package::bin/target` for a binary (and `example/`, `bench/` alike).
pub fn binary_id(package: &str, kind: &str, target: &str) -> String {
    match kind {
        "lib" | "rlib" | "cdylib" | "dylib" | "staticlib" | "proc-macro" => package.to_owned(),
        "test" => format!("{package}::{target}"),
        other => format!("{package}::{other}/{target}"),
    }
}

impl Partition {
    /// Deal the run's tests: every planned test of another shard becomes
    /// [`Plan::OtherShard`]. Returns how many did.
    pub fn deal(&self, binaries: &mut [Deal<'_>]) -> u64 {
        let mut moved = 0;
        let mut take = |t: &mut DealtTest<'_>, mine: bool| {
            if !mine {
                *t.plan = Plan::OtherShard;
                moved += 1;
            }
        };
        match self.kind {
            PartitionKind::Hash => {
                for t in binaries.iter_mut().flat_map(|b| b.tests.iter_mut()) {
                    if *t.plan == Plan::Run {
                        let mine = self.hash_matches(t.name);
                        take(t, mine);
                    }
                }
            }
            PartitionKind::Count => {
                for b in binaries.iter_mut() {
                    let mut counters = [0u64; 2];
                    b.tests.sort_by(|x, y| x.name.cmp(y.name));
                    for t in b.tests.iter_mut().filter(|t| *t.plan == Plan::Run) {
                        let mine = self.round_robin(&mut counters[t.ignored as usize]);
                        take(t, mine);
                    }
                }
            }
            PartitionKind::Slice => {
                // By package, then target: `kv::b` before `kv-x`, `kv::zeta` before `kv::bin/a`.
                binaries.sort_by(|x, y| id_order(&x.binary).cmp(&id_order(&y.binary)));
                let mut counters = [0u64; 2];
                for b in binaries.iter_mut() {
                    b.tests.sort_by(|x, y| x.name.cmp(y.name));
                    for t in b.tests.iter_mut().filter(|t| *t.plan == Plan::Run) {
                        let mine = self.round_robin(&mut counters[t.ignored as usize]);
                        take(t, mine);
                    }
                }
            }
        }
        moved
    }

    fn hash_matches(&self, name: &str) -> bool {
        xxhash_rust::xxh64::xxh64(name.as_bytes(), 0) % self.total == self.shard - 1
    }

    fn round_robin(&self, counter: &mut u64) -> bool {
        let mine = *counter == self.shard - 1;
        *counter = (*counter + 1) % self.total;
        mine
    }
}

/// A binary id as nextest orders them: by package, then the library, then integration tests
/// by name (`package::name`), then other targets by kind and name (`package::kind/name`).
fn id_order(id: &str) -> (&str, u8, &str, &str) {
    match id.split_once("::") {
        None => (id, 0, "", ""),
        Some((package, rest)) => match rest.split_once('/') {
            None => (package, 1, rest, ""),
            Some((kind, name)) => (package, 2, kind, name),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Partition, String> {
        s.parse::<Partition>().map_err(|e| e.to_string())
    }

    #[test]
    fn partitions_read_as_nextest_reads_them() {
        let p = parse("hash:2/3").unwrap();
        assert_eq!((p.kind, p.shard, p.total), (PartitionKind::Hash, 2, 3));
        assert_eq!(p.to_string(), "hash:2/3");
        assert_eq!(parse("slice:1/1").unwrap().kind, PartitionKind::Slice);
        assert_eq!(parse("count:4/4").unwrap().to_string(), "count:4/4");
        for bad in [
            "hash:0/3",
            "hash:4/3",
            "count:1/0",
            "slice:1/2/3",
            "hash:a/2",
            "hash:1",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(
            parse("shard:1/2")
                .unwrap_err()
                .contains("hash:, count: or slice:")
        );
        assert!(
            parse("hash:4/3")
                .unwrap_err()
                .contains("between 1 and the total 3")
        );
    }

    /// Deal `binaries` (id, test names) to every shard: the names each shard runs.
    fn shards(kind: &str, total: u64, binaries: &[(&str, &[&str])]) -> Vec<Vec<String>> {
        (1..=total)
            .map(|k| {
                let p = parse(&format!("{kind}:{k}/{total}")).unwrap();
                let mut plans: Vec<Vec<Plan>> = binaries
                    .iter()
                    .map(|(_, names)| vec![Plan::Run; names.len()])
                    .collect();
                let mut deals: Vec<Deal<'_>> = binaries
                    .iter()
                    .zip(plans.iter_mut())
                    .map(|((id, names), plans)| Deal {
                        binary: (*id).to_owned(),
                        tests: names
                            .iter()
                            .zip(plans.iter_mut())
                            .map(|(name, plan)| DealtTest {
                                name,
                                ignored: false,
                                plan,
                            })
                            .collect(),
                    })
                    .collect();
                p.deal(&mut deals);
                let mut mine: Vec<String> = deals
                    .iter()
                    .flat_map(|d| {
                        d.tests
                            .iter()
                            .filter(|t| *t.plan == Plan::Run)
                            .map(|t| format!("{}::{}", d.binary, t.name))
                    })
                    .collect();
                mine.sort();
                mine
            })
            .collect()
    }

    #[test]
    fn every_test_runs_in_exactly_one_shard() {
        let binaries: &[(&str, &[&str])] = &[
            ("kv::b", &["t3", "t1", "t2"]),
            ("kv", &["a", "b"]),
            ("kv::c", &["x"]),
        ];
        for kind in ["hash", "count", "slice"] {
            let all: Vec<String> = shards(kind, 3, binaries).concat();
            let mut sorted = all.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(all.len(), 6, "{kind}: {all:?}");
            assert_eq!(sorted.len(), 6, "{kind}: each test once");
        }
        // count: per binary, in name order; slice: over binaries in id order.
        assert_eq!(
            shards("count", 2, binaries),
            [
                vec!["kv::a", "kv::b::t1", "kv::b::t3", "kv::c::x"],
                vec!["kv::b", "kv::b::t2"]
            ]
        );
        assert_eq!(
            shards("slice", 2, binaries),
            [
                vec!["kv::a", "kv::b::t1", "kv::b::t3"],
                vec!["kv::b", "kv::b::t2", "kv::c::x"]
            ]
        );
    }

    #[test]
    fn hash_deals_by_the_name_alone_as_nextest_does() {
        // XXH64 with seed 0 of the name, as cargo-nextest 0.9 computes it.
        assert_eq!(xxhash_rust::xxh64::xxh64(b"", 0), 0xef46db3751d8e999);
        let one = shards("hash", 4, &[("a", &["tests::same"])]);
        let other = shards("hash", 4, &[("b", &["tests::same"])]);
        let shard_of = |s: &Vec<Vec<String>>| s.iter().position(|v| !v.is_empty());
        assert_eq!(shard_of(&one), shard_of(&other));
    }

    #[test]
    fn slices_visit_binaries_in_nextest_order() {
        let mut ids = [
            "kv-x",
            "kv::bin/a",
            "kv::zeta",
            "kv",
            "kv::b",
            "kv::example/z",
        ];
        ids.sort_by_key(|id| id_order(id));
        assert_eq!(
            ids,
            [
                "kv",
                "kv::b",
                "kv::zeta",
                "kv::bin/a",
                "kv::example/z",
                "kv-x"
            ]
        );
    }
}
