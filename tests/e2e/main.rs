//! End-to-end tests: the real `cargo-exemplar` binary against fixture projects under
//! `tests/fixtures/`, and the fixture test binaries run directly to check the harness. Expected
//! outcomes live beside each fixture as `expected.json`.

mod adopt;
mod book;
mod branches;
mod ci_recipes;
mod day;
mod design;
mod disk;
mod documents;
mod gate;
mod harness;
mod honesty;
mod ingest;
mod init;
mod journal;
mod kills;
mod mcp;
mod new;
mod next;
mod partition;
mod report;
mod rerun;
mod run;
mod schema;
mod support;
mod watch;
