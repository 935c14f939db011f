//! Checking the ids of `#[design(...)]` against the mission: each must name a design node that
//! is not `retired`. Every bad id gets its own error, spanned on the id.

use std::sync::Arc;

use exemplar_mission::Status;

use crate::mission::{self, KnownIds};
use crate::parse::Parsed;

pub(crate) fn validate(parsed: &Parsed) -> syn::Result<Arc<Result<KnownIds, String>>> {
    let loaded = mission::load();
    let known = match loaded.as_ref() {
        Ok(k) => k,
        Err(msg) => return Err(syn::Error::new_spanned(&parsed.ids[0], msg)),
    };
    let linkable: Vec<&str> = known
        .nodes
        .iter()
        .filter(|(_, s)| *s != Status::Retired)
        .map(|(id, _)| id.as_str())
        .collect();
    let list = if linkable.is_empty() {
        "none".to_owned()
    } else {
        linkable.join(", ")
    };
    let mut errors: Option<syn::Error> = None;
    for id in &parsed.ids {
        let name = id.to_string();
        let msg = match known.nodes.iter().find(|(n, _)| *n == name) {
            Some((_, Status::Retired)) => format!(
                "design id `{name}` is retired in {}; link the test to a live directive (known: {list})",
                known.display
            ),
            Some(_) => continue,
            None => format!(
                "unknown design id `{name}`: {} has no such node (known: {list})",
                known.display
            ),
        };
        let e = syn::Error::new_spanned(id, msg);
        match &mut errors {
            Some(all) => all.combine(e),
            None => errors = Some(e),
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(loaded),
    }
}
