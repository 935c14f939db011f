//! The name the crate being compiled uses for the `exemplar-test` library, for the paths the
//! expansion writes: `exemplar` (its library name), or the key of a renamed dependency
//! (`ex = { package = "exemplar-test", ... }` makes it `ex`), written in the package or
//! inherited from its workspace.

use std::path::Path;
use std::sync::OnceLock;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// The package that provides the `#[design]` runtime.
const PACKAGE: &str = "exemplar-test";

/// Its library name, used when the dependency is not renamed.
const LIBRARY: &str = "exemplar";

/// `::exemplar`, or the renamed dependency's name (read once per manifest, see
/// [`crate::manifest`]).
pub(crate) fn path() -> TokenStream {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let name = crate::manifest::of(Path::new(&dir)).extern_name.clone();
    let ident = Ident::new(&name, Span::call_site());
    quote!(::#ident)
}

/// Read the package's manifest for a renamed `exemplar-test` dependency: in
/// `[dev-dependencies]`, `[dependencies]` or their `[target.'cfg(..)']` forms, the rename
/// written there or inherited from the workspace (`key = { workspace = true }`).
pub(crate) fn extern_name(manifest: &Path) -> String {
    let Some(doc) = read_toml(manifest) else {
        return LIBRARY.to_owned();
    };
    let mut tables: Vec<&toml::Table> = Vec::new();
    let sections = ["dev-dependencies", "dependencies"];
    tables.extend(sections.iter().filter_map(|s| doc.get(*s)?.as_table()));
    if let Some(targets) = doc.get("target").and_then(|t| t.as_table()) {
        for t in targets.values().filter_map(|t| t.as_table()) {
            tables.extend(sections.iter().filter_map(|s| t.get(*s)?.as_table()));
        }
    }
    let workspace = OnceLock::new();
    for deps in tables {
        for (key, value) in deps {
            let mut package = value
                .get("package")
                .and_then(|p| p.as_str())
                .map(str::to_owned);
            if package.is_none() && value.get("workspace").and_then(|w| w.as_bool()) == Some(true) {
                let ws = workspace.get_or_init(|| workspace_dependencies(manifest));
                package = ws
                    .as_ref()
                    .and_then(|t: &toml::Table| t.get(key.as_str()))
                    .and_then(|d| d.get("package"))
                    .and_then(|p| p.as_str())
                    .map(str::to_owned);
            }
            if package.as_deref() == Some(PACKAGE) {
                return key.replace('-', "_");
            }
        }
    }
    LIBRARY.to_owned()
}

/// `[workspace.dependencies]` of the nearest manifest above `manifest` that has a `[workspace]`
/// (the package's own, when it is the workspace root).
fn workspace_dependencies(manifest: &Path) -> Option<toml::Table> {
    let mut dir = manifest.parent();
    while let Some(d) = dir {
        if let Some(doc) = read_toml(&d.join("Cargo.toml"))
            && let Some(ws) = doc.get("workspace").and_then(|w| w.as_table())
        {
            return ws.get("dependencies").and_then(|t| t.as_table()).cloned();
        }
        dir = d.parent();
    }
    None
}

fn read_toml(path: &Path) -> Option<toml::Table> {
    std::fs::read_to_string(path).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_are_followed_directly_per_target_and_through_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            p
        };
        let plain = write(
            "a/Cargo.toml",
            "[package]\nname = \"a\"\n[dev-dependencies]\nexemplar-test = \"0.1\"\n",
        );
        assert_eq!(extern_name(&plain), "exemplar");
        let renamed = write(
            "b/Cargo.toml",
            "[target.'cfg(unix)'.dev-dependencies]\nex-t = { package = \"exemplar-test\", version = \"0.1\" }\n",
        );
        assert_eq!(extern_name(&renamed), "ex_t");
        write(
            "Cargo.toml",
            "[workspace]\nmembers = [\"c\"]\n[workspace.dependencies]\nspec = { package = \"exemplar-test\", version = \"0.1\" }\n",
        );
        let inherited = write(
            "c/Cargo.toml",
            "[package]\nname = \"c\"\n[dev-dependencies]\nspec = { workspace = true }\n",
        );
        assert_eq!(extern_name(&inherited), "spec");
    }
}
