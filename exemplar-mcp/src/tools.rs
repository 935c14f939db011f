//! The tools' parameters, and the `cargo exemplar` command each tool runs: as a child process
//! of the serving binary, on tokio's blocking pool, its JSON document becoming the result.

use std::io::Write;
use std::process::{Command, Stdio};

use exemplar_formats::patch::DesignOp;
use rmcp::model::{CallToolResult, ContentBlock};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::McpConfig;

/// `status`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct StatusParams {
    /// A run id (or prefix, `latest`, `latest~N`), a time (RFC 3339, `2026-12-01 21:00`) or a
    /// commit: the loss and the design as they were then. Default: the latest run.
    pub at: Option<String>,
}

/// `run`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunParams {
    /// Run only the tests linked to these directives (and their subtrees), e.g. ["S1", "S3"].
    pub design: Option<Vec<String>>,
    /// Run only the tests linked to the directives whose text changed since the last commit.
    pub changed: Option<bool>,
    /// Run only the tests whose name contains this text.
    pub filter: Option<String>,
    /// A note for the history entry this run adds.
    pub note: Option<String>,
}

/// `check`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckParams {
    /// What to compare with: a run id from the journal, or a git commit (default: the
    /// mission files at HEAD).
    pub baseline: Option<String>,
}

/// `explain`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ExplainParams {
    /// The directive: `S3`, or `MISSION/S3`.
    pub id: String,
}

/// `history`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct HistoryParams {
    /// A directive id (the loss over runs) or a test's name or ref (its outcomes over runs);
    /// nothing lists the runs.
    pub target: Option<String>,
}

/// `diff`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DiffParams {
    /// The earlier run (default: the one before `to`).
    pub from: Option<String>,
    /// The later run (default: the latest).
    pub to: Option<String>,
}

/// `design_patch`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PatchParams {
    /// The operations, applied in order, all or none.
    pub operations: Vec<DesignOp>,
    /// The design fingerprint the patch is made against (`design_log`'s `current`, or a
    /// previous patch's `result`): a design that changed since refuses the patch.
    pub base: Option<String>,
    /// Why the design changes.
    pub note: Option<String>,
    /// Who changes it.
    pub author: Option<String>,
    /// The mission (its id or package), where the workspace has several.
    pub mission: Option<String>,
    /// Check the patch and show the lines it would change; write nothing.
    pub dry_run: Option<bool>,
}

/// `design_log`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct LogParams {
    /// Only the patches touching this node.
    pub id: Option<String>,
}

/// What a command printed and how it ended.
pub(crate) struct Ran {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Run `cargo exemplar WORDS OPTIONS [-- TRAILING]` with the server's manifest and journal,
/// `stdin` written to it when given.
pub(crate) async fn exemplar(
    config: &McpConfig,
    words: &[&str],
    options: Vec<String>,
    trailing: Vec<String>,
    stdin: Option<String>,
) -> Ran {
    let mut args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    args.extend(options);
    if let Some(m) = &config.manifest_path {
        args.push(format!("--manifest-path={}", m.display()));
    }
    if let Some(j) = &config.journal {
        args.push(format!("--journal={}", j.display()));
    }
    if !trailing.is_empty() {
        args.push("--".into());
        args.extend(trailing);
    }
    let exe = config.exe.display().to_string();
    let config = config.clone();
    let done = tokio::task::spawn_blocking(move || run_blocking(&config, &args, stdin)).await;
    match done {
        Ok(Ok(ran)) => ran,
        Ok(Err(e)) => Ran {
            code: None,
            stdout: String::new(),
            stderr: format!("cannot run {exe}: {e}"),
        },
        Err(e) => Ran {
            code: None,
            stdout: String::new(),
            stderr: format!("the command's task failed: {e}"),
        },
    }
}

fn run_blocking(
    config: &McpConfig,
    args: &[String],
    stdin: Option<String>,
) -> std::io::Result<Ran> {
    let mut cmd = Command::new(&config.exe);
    cmd.arg("exemplar")
        .args(args)
        .current_dir(&config.dir)
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TERM_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    Ok(Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The tool's result: the command's document, and when the command did not end with one of
/// `ok` (exit codes that are answers, such as 1 for failing tests), its exit code and what it
/// said on stderr, flagged as an error.
pub(crate) fn result(ran: Ran, ok: &[i32]) -> CallToolResult {
    let mut content = Vec::new();
    if !ran.stdout.trim().is_empty() {
        content.push(ContentBlock::text(ran.stdout));
    }
    let answered = ran.code.is_some_and(|c| ok.contains(&c));
    if !answered || content.is_empty() {
        let code = ran
            .code
            .map_or_else(|| "none (killed)".to_owned(), |c| c.to_string());
        content.push(ContentBlock::text(format!(
            "exit code {code}\n{}",
            tail(&ran.stderr, 60)
        )));
    }
    if answered {
        CallToolResult::success(content)
    } else {
        CallToolResult::error(content)
    }
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A value that must not be read as an option of the command; `Err` says why it is refused.
pub(crate) fn plain(what: &str, value: &str) -> Result<String, String> {
    if value.starts_with('-') || value.is_empty() {
        return Err(format!(
            "{what} `{value}`: must not be empty or begin with `-`"
        ));
    }
    Ok(value.to_owned())
}

/// A tool call refused before any command ran.
pub(crate) fn refused(why: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(why)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_that_would_read_as_an_option_is_refused() {
        assert_eq!(plain("filter", "wal").unwrap(), "wal");
        for bad in ["--list", "-q", ""] {
            let why = plain("filter", bad).unwrap_err();
            assert!(why.contains("must not be empty or begin with `-`"), "{why}");
        }
    }

    #[test]
    fn answers_are_results_and_other_exit_codes_are_errors() {
        let ran = |code| Ran {
            code: Some(code),
            stdout: "{\"format\":\"exemplar-run\"}".into(),
            stderr: "boom".into(),
        };
        assert_eq!(result(ran(1), &[0, 1, 6]).is_error, Some(false));
        let failed = result(ran(3), &[0, 1, 6]);
        assert_eq!(failed.is_error, Some(true));
        assert_eq!(
            failed.content.len(),
            2,
            "the document and the exit code with stderr"
        );
    }
}
