//! The resources: each mission file as it is now (`exemplar://mission/ID`, YAML) and the
//! mission file's JSON Schema (`exemplar://schema/mission`).

use rmcp::ErrorData;
use rmcp::model::{
    ListResourcesResult, ReadResourceResponse, ReadResourceResult, Resource, ResourceContents,
};

use crate::McpConfig;
use crate::tools::exemplar;

/// The URI of the mission file's JSON Schema.
pub(crate) const SCHEMA_URI: &str = "exemplar://schema/mission";
const MISSION_PREFIX: &str = "exemplar://mission/";

/// The missions of the workspace: id, and the file's path.
async fn missions(config: &McpConfig) -> Result<Vec<(String, std::path::PathBuf)>, ErrorData> {
    let config = config.clone();
    let found = tokio::task::spawn_blocking(move || {
        let sel = exemplar_runner::Selection {
            workspace: true,
            manifest_path: config.manifest_path.clone(),
            ..exemplar_runner::Selection::default()
        };
        exemplar_runner::discover::discover(&sel)
    })
    .await
    .map_err(|e| ErrorData::internal_error(e.to_string(), None))?
    .map_err(|e| ErrorData::internal_error(format!("cannot read the workspace: {e}"), None))?;
    Ok(found
        .packages
        .into_iter()
        .map(|p| (p.mission.id.clone(), p.mission.path.clone()))
        .collect())
}

/// Every mission file, and the schema.
pub(crate) async fn list(config: &McpConfig) -> Result<ListResourcesResult, ErrorData> {
    let mut out: Vec<Resource> = missions(config)
        .await?
        .into_iter()
        .map(|(id, path)| {
            Resource::new(format!("{MISSION_PREFIX}{id}"), format!("mission {id}"))
                .with_description(format!(
                    "The mission file of {id} ({}): its design, signal and history",
                    path.display()
                ))
                .with_mime_type("application/yaml")
        })
        .collect();
    out.push(
        Resource::new(SCHEMA_URI, "mission file schema")
            .with_description("The JSON Schema of a mission file")
            .with_mime_type("application/schema+json"),
    );
    Ok(ListResourcesResult::with_all_items(out))
}

/// One resource's text.
pub(crate) async fn read(config: &McpConfig, uri: &str) -> Result<ReadResourceResponse, ErrorData> {
    let (text, mime) = if uri == SCHEMA_URI {
        let ran = exemplar(config, &["schema"], Vec::new(), Vec::new(), None).await;
        if ran.code != Some(0) {
            return Err(ErrorData::internal_error(
                format!("cargo exemplar schema failed: {}", ran.stderr),
                None,
            ));
        }
        (ran.stdout, "application/schema+json")
    } else if let Some(id) = uri.strip_prefix(MISSION_PREFIX) {
        let path = missions(config)
            .await?
            .into_iter()
            .find(|(m, _)| m == id)
            .map(|(_, p)| p)
            .ok_or_else(|| not_found(uri))?;
        let text = std::fs::read_to_string(&path).map_err(|e| {
            ErrorData::internal_error(format!("cannot read {}: {e}", path.display()), None)
        })?;
        (text, "application/yaml")
    } else {
        return Err(not_found(uri));
    };
    Ok(
        ReadResourceResult::new(vec![ResourceContents::text(text, uri).with_mime_type(mime)])
            .into(),
    )
}

fn not_found(uri: &str) -> ErrorData {
    ErrorData::resource_not_found(
        format!("no resource {uri} (list_resources names them)"),
        Some(serde_json::json!({ "uri": uri })),
    )
}
