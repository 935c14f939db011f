//! Errors of the store.

use std::path::PathBuf;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KvError {
    /// An I/O call failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The log is damaged before its end: records after the damage cannot be trusted.
    #[error("the log {path} is damaged at offset {offset}: {detail}")]
    Damaged {
        /// The log file.
        path: PathBuf,
        /// Byte offset of the damaged record.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// A key or value larger than the format allows (4 GiB).
    #[error("a key or value of {0} bytes is too large")]
    TooLarge(usize),
    /// The committer stopped after a failed write or fsync; nothing after it was acknowledged.
    #[error("the store stopped accepting writes after a failed write or fsync: {0}")]
    Stopped(String),
}

pub(crate) fn io(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> KvError {
    let path = path.into();
    move |source| KvError::Io {
        action,
        path,
        source,
    }
}
