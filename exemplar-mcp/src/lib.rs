//! The Model Context Protocol server of cargo exemplar (`cargo exemplar mcp`), on stdio, built
//! on the official Rust SDK ([`rmcp`]).
//!
//! An agent gets exemplar's loop as tools: `status`, `run` (all tests, or those of some
//! directives, or those whose directives changed), `check`, `next` and `explain`, `history`,
//! `diff`, `design_patch` and `design_log`; and the mission files and their JSON Schema as
//! resources. Each tool runs the `cargo exemplar` command of the same name, as a child process
//! of the binary that serves (so a tool's result is the command's JSON document, the same
//! types the book documents, and nothing a command prints can reach the protocol's stdout).
//! The server runs nothing but the project's own tests, and changes the design only through
//! design patches; its runs rewrite `signal:` and `history:` as any run does.
//!
//! The runtime is a current-thread tokio runtime in this crate alone: the runner stays free
//! of async code.
#![warn(missing_docs)]

mod errors;
mod resources;
mod server;
mod tools;

use std::path::PathBuf;

pub use errors::McpError;
pub use server::ExemplarServer;

/// Where the server works and how it calls the commands.
#[derive(Debug, Clone)]
pub struct McpConfig {
    /// The `cargo-exemplar` executable the tools run (`cargo-exemplar exemplar ARGS`).
    pub exe: PathBuf,
    /// The folder commands run in (the project).
    pub dir: PathBuf,
    /// `--manifest-path`, passed on to every command.
    pub manifest_path: Option<PathBuf>,
    /// `--journal`, passed on to every command.
    pub journal: Option<PathBuf>,
}

/// Serve MCP on stdin and stdout until the client goes away.
pub fn serve(config: McpConfig) -> Result<(), McpError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(McpError::Runtime)?;
    runtime.block_on(server::serve_stdio(config))
}
