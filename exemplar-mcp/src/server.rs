//! The server: its tools (each a `cargo exemplar` command), its resources, and serving them
//! on stdio.

use exemplar_formats::patch::{DesignPatch, PATCH_VERSION};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, Implementation, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt, tool, tool_handler, tool_router};

use crate::tools::{
    CheckParams, DiffParams, ExplainParams, HistoryParams, LogParams, PatchParams, RunParams,
    StatusParams, exemplar, plain, refused, result,
};
use crate::{McpConfig, McpError, resources};

/// Exit codes of a run that are answers, not failures: 1 tests failed (or the gate failed),
/// 6 tests remain outstanding, 8 part of the run was not recorded (its document says what).
const ANSWERS: &[i32] = &[0, 1, 6, 8];

const INSTRUCTIONS: &str = "cargo exemplar measures how far the code is from its design. The design is a tree of \
directives in the mission file (resources exemplar://mission/ID); tests are linked to directives, and each \
directive's loss is the share of its tests that fail. The loop: `next` names the directive to work on (its \
invariant, failing tests with file:line and messages, source files); change the code (or the design, only \
through `design_patch`, made against the fingerprint `design_log` reports); `run` (with `design` to run only \
a directive's tests) to measure the loss again; `check` before committing fails if any directive's loss rose.";

/// The MCP server of one project.
pub struct ExemplarServer {
    config: McpConfig,
}

impl ExemplarServer {
    /// A server for the project `config` names.
    pub fn new(config: McpConfig) -> ExemplarServer {
        ExemplarServer { config }
    }
}

