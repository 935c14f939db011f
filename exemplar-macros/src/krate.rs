//! The name the crate being compiled uses for the `exemplar-test` library, for the paths the
//! expansion writes: `exemplar` (its library name), or the key of a renamed dependency
//! (`ex = { package = "exemplar-test", ... }` makes it `ex`).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// The package that provides the `#[design]` runtime.
const PACKAGE: &str = "exemplar-test";

/// Its library name, used when the dependency is not renamed.
const LIBRARY: &str = "exemplar";

/// `::exemplar` (or the renamed dependency's name), cached per package.
pub(crate) fn path() -> TokenStream {
    static NAMES: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let name = names
        .entry(dir.clone())
        .or_insert_with(|| extern_name(&dir))
        .clone();
    let ident = Ident::new(&name, Span::call_site());
    quote!(::#ident)
}

/// Read the package's manifest for a renamed `exemplar-test` dependency.
fn extern_name(dir: &str) -> String {
    let manifest = std::path::Path::new(dir).join("Cargo.toml");
    let Some(doc) = std::fs::read_to_string(manifest)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
    else {
        return LIBRARY.to_owned();
    };
    ["dev-dependencies", "dependencies"]
        .iter()
        .filter_map(|section| doc.get(*section)?.as_table())
        .flat_map(|deps| deps.iter())
        .find_map(|(key, value)| {
            let package = value.get("package").and_then(|p| p.as_str());
            match package {
                Some(PACKAGE) => Some(key.replace('-', "_")),
                _ => None,
            }
        })
        .unwrap_or_else(|| LIBRARY.to_owned())
}
