//! The `exemplar-list` document (version 1): every test of the selected packages, its binary,
//! its design ids and whether a run would run it.

use serde::{Deserialize, Serialize};

use crate::events::Plan;

/// The listing, as one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListDocument {
    /// Always `exemplar-list`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// Every test binary of the selected packages, in cargo's order.
    pub binaries: Vec<ListedBinary>,
    /// Tests that exist but that exemplar does not run (doctests, examples, benches).
    pub not_run: Vec<UnrunTarget>,
}

/// One test binary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedBinary {
    /// Package name.
    pub package: String,
    /// Target name.
    pub target: String,
    /// `lib`, `test`, `bin`, `example` or `bench`.
    pub kind: String,
    /// `exemplar` (`exemplar::main!()`), `libtest` (the default harness), or `unknown` when it
    /// could not list its tests. Tests of either can carry design ids.
    pub harness: String,
    /// Its tests, in the harness's order.
    pub tests: Vec<ListedTest>,
    /// Tagged functions compiled into it that its harness does not run (a run records them
    /// `stranded`, a failing outcome).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stranded: Vec<ListedTest>,
    /// Why it could not list its tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedTest {
    /// libtest name.
    pub name: String,
    /// Its design ids (empty: untagged).
    pub ids: Vec<String>,
    /// Source file, relative to the package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Line of the function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// `run`, `ignored` or `filtered`.
    pub plan: Plan,
}

/// Tests that exist but that exemplar does not run: doctests, and examples and benches that
/// `cargo test` only builds. Listed so that nothing is passed over in silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnrunTarget {
    /// Package name.
    pub package: String,
    /// Target name.
    pub target: String,
    /// `doctest`, `example` or `bench`.
    pub kind: String,
    /// Why exemplar does not run it, and what does.
    pub reason: String,
}
