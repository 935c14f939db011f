//! `SpecStore`: immutable spec versions, each with its parent, the patch that made it and its
//! canonical text; lineage back to the root; structural diffs between any two versions.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::errors::PatchError;
use crate::lint::lint_spec;
use crate::patch::Patch;
use crate::spec::{self, Props, Spec};

/// One version of a spec. Shared as `Arc<SpecVersion>` and never changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecVersion {
    /// `v1`, `v2`... in the order the store made them.
    pub id: String,
    /// The version this one was patched from (`None` for an initial version).
    pub parent_id: Option<String>,
    /// The patch that made it from its parent.
    pub patch: Option<Patch>,
    /// The spec.
    pub spec: Spec,
    /// Its canonical YAML.
    pub text: String,
    /// BLAKE3 of `text`, 16 hex digits: equal digests, equal specs.
    pub digest: String,
    /// Whether it passed lint when it was made (`false` when lint was skipped or failed on an
    /// initial version made without lint).
    pub linted: bool,
}

/// All versions of a spec session.
#[derive(Debug, Default)]
pub struct SpecStore {
    versions: Vec<Arc<SpecVersion>>,
    by_id: HashMap<String, usize>,
}

impl SpecStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of versions.
    pub fn len(&self) -> usize {
        self.versions.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    /// Every version, oldest first.
    pub fn versions(&self) -> impl Iterator<Item = &Arc<SpecVersion>> {
        self.versions.iter()
    }

    /// The version `id`.
    pub fn get(&self, id: &str) -> Option<Arc<SpecVersion>> {
        self.by_id.get(id).map(|i| self.versions[*i].clone())
    }

    /// Add a root version from grammar text. With `run_lint`, a grammar that does not lint is
    /// refused with its diagnostics (positions in `text`).
    pub fn create_initial(
        &mut self,
        text: &str,
        run_lint: bool,
    ) -> Result<Arc<SpecVersion>, PatchError> {
        let (spec, locs) = spec::load(text).map_err(PatchError::Lint)?;
        if run_lint {
            lint_spec(&spec, &locs).map_err(PatchError::Lint)?;
        }
        let text = spec.to_yaml();
        Ok(self.push(None, None, spec, text, run_lint))
    }

    /// Apply `patch` to version `parent`: all ops or none, then (with `run_lint`) lint the
    /// result. On any failure the store is unchanged.
    pub fn apply_patch(
        &mut self,
        parent: &str,
        patch: &Patch,
        run_lint: bool,
    ) -> Result<Arc<SpecVersion>, PatchError> {
        let base = self
            .get(parent)
            .ok_or_else(|| PatchError::UnknownVersion(parent.to_owned()))?;
        let spec = patch.apply(&base.spec)?;
        let text = spec.to_yaml();
        if run_lint {
            // Lint with positions in the version's own canonical text.
            let (_, locs) = spec::load(&text).map_err(PatchError::Lint)?;
            lint_spec(&spec, &locs).map_err(PatchError::Lint)?;
        }
        Ok(self.push(
            Some(parent.to_owned()),
            Some(patch.clone()),
            spec,
            text,
            run_lint,
        ))
    }

    fn push(
        &mut self,
        parent_id: Option<String>,
        patch: Option<Patch>,
        spec: Spec,
        text: String,
        linted: bool,
    ) -> Arc<SpecVersion> {
        let id = format!("v{}", self.versions.len() + 1);
        let digest = blake3::hash(text.as_bytes()).to_hex()[..16].to_owned();
        let v = Arc::new(SpecVersion {
            id: id.clone(),
            parent_id,
            patch,
            spec,
            text,
            digest,
            linted,
        });
        self.by_id.insert(id, self.versions.len());
        self.versions.push(v.clone());
        v
    }

    /// The ids from the root version down to `id` (empty when `id` is unknown).
    pub fn get_lineage(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = self.get(id);
        while let Some(v) = cur {
            out.push(v.id.clone());
            cur = v.parent_id.as_deref().and_then(|p| self.get(p));
        }
        out.reverse();
        out
    }

    /// What changed from version `from` to version `to`.
    pub fn diff_specs(&self, from: &str, to: &str) -> Result<SpecDiff, PatchError> {
        let a = self
            .get(from)
            .ok_or_else(|| PatchError::UnknownVersion(from.to_owned()))?;
        let b = self
            .get(to)
            .ok_or_else(|| PatchError::UnknownVersion(to.to_owned()))?;
        Ok(SpecDiff {
            from: from.to_owned(),
            to: to.to_owned(),
            changes: diff(&a.spec, &b.spec),
        })
    }
}

/// One difference between two specs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum SpecChange {
    /// Something is new.
    Added {
        /// Where.
        path: String,
        /// What, as written.
        value: String,
    },
    /// Something is gone.
    Removed {
        /// Where it was.
        path: String,
        /// What it was.
        value: String,
    },
    /// A value changed.
    Changed {
        /// Where.
        path: String,
        /// Before.
        before: String,
        /// After.
        after: String,
    },
    /// A field moved within its type.
    Moved {
        /// The field, by name: `types.T.fields.name`.
        path: String,
        /// Old index.
        from: usize,
        /// New index.
        to: usize,
    },
}

impl fmt::Display for SpecChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecChange::Added { path, value } => write!(f, "+ {path}: {value}"),
            SpecChange::Removed { path, value } => write!(f, "- {path}: {value}"),
            SpecChange::Changed {
                path,
                before,
                after,
            } => write!(f, "~ {path}: {before} → {after}"),
            SpecChange::Moved { path, from, to } => write!(f, "↕ {path}: [{from}] → [{to}]"),
        }
    }
}

