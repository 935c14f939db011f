//! Binary-format grammars in YAML, and the spec-iteration loop: the third reference mission
//! of cargo exemplar.
//!
//! ```
//! use hexmap::{ParseOptions, analyze_coverage, generate_spans, lint_grammar, parse_binary};
//!
//! let grammar = lint_grammar(
//!     "root: File
//! types:
//!   File:
//!     fields:
//!       - { name: items, type: Item, repeat: eof }
//!   Item:
//!     fields:
//!       - { name: len, type: u8 }
//!       - { name: data, type: bytes, size: len }
//! ",
//! )
//! .map_err(|d| d[0].render("grammar.yaml"))?;
//! let data = [2, b'h', b'i', 1, b'!'];
//! let parse = parse_binary(&grammar, &data, ParseOptions::default());
//! assert_eq!(parse.records.len(), 2);
//! let coverage = analyze_coverage(&generate_spans(&grammar, &parse), &parse);
//! assert_eq!(coverage.percentage, 100.0);
//! # Ok::<(), String>(())
//! ```
//!
//! The tool host: [`lint_grammar`] checks a grammar (every problem with line and column) and
//! compiles it; [`parse_binary`] turns a file into records with byte spans, safely against
//! hostile lengths; [`generate_spans`], [`analyze_coverage`], [`decode_field`] and
//! [`query_records`] work over a parse.
//!
//! Spec iteration: [`Patch`]es of [`PatchOp`]s addressed by paths such as
//! `types.Header.fields[0]`; a [`SpecStore`] of immutable versions with lineage and diffs,
//! where a patch applies atomically and lint-checked; [`RunArtifact`]s with anomalies and
//! coverage; [`diff_runs`] and [`score_run`] with hard gates; the [`improve`] loop with a
//! pluggable [`Proposer`].
#![warn(missing_docs)]

mod artifact;
mod compare;
mod errors;
pub mod grammar;
mod improve;
mod lint;
pub mod parse;
pub mod patch;
pub mod spec;
mod tools;
mod version;

pub use artifact::{Anomaly, AnomalyKind, RunArtifact, RunStats, Severity, create_run_artifact};
pub use compare::{
    ERROR_PENALTY, Gate, LOW_PENALTY, MEDIUM_PENALTY, Metric, RunDiff, Score, diff_runs,
    find_best_run, find_best_scoring_run, score_run,
};
pub use errors::{Diagnostic, HexmapError, PatchError, Pos, Result};
pub use grammar::Grammar;
pub use improve::{
    CandidateLog, CandidateOutcome, CandidatePool, LoopEnd, LoopOptions, LoopOutcome,
    ProposalContext, Proposer, Round, improve, run_version,
};
pub use lint::{MAX_DEPTH, lint_grammar, lint_spec};
pub use parse::{ParseOptions, ParseResult, Record, Span, parse_binary};
pub use patch::{Patch, PatchOp, path_to_string, validate_path};
pub use spec::Spec;
pub use tools::{
    Coverage, DecodedField, Query, SpanEntry, analyze_coverage, decode_field, display_value,
    generate_spans, query_records, record_path,
};
pub use version::{SpecChange, SpecDiff, SpecStore, SpecVersion};
