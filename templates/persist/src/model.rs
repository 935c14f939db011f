//! Events, commits and the values the store returns.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event as stored: its stream, its place in the stream, its type and data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The stream it belongs to.
    pub stream: String,
    /// Its sequence number in the stream: 1, 2, 3... never reused, even after compaction.
    pub seq: u64,
    /// Its type (`OrderPlaced`).
    pub kind: String,
    /// Its data.
    pub data: Value,
    /// When it was appended, unix milliseconds.
    pub at: i64,
}

/// An event to append.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// Its type.
    pub kind: String,
    /// Its data.
    pub data: Value,
}

impl NewEvent {
    /// An event of type `kind` with `data`.
    pub fn new(kind: impl Into<String>, data: Value) -> NewEvent {
        NewEvent {
            kind: kind.into(),
            data,
        }
    }
}

/// The result of a conditional write: done, or a conflict reported as a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Appended<T> {
    /// The write happened.
    Done(T),
    /// The stream (or key) had moved on: nothing was written.
    Conflict {
        /// What the caller expected (a seq, or a value).
        expected: Value,
        /// What it was.
        actual: Value,
    },
}

impl<T> Appended<T> {
    /// Whether this is a conflict.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Appended::Conflict { .. })
    }

    /// The written value, if the write happened.
    pub fn done(self) -> Option<T> {
        match self {
            Appended::Done(t) => Some(t),
            Appended::Conflict { .. } => None,
        }
    }
}

/// One stream's part of a commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The stream.
    pub stream: String,
    /// Its events, with their sequence numbers assigned.
    pub events: Vec<Event>,
}

/// What a backend writes atomically: events of one or more streams (a stream and `$global`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    /// The entries.
    pub entries: Vec<Entry>,
}

/// A reference to content in the blob store. Logs and kv values hold refs, never bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlobRef {
    /// BLAKE3 of the content, hex.
    pub cid: String,
    /// Bytes.
    pub size: u64,
    /// Media type.
    pub mime: String,
}

/// The projection state: a folded value and the seq it has seen up to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State<T> {
    /// The value.
    pub value: T,
    /// The last seq folded in (0: none).
    pub seq: u64,
}
