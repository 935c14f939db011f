//! `run --partition`: the shards of a suite, each on its own journal as CI jobs would keep
//! them, run every test exactly once between them, with the outcomes of the suite run whole;
//! each shard says which shard it is and how many tests ran elsewhere, and none rewrites the
//! mission file.

use std::collections::BTreeMap;

use crate::support::{Fixture, git, json, kv_alone, stderr, stdout};

type Outcomes = BTreeMap<(String, String), String>;

/// (binary, ref) → outcome word, of the latest run in the journal at `journal`.
fn outcomes(fx: &Fixture, journal: &str) -> Outcomes {
    let args = [
        "show",
        "latest",
        "--journal",
        journal,
        "--message-format",
        "json",
    ];
    let show = json(&fx.exemplar(&args));
    let mut out = BTreeMap::new();
    for t in show["tests"].as_array().unwrap() {
        let key = (
            t["binary"].as_str().unwrap().to_owned(),
            t["ref"].as_str().unwrap().to_owned(),
        );
        out.insert(key, t["outcome"].as_str().unwrap().to_owned());
    }
    out
}

/// Outcomes every shard records: tests that are not dealt (not run by any harness, or
/// `#[ignore]`d and not run).
fn in_every_shard(outcome: &str) -> bool {
    matches!(outcome, "stranded" | "ignored")
}

