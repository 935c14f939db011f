//! Tie tests to design directives.
//!
//! The package is `exemplar-test` (`cargo add --dev exemplar-test`); in code it is `exemplar`.
//!
//! `#[design(S1, S3)]` goes above the test attribute a test already has — `#[test]`,
//! `#[tokio::test]`, `#[rstest]`, in unit tests in `src/` or in integration tests — and the
//! test runs as before under `cargo test` and `cargo nextest run`:
//!
//! ```ignore
//! use exemplar::design;
//!
//! /// Verify write-ahead log preserves order.
//! #[design(S1)]
//! #[test]
//! fn wal_ordering() {
//!     // ...
//! }
//! ```
//!
//! The ids are checked against the package's mission file at compile time, and the compiled
//! test binary carries the link (see `exemplar_formats::links`), so `cargo exemplar run` knows
//! every linked test before running any.
//!
//! A test target may instead use exemplar's own harness: it sets `harness = false`, tags plain
//! functions (no `#[test]`) and ends with `exemplar::main!()`:
//!
//! ```toml
//! [[test]]
//! name = "kv"
//! harness = false
//! ```
//!
//! ```ignore
//! use exemplar::design;
//!
//! #[design(S1)]
//! fn wal_ordering() {
//!     // ...
//! }
//!
//! exemplar::main!();
//! ```
//!
//! The target then behaves like a libtest binary (`cargo test`, filters, `--exact`, `--list`,
//! `--ignored`, `--include-ignored`, `--test-threads`, `--nocapture`, and `cargo nextest run`).
//! When `cargo exemplar run` starts it, the [`harness`] also streams [`events`] that tie each
//! outcome to the directives the test verifies.
#![warn(missing_docs)]

pub mod harness;

pub use exemplar_formats::Outcome;
/// The event protocol between this harness and `cargo exemplar`.
pub use exemplar_formats::events;
mod registry;

pub use exemplar_macros::design;
pub use registry::{Ignore, ShouldPanic, TestCase};

/// Implementation details used by the code `#[design]` and `main!` expand to. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::registry::{Ignore, IntoOutcome, ShouldPanic, TestCase};
    pub use inventory;
}

/// A link record of `#[design]` as a `static` in the binary's link section, on targets where
/// the attribute does not assemble it (see `exemplar-macros`). Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __link_static {
    ($name:ident $record:literal) => {
        #[used]
        #[cfg_attr(windows, unsafe(link_section = ".exlinks"))]
        #[cfg_attr(not(windows), unsafe(link_section = "__DATA,__exemplar"))]
        static $name: [u8; $record.len()] = *$record;
    };
}

/// The `main` of a test target: runs every `#[design]` test of the binary.
///
/// Expands to `fn main() -> std::process::ExitCode`.
#[macro_export]
macro_rules! main {
    () => {
        fn main() -> ::std::process::ExitCode {
            $crate::harness::run()
        }
    };
}
