//! An event store that is really durable: the second reference mission of cargo exemplar.
//!
//! ```
//! use persist::{MemoryBackend, NewEvent, Store};
//! use serde_json::json;
//!
//! let store = Store::new(MemoryBackend::new());
//! store.append("orders", vec![NewEvent::new("Placed", json!({"total": 30}))])?;
//! store.append("orders", vec![NewEvent::new("Placed", json!({"total": 12}))])?;
//! let sum = store.project("orders", 0, |acc, e| acc + e.data["total"].as_i64().unwrap_or(0))?;
//! assert_eq!((sum.value, sum.seq), (42, 2));
//! # Ok::<(), persist::PersistError>(())
//! ```
//!
//! Streams of events with monotonic per-stream seqs; projections and resumable folds;
//! append-expect with conflicts as values; snapshots and compaction with a high-water mark
//! that survives truncation; a kv facet with compare-and-set; content-addressed blobs;
//! idempotent append; batches; the global commit order; queries; the catalog; upcasters on
//! read; materialized views kept current by a hub. Two backends
//! behind one [`Backend`] trait: [`MemoryBackend`] and [`DiskBackend`], which acknowledges a
//! write only once it is durable.
#![warn(missing_docs)]

mod backend;
mod disk;
mod errors;
mod model;
mod store;
pub mod upcast;
pub mod view;

pub use backend::{Backend, MemoryBackend};
pub use disk::DiskBackend;
pub use errors::{PersistError, Result};
pub use model::{Appended, BlobRef, Commit, Entry, Event, NewEvent, State};
pub use store::{GLOBAL, Store};
pub use upcast::{Upcasters, upcast_data};
pub use view::{Hub, Refresh, View};
