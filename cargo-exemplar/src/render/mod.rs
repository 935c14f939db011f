//! Reports of a run: [`table`] for people, [`json`] for agents. Both are built from the same
//! per-directive rows ([`exemplar_runner::rows`]), so they never disagree.

pub mod json;
pub mod table;
