//! One test as another runner reports it, before it is linked to a mission.

use exemplar_formats::Outcome;

/// A test case read from a report of another runner.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignCase {
    /// The suite it ran in: a JUnit `testsuite` name (nextest's binary id), or `pytest`.
    pub suite: String,
    /// Its JUnit `classname` (a Python module, a Go package, a describe block), if any.
    pub classname: Option<String>,
    /// Its name as the runner gives it: `test_wal`, `test_x[1]`, `TestKV::test_x`,
    /// `module::test`.
    pub name: String,
    /// The pytest node id (`tests/test_kv.py::test_wal`), when the report has one.
    pub node_id: Option<String>,
    /// Its source file, relative to the project root, when the report says.
    pub file: Option<String>,
    /// 1-based line of its definition, when the report says.
    pub line: Option<u32>,
    /// How it ended.
    pub outcome: Outcome,
    /// Seconds.
    pub duration: f64,
    /// Failure or skip message.
    pub message: Option<String>,
    /// Captured output.
    pub output: Option<String>,
    /// Directive ids the report itself gives (a `design` property).
    pub design: Option<Vec<String>>,
}

impl ForeignCase {
    /// A case of `suite` named `name` that passed, everything else unknown.
    pub fn new(suite: &str, name: &str) -> ForeignCase {
        ForeignCase {
            suite: suite.to_owned(),
            classname: None,
            name: name.to_owned(),
            node_id: None,
            file: None,
            line: None,
            outcome: Outcome::Passed,
            duration: 0.0,
            message: None,
            output: None,
            design: None,
        }
    }

    /// The function that defines it: the last part of its name, without pytest's parameters
    /// (`test_x[1]` → `test_x`) or a Go subtest (`TestX/case` → `TestX`).
    pub fn function(&self) -> &str {
        let name = self.name.split('/').next().unwrap_or(&self.name);
        let name = name.split('[').next().unwrap_or(name);
        let last = name.rsplit("::").next().unwrap_or(name);
        last.rsplit('.').next().unwrap_or(last)
    }
}

/// Join non-empty parts of a message or an output with newlines.
pub(crate) fn joined(parts: &[Option<String>]) -> Option<String> {
    let parts: Vec<&str> = parts
        .iter()
        .flatten()
        .map(|s| s.trim_end())
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_behind_a_name() {
        let f = |n: &str| ForeignCase::new("s", n).function().to_owned();
        assert_eq!(f("test_x[1-2]"), "test_x");
        assert_eq!(f("TestKV::test_y"), "test_y");
        assert_eq!(f("store::tests::recovers"), "recovers");
        assert_eq!(f("TestWAL/empty_log"), "TestWAL");
        assert_eq!(f("tests.test_kv.test_z"), "test_z");
    }
}
