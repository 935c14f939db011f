//! The registry of `#[design]` tests: what the attribute submits through `inventory`.

use std::fmt::Debug;

/// Whether a test is `#[ignore]`d.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignore {
    /// Runs normally.
    No,
    /// `#[ignore]`.
    Yes,
    /// `#[ignore = "reason"]`.
    Because(&'static str),
}

/// What `#[should_panic]` asks of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShouldPanic {
    /// The test must not panic.
    No,
    /// `#[should_panic]`: the test must panic.
    Yes,
    /// `#[should_panic(expected = "...")]`: must panic with a message containing the text.
    Expected(&'static str),
}

/// One registered test.
#[derive(Debug)]
pub struct TestCase {
    /// The function's name.
    pub name: &'static str,
    /// `module_path!()` where it was defined (starts with the crate name).
    pub module_path: &'static str,
    /// `file!()` of the definition.
    pub file: &'static str,
    /// Line of the function's name.
    pub line: u32,
    /// The design ids it verifies.
    pub ids: &'static [&'static str],
    /// `#[ignore]`.
    pub ignore: Ignore,
    /// `#[should_panic]`.
    pub should_panic: ShouldPanic,
    /// Runs the body; `Err` carries the `Debug` of a returned error.
    pub run: fn() -> Result<(), String>,
}

impl TestCase {
    /// The name libtest would give it: the module path without the crate, then the function.
    pub fn test_name(&self) -> String {
        match self.module_path.split_once("::") {
            Some((_, rest)) => format!("{rest}::{}", self.name),
            None => self.name.to_owned(),
        }
    }
}

inventory::collect!(TestCase);

/// What a test function may return: `()` or `Result<(), E>` with `E: Debug`.
#[diagnostic::on_unimplemented(
    message = "a #[design] test must return () or Result<(), E> where E: Debug, not `{Self}`",
    label = "this return type"
)]
pub trait IntoOutcome {
    /// `Ok(())` for success, `Err(message)` for a returned error.
    fn into_outcome(self) -> Result<(), String>;
}

impl IntoOutcome for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: Debug> IntoOutcome for Result<(), E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map_err(|e| format!("Error: {e:?}"))
    }
}

/// All registered tests, sorted by name (libtest's order).
pub(crate) fn all() -> Vec<&'static TestCase> {
    let mut v: Vec<&'static TestCase> = inventory::iter::<TestCase>.into_iter().collect();
    v.sort_by_cached_key(|t| t.test_name());
    v
}
