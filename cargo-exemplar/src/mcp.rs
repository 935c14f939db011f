//! `cargo exemplar mcp`: the MCP server of `exemplar-mcp`, its tools calling this binary.

use crate::cli::McpArgs;
use crate::errors::{Error, ExitCode};

/// Serve MCP on stdio until the client goes away.
pub fn command(args: &McpArgs) -> Result<ExitCode, Error> {
    let io = |action: &'static str, path: std::path::PathBuf| {
        move |source| Error::Io {
            action,
            path,
            source,
        }
    };
    let exe = std::env::current_exe().map_err(io("find", "cargo-exemplar".into()))?;
    let dir = std::env::current_dir().map_err(io("read", ".".into()))?;
    exemplar_mcp::serve(exemplar_mcp::McpConfig {
        exe,
        dir,
        manifest_path: args.manifest_path.clone(),
        journal: args.journal.clone(),
    })
    .map_err(|e| Error::Usage(e.to_string()))?;
    Ok(ExitCode::Ok)
}
