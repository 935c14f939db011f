//! The templates, compiled into the binary: `cargo exemplar new` works from an installed
//! `cargo-exemplar`, far from any checkout.
//!
//! `templates.bundle` (beside this crate's `Cargo.toml`) holds every file of every template
//! as `new` writes them: build output, fuzzing corpora and lockfiles left out, each mission
//! file without its `signal:` and `history:`. It is made from `templates/` by [`pack`]; a test
//! fails when it is stale, and `EXEMPLAR_UPDATE_TEMPLATES=1 cargo test -p cargo-exemplar
//! bundle` writes it again.
//!
//! Format: `EXTB1\n`, then per file its path (`TEMPLATE/REL`, `/`-separated) and its bytes,
//! each as a little-endian `u32` length and the data.

use std::path::Path;

use crate::errors::Error;

const MAGIC: &[u8] = b"EXTB1\n";

/// The bundle this binary was built with.
pub static BUNDLE: &[u8] = include_bytes!("../../templates.bundle");

/// One file of a template.
pub struct TemplateFile<'a> {
    /// Its path inside the template, `/`-separated.
    pub path: &'a str,
    /// Its content.
    pub bytes: &'a [u8],
}

/// The files of template `name` in `bundle`, in order.
pub fn files<'a>(bundle: &'a [u8], name: &str) -> Vec<TemplateFile<'a>> {
    let mut out = Vec::new();
    let Some(mut rest) = bundle.strip_prefix(MAGIC) else {
        return out;
    };
    while let Some((path, after)) = field(rest) {
        let Some((bytes, after)) = field(after) else {
            break;
        };
        rest = after;
        let path = std::str::from_utf8(path).unwrap_or("");
        if let Some(rel) = path.strip_prefix(name).and_then(|p| p.strip_prefix('/')) {
            out.push(TemplateFile { path: rel, bytes });
        }
    }
    out
}

fn field(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize;
    let data = b.get(4..4 + len)?;
    Some((data, &b[4 + len..]))
}

/// The bundle of the templates under `templates` (the `templates/` folder of a checkout).
pub fn pack(templates: &Path) -> Result<Vec<u8>, Error> {
    let mut out = MAGIC.to_vec();
    for name in super::TEMPLATES {
        let dir = templates.join(name);
        for rel in super::template_files(&dir)? {
            let from = dir.join(&rel);
            let mut bytes = std::fs::read(&from).map_err(|source| Error::Io {
                action: "read",
                path: from.clone(),
                source,
            })?;
            if rel == Path::new("mission.yaml") {
                bytes = super::fresh_mission(&String::from_utf8_lossy(&bytes)).into_bytes();
            }
            let path = format!("{name}/{}", rel.to_string_lossy().replace('\\', "/"));
            for data in [path.as_bytes(), &bytes] {
                out.extend((data.len() as u32).to_le_bytes());
                out.extend(data);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_holds_the_templates_of_this_checkout() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let fresh = pack(&root.join("../templates")).unwrap();
        if fresh != BUNDLE {
            if std::env::var_os("EXEMPLAR_UPDATE_TEMPLATES").is_some() {
                std::fs::write(root.join("templates.bundle"), &fresh).unwrap();
            } else {
                panic!(
                    "cargo-exemplar/templates.bundle is older than templates/: run `EXEMPLAR_UPDATE_TEMPLATES=1 cargo test -p cargo-exemplar bundle`"
                );
            }
        }
        for name in super::super::TEMPLATES {
            let files = files(&fresh, name);
            assert!(files.iter().any(|f| f.path == "Cargo.toml"), "{name}");
            let mission = files.iter().find(|f| f.path == "mission.yaml").unwrap();
            let text = std::str::from_utf8(mission.bytes).unwrap();
            assert!(
                !text.contains("\nsignal:") && !text.contains("\nhistory:"),
                "{name}"
            );
        }
        assert!(files(&fresh, "nope").is_empty());
    }
}
