//! Errors of the event store: each names what and where.

use std::path::PathBuf;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PersistError {
    /// An I/O call failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The log is damaged before its end.
    #[error("the event log {path} is damaged at offset {offset}: {detail}")]
    Damaged {
        /// The log file.
        path: PathBuf,
        /// Byte offset of the damaged record.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// Another process has the store open.
    #[error("the store at {path} is open in another process (pid {pid}); one process at a time")]
    Locked {
        /// The store folder.
        path: PathBuf,
        /// The holder, as written in its lock file.
        pid: String,
    },
    /// A stream name that is not allowed (empty, or `$`-reserved where user streams are meant).
    #[error("bad stream name `{0}`: {1}")]
    BadStream(String, &'static str),
    /// An event type no upcaster knows, read through the upcasting path.
    #[error(
        "event {stream}#{seq} has type `{kind}`, which has no upcaster and is not a current type"
    )]
    UnknownEventType {
        /// Stream.
        stream: String,
        /// Sequence number.
        seq: u64,
        /// The type.
        kind: String,
    },
    /// A blob ref whose content is not in the store.
    #[error("blob {cid} is referenced but its content is missing from the blob store")]
    MissingBlob {
        /// The content id.
        cid: String,
    },
    /// A value that does not (de)serialize.
    #[error("cannot encode or decode {what}: {detail}")]
    Codec {
        /// What.
        what: String,
        /// The serializer's message.
        detail: String,
    },
}

/// Shorthand.
pub type Result<T, E = PersistError> = std::result::Result<T, E>;

pub(crate) fn io(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> PersistError {
    let path = path.into();
    move |source| PersistError::Io {
        action,
        path,
        source,
    }
}
