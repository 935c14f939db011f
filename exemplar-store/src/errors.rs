//! Errors of the journal, each carrying the file, offset or id it concerns.

use std::path::PathBuf;

/// What went wrong in the journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An I/O call failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot write").
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file is not a journal segment.
    #[error("{path} is not a journal segment (bad magic)")]
    NotASegment {
        /// The file.
        path: PathBuf,
    },
    /// A segment of a newer major format.
    #[error(
        "{path} is journal format {found_major}.{found_minor}; this version reads format {known_major}.x: upgrade cargo-exemplar"
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Its major version.
        found_major: u16,
        /// Its minor version.
        found_minor: u16,
        /// The major this build reads.
        known_major: u16,
    },
    /// Damage followed by valid records, a broken segment chain, or a sequence gap.
    #[error(
        "journal corrupted in {segment} at offset {offset}: {detail}; run `cargo exemplar journal repair` to move the damaged segment aside and keep every valid record"
    )]
    Corrupt {
        /// The segment file.
        segment: PathBuf,
        /// Byte offset of the damage.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// A previous fsync failed: the writer has stopped.
    #[error(
        "the journal writer stopped after a failed write or fsync ({detail}); nothing after it was acknowledged; reopen the journal"
    )]
    WriterStopped {
        /// The failure, as it was said.
        detail: String,
        /// The kind of the I/O error behind it, when it was one.
        kind: Option<std::io::ErrorKind>,
    },
    /// Another process holds the writer lock.
    #[error("the journal at {path} is locked by another writer (pid {pid})")]
    Locked {
        /// The journal folder.
        path: PathBuf,
        /// The holder's pid as written in the lock file, if readable.
        pid: String,
    },
    /// The index is in use by another process for longer than we wait.
    #[error("the journal index {path} stayed busy; try again")]
    IndexBusy {
        /// The index file.
        path: PathBuf,
    },
    /// The index of a newer major format.
    #[error(
        "the journal index {path} is format {found}; this version writes format {known}: upgrade cargo-exemplar"
    )]
    NewerIndex {
        /// The index file.
        path: PathBuf,
        /// Its format.
        found: String,
        /// Ours.
        known: String,
    },
    /// The index database failed.
    #[error("journal index {path}: {detail}")]
    Index {
        /// The index file.
        path: PathBuf,
        /// The database's message.
        detail: String,
    },
    /// A record payload that does not decode.
    #[error("undecodable {kind} record at sequence {seq}: {detail}")]
    Decode {
        /// Record kind.
        kind: &'static str,
        /// Its sequence number.
        seq: u64,
        /// The decoder's message.
        detail: String,
    },
    /// A run id, test or directive that the journal does not have.
    #[error("{0}")]
    NotFound(String),
    /// A file given as a bundle is not one.
    #[error("{path} is not a bundle of cargo exemplar runs (bad magic)")]
    NotABundle {
        /// The file.
        path: PathBuf,
    },
    /// A bundle that fails its checks: nothing of it was imported.
    #[error("bundle {path} is damaged at offset {offset}: {detail}; nothing was imported")]
    BundleDamaged {
        /// The file.
        path: PathBuf,
        /// Byte offset of the damage.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// A record of a kind this version does not know, met where it would have to be carried
    /// over (an export, a prune).
    #[error(
        "{segment} holds at offset {offset} a record of kind {kind}, unknown to this version: it was written by a newer cargo-exemplar, which must do this"
    )]
    UnknownKind {
        /// The segment.
        segment: PathBuf,
        /// Byte offset of the record.
        offset: u64,
        /// Its kind number.
        kind: u16,
    },
    /// A prune's folders in a state no prune leaves: nothing was deleted.
    #[error(
        "{journal}: a prune left its folders in a state it cannot settle alone ({detail}); nothing was deleted: look at wal/, wal.next/ and wal.old/ there"
    )]
    Unsettled {
        /// The journal.
        journal: PathBuf,
        /// What was found.
        detail: String,
    },
    /// A retention that would prune nothing sensible (no rule, or `keep_runs` 0).
    #[error("{0}")]
    BadRetention(String),
    /// A record too large to frame.
    #[error("a record of {0} bytes is larger than the 64 MiB limit")]
    TooLarge(usize),
    /// The index could not be written (a full or read-only disk): it is left as it was, never
    /// rebuilt for this, and the log it is derived from still holds everything.
    #[error("cannot write the journal index {path}: {source}")]
    IndexUnwritable {
        /// The index file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// Whether this is a write the disk refused — full, read-only, over quota or not
    /// permitted — rather than damage or a mistake: the journal is as it was, only this
    /// write is missing.
    pub fn is_unwritable(&self) -> bool {
        match self {
            StoreError::IndexUnwritable { .. } => true,
            StoreError::Io { source, .. } => is_unwritable(source),
            StoreError::WriterStopped { kind: Some(k), .. } => unwritable_kind(*k),
            _ => false,
        }
    }

    /// The kind of the I/O error behind this one, when it is one.
    pub(crate) fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            StoreError::Io { source, .. } | StoreError::IndexUnwritable { source, .. } => {
                Some(source.kind())
            }
            StoreError::WriterStopped { kind, .. } => *kind,
            _ => None,
        }
    }
}

/// Whether an I/O error says the disk refused a write: full, read-only, over quota, or not
/// permitted.
pub fn is_unwritable(e: &std::io::Error) -> bool {
    unwritable_kind(e.kind())
}

fn unwritable_kind(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        kind,
        K::StorageFull | K::ReadOnlyFilesystem | K::QuotaExceeded | K::PermissionDenied
    )
}

/// Shorthand.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) fn io(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.into();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}
