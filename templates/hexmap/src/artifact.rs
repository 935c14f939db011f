//! Run artifacts: one parse of one file with one spec version, with the anomalies found in it
//! and its statistics. An artifact is a value: it is made once and compared, never changed.
//!
//! Anomalies and their severity:
//!
//! | kind | severity | meaning |
//! |---|---|---|
//! | `absurd_length` | high | a length or count read from the file exceeds what is left of it |
//! | `field_overflow` | high | a field runs past the end of the file |
//! | `no_records` | high | the grammar explains nothing of a non-empty file |
//! | `const_mismatch` | medium | a magic number or id did not match |
//! | `no_alternative` | medium | no type of a `one_of` matched |
//! | `trailing_data` | medium | the grammar ended before the file did |
//! | `unknown_registry_value` | low | a value its registry does not name |
//! | `record_limit` | low | `max_records` stopped the parse before the end |

use serde::Serialize;

use crate::grammar::Grammar;
use crate::parse::{ParseErrorKind, ParseResult, Stop};
use crate::tools::{Coverage, analyze_coverage, generate_spans};

/// How bad an anomaly is. High severity fails the `no_safety_violations` gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    Low,
    /// The grammar is probably wrong here.
    Medium,
    /// The grammar misreads the file in a way that would be unsafe to trust.
    High,
}

/// The kinds of anomaly (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// A length or count beyond the file.
    AbsurdLength,
    /// A field past the end of the file.
    FieldOverflow,
    /// Nothing parsed.
    NoRecords,
    /// A constant did not match.
    ConstMismatch,
    /// No `one_of` alternative matched.
    NoAlternative,
    /// Bytes after the grammar's end.
    TrailingData,
    /// A value not in its registry.
    UnknownRegistryValue,
    /// The record limit stopped the parse.
    RecordLimit,
}

impl AnomalyKind {
    /// Its severity.
    pub fn severity(self) -> Severity {
        match self {
            AnomalyKind::AbsurdLength | AnomalyKind::FieldOverflow | AnomalyKind::NoRecords => {
                Severity::High
            }
            AnomalyKind::ConstMismatch | AnomalyKind::NoAlternative | AnomalyKind::TrailingData => {
                Severity::Medium
            }
            AnomalyKind::UnknownRegistryValue | AnomalyKind::RecordLimit => Severity::Low,
        }
    }
}

/// Something suspicious in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    /// What.
    pub kind: AnomalyKind,
    /// How bad.
    pub severity: Severity,
    /// Where in the file.
    pub offset: u64,
    /// Where in the grammar (a value path), or empty.
    pub path: String,
    /// In words.
    pub message: String,
}

/// The numbers of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunStats {
    /// Percent of the file inside some value.
    pub coverage_percentage: f64,
    /// Bytes inside some value.
    pub covered_bytes: u64,
    /// Size of the file.
    pub file_size: u64,
    /// Records parsed.
    pub record_count: usize,
    /// Parse errors.
    pub error_count: usize,
    /// Anomalies of any severity.
    pub anomaly_count: usize,
    /// High-severity anomalies.
    pub high_severity_anomalies: usize,
    /// Medium-severity anomalies.
    pub medium_severity_anomalies: usize,
    /// Low-severity anomalies.
    pub low_severity_anomalies: usize,
    /// Uncovered ranges.
    pub gap_count: usize,
}

/// One parse of one file with one spec version.
#[derive(Debug, Clone, PartialEq)]
pub struct RunArtifact {
    /// The run's id.
    pub run_id: String,
    /// The spec version parsed with.
    pub spec_version_id: String,
    /// The file, as given.
    pub file_path: String,
    /// The parse.
    pub parse: ParseResult,
    /// Its coverage.
    pub coverage: Coverage,
    /// What looks wrong.
    pub anomalies: Vec<Anomaly>,
    /// The numbers.
    pub stats: RunStats,
}

/// Make the artifact of a parse: find its anomalies and count.
pub fn create_run_artifact(
    run_id: impl Into<String>,
    spec_version_id: impl Into<String>,
    grammar: &Grammar,
    parse: ParseResult,
    file_path: impl Into<String>,
) -> RunArtifact {
    let spans = generate_spans(grammar, &parse);
    let coverage = analyze_coverage(&spans, &parse);
    let mut anomalies = Vec::new();
    let mut add = |kind: AnomalyKind, offset: u64, path: &str, message: String| {
        anomalies.push(Anomaly {
            kind,
            severity: kind.severity(),
            offset,
            path: path.to_owned(),
            message,
        })
    };
    for e in &parse.errors {
        let kind = match e.kind {
            ParseErrorKind::AbsurdLength { .. } => AnomalyKind::AbsurdLength,
            ParseErrorKind::Eof { .. } => AnomalyKind::FieldOverflow,
            ParseErrorKind::ConstMismatch { .. } => AnomalyKind::ConstMismatch,
            ParseErrorKind::NoAlternative { .. } => AnomalyKind::NoAlternative,
        };
        add(kind, e.offset, &e.path, e.kind.to_string());
    }
    if parse.records.is_empty() && parse.file_size > 0 {
        add(
            AnomalyKind::NoRecords,
            0,
            "",
            format!("no record in {} bytes", parse.file_size),
        );
    }
    if parse.stop == Stop::Complete && parse.end < parse.file_size {
        add(
            AnomalyKind::TrailingData,
            parse.end,
            "",
            format!(
                "{} bytes after the last record",
                parse.file_size - parse.end
            ),
        );
    }
    if parse.stop == Stop::RecordLimit {
        add(
            AnomalyKind::RecordLimit,
            parse.end,
            "",
            format!(
                "stopped after {} records, {} bytes left",
                parse.records.len(),
                parse.file_size - parse.end
            ),
        );
    }
    // Values their registry does not name: the leaf values are already listed in `spans`.
    for e in &spans {
        let f = grammar.field(e.field.ty as usize, e.field.field as usize);
        if let (Some(r), Some(v)) = (f.registry, e.int) {
            let reg = &grammar.registries[r];
            if reg.lookup(v).is_none() {
                add(
                    AnomalyKind::UnknownRegistryValue,
                    e.span.offset,
                    &e.path,
                    format!("{v} is not in registry `{}`", reg.name),
                );
            }
        }
    }
    let count = |s: Severity| anomalies.iter().filter(|a| a.severity == s).count();
    let stats = RunStats {
        coverage_percentage: coverage.percentage,
        covered_bytes: coverage.covered_bytes,
        file_size: parse.file_size,
        record_count: parse.records.len(),
        error_count: parse.errors.len(),
        anomaly_count: anomalies.len(),
        high_severity_anomalies: count(Severity::High),
        medium_severity_anomalies: count(Severity::Medium),
        low_severity_anomalies: count(Severity::Low),
        gap_count: coverage.gaps.len(),
    };
    RunArtifact {
        run_id: run_id.into(),
        spec_version_id: spec_version_id.into(),
        file_path: file_path.into(),
        parse,
        coverage,
        anomalies,
        stats,
    }
}
