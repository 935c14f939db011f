//! Shard benchmark (`cargo run --release -p exemplar-bench --bin shards`; it builds the release
//! `cargo-exemplar` first): 16 shard journals of 10,000 outcomes each (a 160,000-test suite,
//! every shard recording the other shards' tests as a CI shard does) exported as bundles,
//! imported into one journal, and merged into one run that rewrites the mission file.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use exemplar_bench::{release_cli, repo, time};
use exemplar_mission::Fingerprint;
use exemplar_store::records::{
    MissionLoss, MissionStamp, NodeStamp, RunEnd, RunScope, RunStart, TestDef, TestResult,
};
use exemplar_store::{Contention, JournalWriter, Record, WriterOptions};

const SHARDS: usize = 16;
const PER_SHARD: usize = 10_000;
const NODES: usize = 10;

fn main() {
    let repo = repo();
    let cx = release_cli();
    let dir = tempfile::Builder::new()
        .prefix("exemplar-bench-shards-")
        .tempdir_in(repo.join("target"))
        .unwrap();
    let pkg = dir.path();
    let stamps = project(pkg);
    let defs: Vec<Vec<TestDef>> = (0..SHARDS).map(shard_tests).collect();
    let (_, d) = time(|| {
        for k in 0..SHARDS {
            shard_journal(&pkg.join(format!("shard-{k}")), k, &defs, &stamps);
        }
    });
    println!(
        "{SHARDS} shard journals × {PER_SHARD} outcomes (each naming the {} tests of the other shards) written in {:.2}s",
        (SHARDS - 1) * PER_SHARD,
        d.as_secs_f64()
    );
    let cargo_exemplar = |args: &[&str]| {
        let out = Command::new(&cx)
            .arg("exemplar")
            .args(args)
            .current_dir(pkg)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (_, export) = time(|| {
        for k in 0..SHARDS {
            let (journal, file) = (format!("shard-{k}"), format!("shard-{k}.exbundle"));
            cargo_exemplar(&["journal", "export", &file, "--journal", &journal]);
        }
    });
    let bytes: u64 = (0..SHARDS)
        .map(|k| {
            std::fs::metadata(pkg.join(format!("shard-{k}.exbundle")))
                .unwrap()
                .len()
        })
        .sum();
    let (_, import) = time(|| {
        for k in 0..SHARDS {
            let file = format!("shard-{k}.exbundle");
            cargo_exemplar(&["journal", "import", &file, "--journal", "merged"]);
        }
    });
    let (_, merge) = time(|| cargo_exemplar(&["merge", "--journal", "merged"]));
    println!(
        "  export {SHARDS} bundles ({:.1} MB): {:.2}s   import them into one journal: {:.2}s   merge ({} outcomes, mission rewritten): {:.2}s",
        bytes as f64 / 1e6,
        export.as_secs_f64(),
        import.as_secs_f64(),
        SHARDS * PER_SHARD,
        merge.as_secs_f64()
    );
}

/// A package whose mission has NODES directives; the design's stamps.
fn project(pkg: &Path) -> Vec<NodeStamp> {
    std::fs::create_dir_all(pkg.join("src")).unwrap();
    std::fs::write(pkg.join("src/lib.rs"), "").unwrap();
    std::fs::write(
        pkg.join("Cargo.toml"),
        "[package]\nname = \"big\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )
    .unwrap();
    let mut mission = String::from("id: big\nname: Big\ndesign:\n  - id: S0\n    name: Root\n");
    for i in 1..NODES {
        let _ = write!(
            mission,
            "  - id: S{i}\n    name: Directive {i}\n    aspect_id: S0\n    detail: {{ invariant: \"property {i} holds\" }}\n"
        );
    }
    let path = pkg.join("mission.yaml");
    std::fs::write(&path, mission).unwrap();
    let m = exemplar_mission::parse_file(&path).unwrap();
    m.design
        .iter()
        .map(|n| NodeStamp {
            id: n.id.clone(),
            fingerprint: Fingerprint::of(n).to_hex(),
        })
        .collect()
}

/// The tests of shard `k`.
fn shard_tests(k: usize) -> Vec<TestDef> {
    (0..PER_SHARD)
        .map(|i| {
            let reference = format!("tests/big.rs::shard_{k}::test_{i}");
            let ids = [format!("S{}", 1 + i % (NODES - 1))];
            TestDef::new("big", &reference, "big", i as u32, &ids)
        })
        .collect()
}

/// Shard `k`'s journal: its run, its results, and the other shards' tests in its end.
fn shard_journal(journal: &Path, k: usize, defs: &[Vec<TestDef>], stamps: &[NodeStamp]) {
    let mut w = JournalWriter::open(
        journal,
        Contention::Fail,
        WriterOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let msg = w
        .put_blob(b"assertion failed: the invariant does not hold")
        .unwrap();
    let run = format!("shard-run-{k:02}");
    w.append(&Record::RunStart(RunStart {
        scope: Some(RunScope {
            partition: Some(format!("hash:{}/{SHARDS}", k + 1)),
            run_group: Some("bench".into()),
            ..RunScope::default()
        }),
        run_id: run.clone(),
        started_at: 1_800_000_000 + k as i64,
        commit: Some("1a2b3c4".into()),
        note: None,
        missions: vec![MissionStamp {
            mission: "big".into(),
            package: "big".into(),
            nodes: stamps.to_vec(),
            design: None,
        }],
    }))
    .unwrap();
    for (i, test) in defs[k].iter().enumerate() {
        let failing = i % 97 == 0;
        let result = TestResult {
            test: test.id,
            outcome: u8::from(failing),
            duration: 0.001,
            message: failing.then(|| msg.into()),
            output: None,
        };
        w.append_result(&result, || test.clone()).unwrap();
    }
    let mut other = Vec::new();
    for (j, tests) in defs.iter().enumerate().filter(|(j, _)| *j != k) {
        let _ = j;
        for t in tests {
            other.push(t.id);
            w.define_test(t.clone()).unwrap();
        }
    }
    w.append(&Record::RunEnd(RunEnd {
        run_id: run,
        ended_at: 1_800_000_060 + k as i64,
        counts: vec![
            (PER_SHARD - PER_SHARD / 97) as u64,
            (PER_SHARD / 97) as u64,
            0,
            0,
            0,
        ],
        losses: vec![MissionLoss {
            mission: "big".into(),
            loss: 0.5,
            nodes: Vec::new(),
        }],
        other_shards: other,
    }))
    .unwrap();
    w.close().unwrap();
}
