//! Test groups: tests that must not share the machine freely with the rest of the run.
//!
//! A group is set in `[package.metadata.exemplar.test-groups.NAME]` (or in
//! `[workspace.metadata.exemplar.test-groups.NAME]` for every package of the workspace) and
//! takes its tests by exact name (`tests = [...]`), by a part of the name (`filter = "..."`),
//! or both. It bounds how many of its tests run at once (`max-threads`), may ask that nothing
//! else runs beside them (`alone = true`), and may set its own `retries`:
//!
//! ```toml
//! [package.metadata.exemplar.test-groups.load]
//! filter = "throughput"   # kv's stress test asserts a p99 latency
//! alone = true
//! ```
//!
//! A test in several groups belongs to the first one in name order.

use std::path::Path;

use serde_json::Value;

use crate::errors::Error;

/// One test group of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestGroup {
    /// Its name (the key under `test-groups`).
    pub name: String,
    /// Tests whose libtest name contains this.
    pub filter: Option<String>,
    /// Tests of exactly these libtest names.
    pub tests: Vec<String>,
    /// How many of its tests may run at once (1 when `alone`, unless set).
    pub max_threads: usize,
    /// Nothing outside the group runs while one of its tests does.
    pub alone: bool,
    /// Retries of its failing tests, instead of the package's.
    pub retries: Option<u32>,
}

impl TestGroup {
    /// Whether the test named `name` is one of the group's.
    pub fn takes(&self, name: &str) -> bool {
        self.tests.iter().any(|t| t == name)
            || self.filter.as_deref().is_some_and(|f| name.contains(f))
    }
}

/// The first of `groups` that takes test `name`.
pub fn group_of<'g>(groups: &'g [TestGroup], name: &str) -> Option<&'g TestGroup> {
    groups.iter().find(|g| g.takes(name))
}

/// The groups of a `test-groups` table of the manifest at `manifest`, read strictly.
pub(crate) fn parse(manifest: &Path, table: &Value) -> Result<Vec<TestGroup>, Error> {
    let bad = |key: String, expected: &'static str, found: &Value| Error::BadGroup {
        manifest: manifest.to_owned(),
        key,
        expected,
        found: found.to_string(),
    };
    let Some(table) = table.as_object() else {
        return Err(bad("test-groups".into(), "a table of groups", table));
    };
    let mut out = Vec::new();
    for (name, group) in table {
        let at = |key: &str| format!("test-groups.{name}.{key}");
        let Some(fields) = group.as_object() else {
            return Err(bad(format!("test-groups.{name}"), "a table", group));
        };
        let mut g = TestGroup {
            name: name.clone(),
            filter: None,
            tests: Vec::new(),
            max_threads: 0,
            alone: false,
            retries: None,
        };
        for (key, v) in fields {
            match key.as_str() {
                "filter" => {
                    let f = v.as_str().filter(|f| !f.is_empty());
                    g.filter = Some(
                        f.ok_or_else(|| bad(at(key), "a non-empty string", v))?
                            .into(),
                    );
                }
                "tests" => {
                    let names = v.as_array().and_then(|a| {
                        a.iter()
                            .map(|n| n.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                    });
                    g.tests = names.ok_or_else(|| bad(at(key), "a list of test names", v))?;
                }
                "max-threads" => {
                    let n = v.as_u64().filter(|n| *n > 0);
                    g.max_threads =
                        n.ok_or_else(|| bad(at(key), "a positive integer", v))? as usize;
                }
                "alone" => {
                    g.alone = v
                        .as_bool()
                        .ok_or_else(|| bad(at(key), "true or false", v))?
                }
                "retries" => {
                    let r = v.as_u64().and_then(|r| u32::try_from(r).ok());
                    g.retries = Some(r.ok_or_else(|| bad(at(key), "a whole number", v))?);
                }
                _ => {
                    return Err(bad(
                        at(key),
                        "one of filter, tests, max-threads, alone, retries",
                        v,
                    ));
                }
            }
        }
        if g.filter.is_none() && g.tests.is_empty() {
            return Err(bad(
                at("filter"),
                "set (or tests), to say which tests",
                group,
            ));
        }
        if g.max_threads == 0 {
            g.max_threads = if g.alone { 1 } else { usize::MAX };
        }
        out.push(g);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(json: &str) -> Result<Vec<TestGroup>, Error> {
        parse(
            Path::new("Cargo.toml"),
            &serde_json::from_str(json).unwrap(),
        )
    }

    #[test]
    fn a_group_takes_tests_by_name_or_filter() {
        let g = groups(
            r#"{"load": {"filter": "throughput", "alone": true},
                "db": {"tests": ["db::a", "db::b"], "max-threads": 2, "retries": 3}}"#,
        )
        .unwrap();
        let load = g.iter().find(|g| g.name == "load").unwrap();
        assert!(load.takes("kv::throughput") && !load.takes("kv::put"));
        assert_eq!((load.max_threads, load.alone), (1, true));
        let db = g.iter().find(|g| g.name == "db").unwrap();
        assert!(db.takes("db::a") && !db.takes("db::ab"));
        assert_eq!((db.max_threads, db.retries), (2, Some(3)));
        assert_eq!(group_of(&g, "db::b").map(|g| g.name.as_str()), Some("db"));
        assert!(group_of(&g, "other").is_none());
    }

    #[test]
    fn a_bad_group_is_an_error_naming_its_key() {
        for (json, key) in [
            (
                r#"{"g": {"filter": "x", "max-threads": 0}}"#,
                "test-groups.g.max-threads",
            ),
            (
                r#"{"g": {"filter": "x", "alone": "yes"}}"#,
                "test-groups.g.alone",
            ),
            (
                r#"{"g": {"filter": "x", "threads": 1}}"#,
                "test-groups.g.threads",
            ),
            (r#"{"g": {"max-threads": 1}}"#, "test-groups.g.filter"),
            (r#"{"g": 3}"#, "test-groups.g"),
            (r#"[1]"#, "test-groups"),
        ] {
            let e = groups(json).unwrap_err().to_string();
            assert!(e.contains(&format!(" {key} must be ")), "{json}: {e}");
        }
    }
}
