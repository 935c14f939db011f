//! `cargo exemplar mcp` driven by a real MCP client: the official Python SDK (`mcp` from
//! PyPI, in a venv this test makes) runs one full iteration on the basic fixture (tools and
//! resources listed, the tests run, the next directive named, the design patched against the
//! fingerprint read, run again: the loss fell; a stale patch refused), and its transcript is
//! the one the book's agent chapter shows.

use std::process::Command;

use crate::support::{Fixture, python_venv, repo_root, target_dir};

/// The transcript as the book shows it, between these lines of the chapter.
const BEGIN: &str = "<!-- transcript: written by the mcp e2e test -->";
const END: &str = "<!-- end of transcript -->";

#[test]
fn a_python_mcp_client_drives_one_iteration_and_the_loss_falls() {
    let python = python_venv("mcp-venv", &["mcp==2.3.0"]);
    let fx = Fixture::new("basic");
    let transcript = fx.path().join("transcript.txt");
    let out = Command::new(&python)
        .arg(repo_root().join("tests/e2e/mcp_client.py"))
        .arg(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .arg(fx.path())
        .arg(&transcript)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the client failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let got = std::fs::read_to_string(&transcript).unwrap();
    let chapter_path = repo_root().join("book/src/guides/agents.md");
    let chapter = std::fs::read_to_string(&chapter_path).unwrap();
    let (head, rest) = chapter
        .split_once(BEGIN)
        .expect("the chapter has a transcript");
    let (shown, tail) = rest.split_once(END).expect("the transcript ends");
    let fresh = format!("\n```text\n{got}```\n");
    if shown != fresh {
        if std::env::var_os("EXEMPLAR_BLESS").is_some() {
            std::fs::write(&chapter_path, format!("{head}{BEGIN}{fresh}{END}{tail}")).unwrap();
        } else {
            panic!(
                "the book's transcript is not the session's; rerun with EXEMPLAR_BLESS=1 to write it:\n{got}"
            );
        }
    }
}
