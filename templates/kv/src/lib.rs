//! A durable key-value store, built the way the founding note of cargo exemplar tells it.
//!
//! ```no_run
//! let store = kv::KvStore::open("data")?;
//! store.write("k1", "v1")?;          // returns once the write is on disk
//! assert_eq!(store.read("k1").as_deref(), Some(&b"v1"[..]));
//! store.close()?;
//! # Ok::<(), kv::KvError>(())
//! ```
//!
//! Keys and values are byte strings; anything that is `AsRef<[u8]>` (`&str`, `String`,
//! `Vec<u8>`) can be written.
//!
//! Every write goes to a write-ahead log ([`log`]) before it is acknowledged. How the log is
//! made durable is the [`Mode`]:
//!
//! - [`Mode::Batched`] (the default): writers are acknowledged together after one `fsync` per
//!   batch; a batch closes when it is full or its first write has waited long enough
//!   ([`BatchOptions`]). Many concurrent writers share each fsync.
//! - [`Mode::FsyncPerWrite`]: each write is fsynced alone. Correct, and slow.
//! - [`Mode::InMemory`]: the log lives in memory and dies with the process: the naive first
//!   iteration, kept so the story can be replayed.
//!
//! Opening a store replays its log ([`KvStore::open`]); a torn last record (a write cut short
//! by a crash, never acknowledged) is dropped; damage anywhere else is an error with its offset.
#![warn(missing_docs)]

mod errors;
pub mod log;
mod store;

pub use errors::KvError;
pub use store::{BatchOptions, Entry, KvStore, Mode};
