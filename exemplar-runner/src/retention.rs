//! How long the journal keeps runs: the rules `journal prune` is given (`--keep-runs N`,
//! `--older-than AGE`) or, without them, the workspace's default retention:
//!
//! ```toml
//! [workspace.metadata.exemplar.retention]   # or [package.metadata.exemplar.retention]
//! keep-runs = 500                           # of the package at the workspace root
//! older-than = "90d"
//! ```
//!
//! An age is a span as people write it (`90d`, `12h`, `2 weeks`, `1y 6mo`) or in ISO 8601
//! (`P90D`), counted back from now in UTC.

use std::path::{Path, PathBuf};

use cargo_metadata::MetadataCommand;
use exemplar_store::Retention;
use jiff::{Span, Timestamp, tz::TimeZone};

use crate::errors::Error;

/// The rules of a retention, as given: how many runs to keep, how old a run may get.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetentionRules {
    /// Keep the latest this many runs.
    pub keep_runs: Option<usize>,
    /// Let go the runs older than this.
    pub older_than: Option<Span>,
}

impl RetentionRules {
    /// No rule given.
    pub fn is_empty(&self) -> bool {
        self.keep_runs.is_none() && self.older_than.is_none()
    }

    /// The retention these rules make at time `now`.
    pub fn at(&self, now: Timestamp) -> Result<Retention, String> {
        let started_before = match self.older_than {
            Some(age) => Some(
                now.to_zoned(TimeZone::UTC)
                    .checked_sub(age)
                    .map_err(|e| format!("cannot count {age:#} back from now: {e}"))?
                    .timestamp()
                    .as_second(),
            ),
            None => None,
        };
        Ok(Retention {
            keep_runs: self.keep_runs,
            started_before,
        })
    }
}

/// Read an age: `90d`, `12h`, `2 weeks`, `P90D`. Zero and negative ages are refused.
pub fn parse_age(text: &str) -> Result<Span, String> {
    let span: Span = text
        .trim()
        .parse()
        .map_err(|e| format!("`{text}` is not an age such as 90d, 12h, 2 weeks or P90D: {e}"))?;
    if span.is_negative() || span.is_zero() {
        return Err(format!("an age must be more than zero, not `{text}`"));
    }
    Ok(span)
}

/// The default retention of the workspace of `manifest_path` (or of the current folder), and
/// the manifest that sets it: `[workspace.metadata.exemplar.retention]`, else the root
/// package's `[package.metadata.exemplar.retention]`. `None` when neither sets one.
pub fn configured(
    manifest_path: Option<&Path>,
) -> Result<Option<(RetentionRules, PathBuf)>, Error> {
    let mut cmd = MetadataCommand::new();
    if let Some(p) = manifest_path {
        cmd.manifest_path(p);
    }
    cmd.no_deps();
    let meta = cmd.exec()?;
    let manifest = meta.workspace_root.join("Cargo.toml").into_std_path_buf();
    let of_workspace = meta.workspace_metadata.get("exemplar");
    let of_root = meta
        .packages
        .iter()
        .find(|p| p.manifest_path.as_std_path() == manifest)
        .and_then(|p| p.metadata.get("exemplar"));
    let table = [of_workspace, of_root]
        .into_iter()
        .flatten()
        .find_map(|t| t.get("retention"));
    match table {
        Some(t) => Ok(Some((read(&manifest, t)?, manifest))),
        None => Ok(None),
    }
}

/// Read a `retention` table strictly: a key of the wrong type or an unknown key is an error
/// naming it.
fn read(manifest: &Path, table: &serde_json::Value) -> Result<RetentionRules, Error> {
    let bad =
        |key: &'static str, expected: &'static str, found: &serde_json::Value| Error::BadMetadata {
            manifest: manifest.to_owned(),
            key,
            expected,
            found: found.to_string(),
        };
    let Some(map) = table.as_object() else {
        return Err(bad("retention", "a table", table));
    };
    let mut rules = RetentionRules::default();
    for (key, value) in map {
        match key.as_str() {
            "keep-runs" => {
                let n = value
                    .as_u64()
                    .filter(|n| *n > 0)
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| bad("retention.keep-runs", "a positive integer", value))?;
                rules.keep_runs = Some(n);
            }
            "older-than" => {
                let age = value
                    .as_str()
                    .and_then(|s| parse_age(s).ok())
                    .ok_or_else(|| bad("retention.older-than", "an age such as \"90d\"", value))?;
                rules.older_than = Some(age);
            }
            _ => {
                return Err(bad(
                    "retention",
                    "a table of keep-runs and older-than",
                    &serde_json::Value::String(key.clone()),
                ));
            }
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_as_people_write_them() {
        let now: Timestamp = "2026-03-31T12:00:00Z".parse().unwrap();
        let before = |age: &str| {
            let rules = RetentionRules {
                keep_runs: None,
                older_than: Some(parse_age(age).unwrap()),
            };
            Timestamp::from_second(rules.at(now).unwrap().started_before.unwrap())
                .unwrap()
                .to_string()
        };
        assert_eq!(before("90d"), "2025-12-31T12:00:00Z");
        assert_eq!(before("12h"), "2026-03-31T00:00:00Z");
        assert_eq!(before("2 weeks"), "2026-03-17T12:00:00Z");
        assert_eq!(before("P1M"), "2026-02-28T12:00:00Z");
        assert!(parse_age("0d").is_err());
        assert!(parse_age("-3d").is_err());
        assert!(parse_age("soon").unwrap_err().contains("not an age"));
    }

    #[test]
    fn a_retention_table_is_read_strictly() {
        let m = Path::new("Cargo.toml");
        let ok = read(m, &serde_json::json!({"keep-runs": 5, "older-than": "30d"})).unwrap();
        assert_eq!(ok.keep_runs, Some(5));
        assert!(ok.older_than.is_some());
        for bad in [
            serde_json::json!({"keep-runs": 0}),
            serde_json::json!({"keep-runs": "5"}),
            serde_json::json!({"older-than": 30}),
            serde_json::json!({"keep": 5}),
            serde_json::json!(7),
        ] {
            let e = read(m, &bad).unwrap_err().to_string();
            assert!(e.contains("retention"), "{e}");
        }
    }
}