#[test]
fn the_shards_of_a_suite_run_each_test_once_and_never_rewrite_the_mission() {
    let _heavy = kv_alone();
    let fx = Fixture::new("adopt");
    let whole = fx.exemplar(&["run", "--journal", "j-whole", "--no-rewrite"]);
    assert_eq!(whole.status.code(), Some(1), "{}", stderr(&whole));
    let expected = outcomes(&fx, "j-whole");
    let mission = fx.read("mission.yaml");
    let total_run = expected.values().filter(|o| !in_every_shard(o)).count();

    for kind in ["hash", "count", "slice"] {
        let mut union = Outcomes::new();
        let mut ran_here = 0;
        for k in 1..=3 {
            let partition = format!("{kind}:{k}/3");
            let journal = format!("j-{kind}-{k}");
            let args = ["run", "--partition", &partition, "--journal", &journal];
            let mut with_json = args.to_vec();
            with_json.extend(["--message-format", "json"]);
            let run = fx.exemplar(&with_json);
            assert!(
                matches!(run.status.code(), Some(0 | 1)),
                "{partition}: {}",
                stderr(&run)
            );
            let doc = json(&run);
            assert_eq!(doc["partition"], partition.as_str());
            assert_eq!(doc["missions"][0]["rewritten"], false, "{partition}");
            let shard = if doc["executed"] == true {
                outcomes(&fx, &journal)
            } else {
                Outcomes::new()
            };
            let dealt = shard.values().filter(|o| !in_every_shard(o)).count() as u64;
            ran_here += dealt;
            assert_eq!(
                doc["other_shards"].as_u64().unwrap() + dealt,
                total_run as u64,
                "{partition}: this shard's tests and the others' are the suite"
            );
            for (key, outcome) in shard {
                let before = union.insert(key.clone(), outcome.clone());
                assert!(
                    before.is_none() || in_every_shard(&outcome),
                    "{partition}: {key:?} ran in two shards"
                );
            }
        }
        assert_eq!(union, expected, "{kind}: the shards together are the suite");
        assert_eq!(ran_here, total_run as u64, "{kind}");
    }
    assert_eq!(
        fx.read("mission.yaml"),
        mission,
        "no shard rewrote the mission"
    );

    // A rerun of a shard is of the same shard: its failing tests, none of the others'.
    let failing_in = |journal: &str| -> Vec<(String, String)> {
        outcomes(&fx, journal)
            .into_iter()
            .filter(|(_, o)| !matches!(o.as_str(), "passed" | "ignored" | "flaky"))
            .map(|(k, _)| k)
            .collect()
    };
    let shard = (1..=3)
        .map(|k| format!("j-count-{k}"))
        .find(|j| fx.path().join(j).exists() && !failing_in(j).is_empty())
        .expect("a shard with a failing test");
    let before = failing_in(&shard);
    let args = [
        "run",
        "--rerun-failed",
        "--journal",
        &shard,
        "--message-format",
        "json",
    ];
    let rerun = fx.exemplar(&args);
    let doc = json(&rerun);
    let k = shard.rsplit('-').next().unwrap();
    assert_eq!(
        doc["partition"],
        format!("count:{k}/3"),
        "{}",
        stderr(&rerun)
    );
    let rerun_ran: Vec<_> = outcomes(&fx, &shard).into_keys().collect();
    for key in &rerun_ran {
        assert!(
            before.contains(key),
            "{key:?} was not outstanding in {shard}"
        );
    }

    // The table says which shard ran, what it left to the others, and why the file stays.
    let table = fx.exemplar(&["run", "--partition", "hash:1/2", "--journal", "j-table"]);
    let text = stdout(&table);
    assert!(
        text.contains("in other shards (this is shard hash:1/2)"),
        "{text}"
    );
    assert!(
        text.contains("not rewritten: shard hash:1/2 saw part of the suite"),
        "{text}"
    );
    let log = fx.exemplar(&["show", "latest", "--journal", "j-table"]);
    assert!(
        stdout(&log).contains("shard hash:1/2 ("),
        "{}",
        stdout(&log)
    );

    // The listing marks the other shards' tests, and a bad partition is refused.
    let list = stdout(&fx.exemplar(&["list", "--partition", "count:2/2"]));
    assert!(list.contains("in another shard"), "{list}");
    assert!(list.contains(" in other shards"), "{list}");
    // A shard that holds no test is recorded all the same: its merge needs it.
    let empty = fx.exemplar(&["run", "--partition", "count:40/40", "--journal", "j-empty"]);
    // (Its stranded tests fail it, as they fail every shard.)
    assert_eq!(empty.status.code(), Some(1), "{}", stderr(&empty));
    let shown = stdout(&fx.exemplar(&["show", "latest", "--journal", "j-empty"]));
    assert!(shown.contains("shard count:40/40 ("), "{shown}");
    // A filter that selects nothing records nothing, shard or not.
    let args = [
        "run",
        "--partition",
        "hash:1/3",
        "--journal",
        "j-none",
        "--",
        "no_such_test",
    ];
    let none = fx.exemplar(&args);
    assert_eq!(none.status.code(), Some(0), "{}", stderr(&none));
    assert!(stdout(&none).contains("no test ran"), "{}", stdout(&none));
    let shown = fx.exemplar(&["show", "latest", "--journal", "j-none"]);
    assert_ne!(shown.status.code(), Some(0), "{}", stdout(&shown));
    let bad = fx.exemplar(&["run", "--partition", "hash:4/3"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("between 1 and the total 3"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn shard_journals_travel_as_bundles_into_one_journal() {
    let _heavy = kv_alone();
    let fx = Fixture::new("adopt");
    // A repository, so that `merge --check` has the committed mission files as its baseline.
    git(fx.path(), &["init", "-q"]);
    git(fx.path(), &["add", "-A"]);
    git(fx.path(), &["commit", "-q", "-m", "adopt"]);
    let mut shards = Vec::new();
    for k in 1..=3 {
        let journal = format!("j-{k}");
        let partition = format!("hash:{k}/3");
        let args = ["run", "--partition", &partition, "--run-group", "g1"];
        let run = fx.exemplar(&[&args[..], &["--journal", &journal]].concat());
        assert!(matches!(run.status.code(), Some(0 | 1)), "{}", stderr(&run));
        if k == 1 {
            // A rerun of the shard's failing tests: the merge takes the shard with its rerun,
            // never the rerun for the shard.
            let rerun = fx.exemplar(&["run", "--rerun-failed", "--journal", &journal]);
            assert!(
                matches!(rerun.status.code(), Some(0 | 6)),
                "{}",
                stderr(&rerun)
            );
        }
        if fx.path().join(&journal).exists() {
            let bundle = format!("shard-{k}.exbundle");
            let args = ["journal", "export", &bundle, "--journal", &journal];
            let export = fx.exemplar(&args);
            assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
            shards.push((journal, bundle));
        }
    }
    assert_eq!(shards.len(), 3, "every shard ran tests");
    let mut runs = Vec::new();
    for (journal, bundle) in &shards {
        let args = [
            "journal",
            "import",
            bundle,
            "--journal",
            "merged",
            "--message-format",
        ];
        let import = json(&fx.exemplar(&[&args[..], &["json"]].concat()));
        let imported = import["runs"].as_array().unwrap();
        assert_eq!(
            imported.len(),
            if runs.is_empty() { 2 } else { 1 },
            "{import}"
        );
        runs.push(imported.last().unwrap().as_str().unwrap().to_owned());
        // Each run arrives with every outcome it had.
        let show = |j: &str, run: &str| {
            let args = ["show", run, "--journal", j, "--message-format", "json"];
            json(&fx.exemplar(&args))["tests"].clone()
        };
        assert_eq!(
            show("merged", runs.last().unwrap()),
            show(journal, "latest")
        );
    }
    // Importing again adds nothing; the merged journal verifies.
    let again = json(&fx.exemplar(&[
        "journal",
        "import",
        &shards[0].1,
        "--journal",
        "merged",
        "--message-format",
        "json",
    ]));
    assert_eq!(again["runs"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(again["present"].as_array().unwrap().len(), 2, "{again}");
    let verify = fx.exemplar(&["journal", "verify", "--journal", "merged"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
    // A damaged bundle is refused, naming its offset, and exits 5.
    let mut bytes = std::fs::read(fx.path().join(&shards[0].1)).unwrap();
    let at = bytes.len() - 20;
    bytes[at] ^= 1;
    std::fs::write(fx.path().join("damaged.exbundle"), bytes).unwrap();
    let bad = fx.exemplar(&[
        "journal",
        "import",
        "damaged.exbundle",
        "--journal",
        "other",
    ]);
    assert_eq!(bad.status.code(), Some(5), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("is damaged at offset"),
        "{}",
        stderr(&bad)
    );
    assert!(!fx.path().join("other").exists(), "nothing was imported");

    // A group with a shard missing is refused; a shard is not gated alone.
    for (_, bundle) in &shards[1..] {
        fx.exemplar(&["journal", "import", bundle, "--journal", "partial"]);
    }
    // A journal of shards alone has no latest loss: a shard's loss is of part of the suite.
    let report = json(&fx.exemplar(&["report", "--json", "--journal", "partial"]));
    assert_eq!(report["runs"].as_array().unwrap().len(), 2, "{report}");
    assert!(report["missions"][0]["loss"].is_null(), "{report}");
    let partial = fx.exemplar(&["merge", "--journal", "partial"]);
    assert_eq!(partial.status.code(), Some(2), "{}", stderr(&partial));
    assert!(
        stderr(&partial).contains("lacks shard 1/3:"),
        "{}",
        stderr(&partial)
    );

    // The merge is the suite run whole: the same outcomes and the same loss per directive,
    // and the mission file rewritten once.
    let whole = fx.exemplar(&[
        "run",
        "--journal",
        "whole",
        "--no-rewrite",
        "--message-format",
        "json",
    ]);
    let whole = json(&whole);
    let mission = fx.read("mission.yaml");
    let merged = fx.exemplar(&["merge", "--journal", "merged", "--message-format", "json"]);
    assert_eq!(
        merged.status.code(),
        Some(1),
        "a test fails: {}",
        stderr(&merged)
    );
    let merged = json(&merged);
    assert_eq!(
        merged["merged_from"].as_array().unwrap().len(),
        3,
        "{merged}"
    );
    assert_eq!(merged["counts"], whole["counts"]);
    let losses = |doc: &serde_json::Value| -> Vec<(String, serde_json::Value)> {
        doc["missions"][0]["directives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["id"].as_str().unwrap().to_owned(), d["loss"].clone()))
            .collect()
    };
    assert_eq!(losses(&merged), losses(&whole));
    assert_eq!(merged["missions"][0]["loss"], whole["missions"][0]["loss"]);
    assert_eq!(
        outcomes(&fx, "merged"),
        outcomes(&fx, "whole"),
        "the merged run's outcomes"
    );
    assert_eq!(merged["missions"][0]["rewritten"], true);
    assert_ne!(fx.read("mission.yaml"), mission);
    let shard_check = fx.exemplar(&["check", "--partition", "hash:1/3"]);
    assert_eq!(
        shard_check.status.code(),
        Some(2),
        "{}",
        stderr(&shard_check)
    );

    // `merge --check` gates the merged run against the committed mission files (whose
    // directives have no loss yet: the failing tests raise it).
    for (_, bundle) in &shards {
        fx.exemplar(&["journal", "import", bundle, "--journal", "gated"]);
    }
    let gated = fx.exemplar(&[
        "merge",
        "--check",
        "--journal",
        "gated",
        "--message-format",
        "json",
    ]);
    assert_eq!(gated.status.code(), Some(1), "{}", stderr(&gated));
    let gated = json(&gated);
    assert_eq!(gated["format"], "exemplar-check");
    assert_eq!(gated["ok"], false);
    assert_eq!(gated["run"]["merged_from"].as_array().unwrap().len(), 3);
    let again = fx.exemplar(&["merge", "--journal", "merged"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("was merged already"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn the_ci_run_id_groups_shards_without_run_group() {
    let fx = Fixture::new("basic");
    let shard = |k: u32, n: u32, ci_run: &str| {
        let partition = format!("count:{k}/{n}");
        let out = fx.exemplar_env(
            &["run", "--partition", &partition, "--journal", "j"],
            &[("GITHUB_RUN_ID", ci_run)],
        );
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    };
    shard(1, 2, "4242");
    shard(2, 2, "4242");
    shard(1, 2, "4343");
    // The shards of GitHub run 4242 merge; run 4343 lacks its second shard.
    let merged = fx.exemplar(&[
        "merge",
        "--run-group",
        "4242",
        "--journal",
        "j",
        "--no-rewrite",
        "--message-format",
        "json",
    ]);
    assert!(
        matches!(merged.status.code(), Some(0 | 1)),
        "{}",
        stderr(&merged)
    );
    assert_eq!(json(&merged)["merged_from"].as_array().unwrap().len(), 2);
    let lacking = fx.exemplar(&["merge", "--run-group", "4343", "--journal", "j"]);
    assert_eq!(lacking.status.code(), Some(2));
    assert!(
        stderr(&lacking).contains("lacks shard 2/2"),
        "{}",
        stderr(&lacking)
    );
}