/// Every change between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecDiff {
    /// The older version.
    pub from: String,
    /// The newer version.
    pub to: String,
    /// The changes, top-level first, then type by type.
    pub changes: Vec<SpecChange>,
}

impl fmt::Display for SpecDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} → {}: {} changes",
            self.from,
            self.to,
            self.changes.len()
        )?;
        for c in &self.changes {
            writeln!(f, "  {c}")?;
        }
        Ok(())
    }
}

fn props_text(p: &Props) -> String {
    let body: Vec<String> = p.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{ {} }}", body.join(", "))
}

fn diff_props(path: &str, a: &Props, b: &Props, out: &mut Vec<SpecChange>) {
    for (k, va) in &a.0 {
        match b.get(k) {
            None => out.push(SpecChange::Removed {
                path: format!("{path}.{k}"),
                value: va.to_string(),
            }),
            Some(vb) if vb != va => out.push(SpecChange::Changed {
                path: format!("{path}.{k}"),
                before: va.to_string(),
                after: vb.to_string(),
            }),
            Some(_) => {}
        }
    }
    for (k, vb) in &b.0 {
        if a.get(k).is_none() {
            out.push(SpecChange::Added {
                path: format!("{path}.{k}"),
                value: vb.to_string(),
            });
        }
    }
}

fn diff(a: &Spec, b: &Spec) -> Vec<SpecChange> {
    let mut out = Vec::new();
    let top = |p: &str| p.trim_start_matches('.').to_owned();
    let mut tmp = Vec::new();
    diff_props("", &a.props, &b.props, &mut tmp);
    for c in tmp {
        out.push(match c {
            SpecChange::Added { path, value } => SpecChange::Added {
                path: top(&path),
                value,
            },
            SpecChange::Removed { path, value } => SpecChange::Removed {
                path: top(&path),
                value,
            },
            SpecChange::Changed {
                path,
                before,
                after,
            } => SpecChange::Changed {
                path: top(&path),
                before,
                after,
            },
            m => m,
        });
    }
    for (name, ta) in &a.types {
        let path = format!("types.{name}");
        let Some(tb) = b.type_def(name) else {
            out.push(SpecChange::Removed {
                path,
                value: format!("{} fields", ta.fields.len()),
            });
            continue;
        };
        diff_props(&path, &ta.props, &tb.props, &mut out);
        let pos_b = |n: &str| tb.fields.iter().position(|f| f.name() == Some(n));
        for (i, fa) in ta.fields.iter().enumerate() {
            let fname = fa.name().unwrap_or("");
            match pos_b(fname) {
                None => out.push(SpecChange::Removed {
                    path: format!("{path}.fields[{i}]"),
                    value: props_text(fa),
                }),
                Some(j) => {
                    let fb = &tb.fields[j];
                    diff_props(&format!("{path}.fields[{j}]"), fa, fb, &mut out);
                }
            }
        }
        // Moves: the order of the fields both versions have.
        let common_a: Vec<&str> = ta
            .fields
            .iter()
            .filter_map(|f| f.name())
            .filter(|n| pos_b(n).is_some())
            .collect();
        let mut common_b: Vec<&str> = common_a.clone();
        common_b.sort_by_key(|n| pos_b(n));
        if common_a != common_b {
            for (i, fa) in ta.fields.iter().enumerate() {
                let n = fa.name().unwrap_or("");
                if let Some(j) = pos_b(n)
                    && common_a.iter().position(|x| *x == n)
                        != common_b.iter().position(|x| *x == n)
                {
                    out.push(SpecChange::Moved {
                        path: format!("{path}.fields.{n}"),
                        from: i,
                        to: j,
                    });
                }
            }
        }
        for (j, fb) in tb.fields.iter().enumerate() {
            let n = fb.name().unwrap_or("");
            if !ta.fields.iter().any(|f| f.name() == Some(n)) {
                out.push(SpecChange::Added {
                    path: format!("{path}.fields[{j}]"),
                    value: props_text(fb),
                });
            }
        }
    }
    for (name, tb) in &b.types {
        if a.type_def(name).is_none() {
            out.push(SpecChange::Added {
                path: format!("types.{name}"),
                value: format!(
                    "{} fields: {}",
                    tb.fields.len(),
                    tb.fields
                        .iter()
                        .map(|f| f.name().unwrap_or("?"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    let entries = |s: &Spec| -> Vec<(String, i128, String)> {
        s.registries
            .iter()
            .flat_map(|(r, e)| e.iter().map(move |(v, n)| (r.clone(), *v, n.clone())))
            .collect()
    };
    let (ea, eb) = (entries(a), entries(b));
    for (r, v, n) in &ea {
        match eb.iter().find(|(r2, v2, _)| r2 == r && v2 == v) {
            None => out.push(SpecChange::Removed {
                path: format!("registries.{r}.{v}"),
                value: n.clone(),
            }),
            Some((_, _, n2)) if n2 != n => out.push(SpecChange::Changed {
                path: format!("registries.{r}.{v}"),
                before: n.clone(),
                after: n2.clone(),
            }),
            _ => {}
        }
    }
    for (r, v, n) in &eb {
        if !ea.iter().any(|(r2, v2, _)| r2 == r && v2 == v) {
            out.push(SpecChange::Added {
                path: format!("registries.{r}.{v}"),
                value: n.clone(),
            });
        }
    }
    out
}