#[tool_router]
impl ExemplarServer {
    #[tool(
        description = "The loss of every directive in the latest run (or at a run, time or commit), with the design as it was then. Returns an exemplar-status document."
    )]
    async fn status(&self, Parameters(p): Parameters<StatusParams>) -> CallToolResult {
        let mut options = vec!["--message-format=json".to_owned()];
        if let Some(at) = p.at {
            options.push(format!("--at={at}"));
        }
        result(
            exemplar(&self.config, &["status"], options, Vec::new(), None).await,
            &[0],
        )
    }

    #[tool(
        description = "Build and run the project's tagged tests (all, or those of some directives, or those whose directives changed, or those whose name contains a filter), record the run, compute each directive's loss and rewrite the mission file's signal and history. Returns an exemplar-run document (exit code 1 means tests failed; that is a result, not an error)."
    )]
    async fn run(&self, Parameters(p): Parameters<RunParams>) -> CallToolResult {
        let mut options = vec!["--message-format=json".to_owned(), "-q".to_owned()];
        if let Some(ids) = p.design.filter(|d| !d.is_empty()) {
            options.push(format!("--design={}", ids.join(",")));
        }
        if p.changed == Some(true) {
            options.push("--changed".into());
        }
        if let Some(note) = p.note {
            options.push(format!("--note={note}"));
        }
        let trailing = match p.filter.map(|f| plain("filter", &f)).transpose() {
            Ok(f) => f.into_iter().collect(),
            Err(why) => return refused(why),
        };
        result(
            exemplar(&self.config, &["run"], options, trailing, None).await,
            ANSWERS,
        )
    }

    #[tool(
        description = "The pre-commit gate: run the tests and fail when an active directive's loss rose, or a test that passed in the baseline fails now. Returns an exemplar-check document with each violation's invariant, failing tests and messages."
    )]
    async fn check(&self, Parameters(p): Parameters<CheckParams>) -> CallToolResult {
        let mut options = vec!["--message-format=json".to_owned(), "-q".to_owned()];
        if let Some(b) = p.baseline {
            options.push(format!("--baseline={b}"));
        }
        result(
            exemplar(&self.config, &["check"], options, Vec::new(), None).await,
            ANSWERS,
        )
    }

    #[tool(
        description = "The directive to work on next (highest loss; of equals, the one whose loss rose last): its invariant and constraint, its failing tests with file:line and messages, the source files of its tests, and whether its loss is converging. Returns an exemplar-next document."
    )]
    async fn next(&self) -> CallToolResult {
        let options = vec!["--message-format=json".to_owned()];
        result(
            exemplar(&self.config, &["next"], options, Vec::new(), None).await,
            &[0],
        )
    }

    #[tool(
        description = "What `next` says, for one directive. Returns an exemplar-explain document."
    )]
    async fn explain(&self, Parameters(p): Parameters<ExplainParams>) -> CallToolResult {
        let id = match plain("id", &p.id) {
            Ok(id) => id,
            Err(why) => return refused(why),
        };
        let options = vec!["--message-format=json".to_owned()];
        result(
            exemplar(&self.config, &["explain"], options, vec![id], None).await,
            &[0],
        )
    }

    #[tool(
        description = "The runs over time; or a directive's loss over runs; or a test's outcomes over runs. Returns an exemplar-runs, exemplar-directive-history or exemplar-test-history document."
    )]
    async fn history(&self, Parameters(p): Parameters<HistoryParams>) -> CallToolResult {
        let target = match p.target.map(|t| plain("target", &t)).transpose() {
            Ok(t) => t.into_iter().collect(),
            Err(why) => return refused(why),
        };
        let options = vec!["--message-format=json".to_owned()];
        result(
            exemplar(&self.config, &["history"], options, target, None).await,
            &[0],
        )
    }

    #[tool(
        description = "What changed between two runs: tests that flipped, loss deltas, design changes. Returns an exemplar-diff document."
    )]
    async fn diff(&self, Parameters(p): Parameters<DiffParams>) -> CallToolResult {
        let mut runs = Vec::new();
        for (what, run) in [("from", p.from), ("to", p.to)] {
            match run.map(|r| plain(what, &r)).transpose() {
                Ok(r) => runs.extend(r),
                Err(why) => return refused(why),
            }
        }
        let options = vec!["--message-format=json".to_owned()];
        result(
            exemplar(&self.config, &["diff"], options, runs, None).await,
            &[0],
        )
    }

    #[tool(
        description = "Change the design with structured operations (add, update, retire, propose, activate, move, remove), all or none, checked like the mission file and journaled with their lineage. Give `base` (the design fingerprint you read) so a design that changed since is refused as a conflict. Returns an exemplar-design-applied document."
    )]
    async fn design_patch(&self, Parameters(p): Parameters<PatchParams>) -> CallToolResult {
        let doc = DesignPatch {
            format: None,
            version: PATCH_VERSION,
            mission: p.mission,
            base: p.base,
            note: p.note,
            author: p.author.or_else(|| Some("mcp client".into())),
            operations: p.operations,
        };
        let text = serde_json::to_string(&doc).expect("a patch serializes");
        let mut options = vec!["-".to_owned(), "--message-format=json".to_owned()];
        if p.dry_run == Some(true) {
            options.push("--dry-run".into());
        }
        let ran = exemplar(
            &self.config,
            &["design", "apply"],
            options,
            Vec::new(),
            Some(text),
        )
        .await;
        result(ran, &[0])
    }

    #[tool(
        description = "The design's lineage: every patch (or those touching one node), with the fingerprints before and after, and the design's fingerprint now (the `base` for the next patch). Returns an exemplar-design-log document."
    )]
    async fn design_log(&self, Parameters(p): Parameters<LogParams>) -> CallToolResult {
        let id = match p.id.map(|i| plain("id", &i)).transpose() {
            Ok(i) => i.into_iter().collect(),
            Err(why) => return refused(why),
        };
        let options = vec!["--message-format=json".to_owned()];
        result(
            exemplar(&self.config, &["design", "log"], options, id, None).await,
            &[0],
        )
    }
}

#[tool_handler]
impl ServerHandler for ExemplarServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new(
            "cargo-exemplar",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        resources::list(&self.config).await
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        resources::read(&self.config, &request.uri).await
    }
}

/// Serve `config`'s project on stdin and stdout until the client goes away.
pub(crate) async fn serve_stdio(config: McpConfig) -> Result<(), McpError> {
    let service = ExemplarServer::new(config)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| McpError::Protocol(e.to_string()))?;
    service
        .waiting()
        .await
        .map_err(|e| McpError::Protocol(e.to_string()))?;
    Ok(())
}
