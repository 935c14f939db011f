//! `cargo exemplar report`: the journal's history as files for CI and for agents.
//!
//! - [`html`]: one self-contained page (no network at view time): the loss curve of each
//!   mission and one small curve per directive with design-change eras marked ([`svg`]), the
//!   design tree with current loss and status, the tests of the latest run, flaky tests, and
//!   the diff of the last two runs. Rendered with maud, which escapes every value.
//! - [`junit`]: JUnit XML of the latest run (quick-junit), directive ids as properties.
//! - [`json`]: a versioned document for agents (`exemplar-report`, version 1).
//! - [`markdown`]: a summary for a CI step summary, regressions first.
//!
//! All of them are built from one [`data::ReportData`] gathered by [`data::gather`].

pub mod command;
pub mod data;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod svg;

pub use command::command;
