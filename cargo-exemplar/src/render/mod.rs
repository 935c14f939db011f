//! Reports of a run: [`table`] for people, [`json`] for agents. Both are built from the same
//! per-directive rows ([`exemplar_runner::rows`]), so they never disagree. [`stream`] shows a
//! run as it happens, for tools that watch it, and ends with the [`json`] document.

pub mod json;
pub mod stream;
pub mod table;
