//! The errors of the MCP server.

/// Why the server stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum McpError {
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The protocol failed: the client sent something unreadable, or went away mid-handshake.
    #[error("mcp: {0}")]
    Protocol(String),
}
