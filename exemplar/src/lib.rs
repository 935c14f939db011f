//! Tie tests to design directives.
//!
//! A test target that uses exemplar sets `harness = false` and ends with `exemplar::main!()`:
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
//! /// Verify write-ahead log preserves order.
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
    pub use exemplar_formats::links::{FRAME as LINK_FRAME, record as link_record};
    pub use inventory;
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
