//! Reports of a run: [`table`] for people, [`json`] for agents. Both are built from the same
//! per-directive [`rows`], so they never disagree.

pub mod json;
mod rows;
pub mod table;

pub use rows::{NodeRow, TestRow, rows};
