//! The storage behind a store: one trait, two backends. [`MemoryBackend`] keeps everything in
//! memory (fast tests); [`crate::DiskBackend`] keeps it on disk and acknowledges only what is
//! durable. The whole suite runs against both.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

use crate::errors::Result;
use crate::model::{Commit, Event};

/// What a store needs from storage. Writes are serialized by the store; a backend makes each
/// call atomic and, when durable, durable before it returns.
pub trait Backend: Send + Sync {
    /// Append a commit (events of one or more streams) atomically.
    fn commit(&self, c: &Commit) -> Result<()>;
    /// The events of `stream` with seq > `after`, in order.
    fn read(&self, stream: &str, after: u64) -> Result<Vec<Event>>;
    /// The stream's high-water mark: the last seq ever appended (survives truncation).
    fn last_seq(&self, stream: &str) -> Result<u64>;
    /// Every stream that has a high-water mark (compacted ones included).
    fn streams(&self) -> Result<Vec<String>>;
    /// Drop the events of `stream` with seq <= `seq`; the high-water mark stays.
    fn truncate_through(&self, stream: &str, seq: u64) -> Result<()>;
    /// A kv value.
    fn kv_get(&self, key: &str) -> Result<Option<Value>>;
    /// Set a kv value.
    fn kv_put(&self, key: &str, value: &Value) -> Result<()>;
    /// Store content under its id (BLAKE3 hex); storing it twice keeps one copy.
    fn blob_put(&self, cid: &str, bytes: &[u8]) -> Result<()>;
    /// Content by id.
    fn blob_get(&self, cid: &str) -> Result<Option<Vec<u8>>>;
}

impl<B: Backend + ?Sized> Backend for Box<B> {
    fn commit(&self, c: &Commit) -> Result<()> {
        (**self).commit(c)
    }
    fn read(&self, stream: &str, after: u64) -> Result<Vec<Event>> {
        (**self).read(stream, after)
    }
    fn last_seq(&self, stream: &str) -> Result<u64> {
        (**self).last_seq(stream)
    }
    fn streams(&self) -> Result<Vec<String>> {
        (**self).streams()
    }
    fn truncate_through(&self, stream: &str, seq: u64) -> Result<()> {
        (**self).truncate_through(stream, seq)
    }
    fn kv_get(&self, key: &str) -> Result<Option<Value>> {
        (**self).kv_get(key)
    }
    fn kv_put(&self, key: &str, value: &Value) -> Result<()> {
        (**self).kv_put(key, value)
    }
    fn blob_put(&self, cid: &str, bytes: &[u8]) -> Result<()> {
        (**self).blob_put(cid, bytes)
    }
    fn blob_get(&self, cid: &str) -> Result<Option<Vec<u8>>> {
        (**self).blob_get(cid)
    }
}

#[derive(Default)]
struct Mem {
    streams: BTreeMap<String, Vec<Event>>,
    high: BTreeMap<String, u64>,
    kv: BTreeMap<String, Value>,
    blobs: BTreeMap<String, Vec<u8>>,
}

/// Everything in memory; gone with the value.
#[derive(Default)]
pub struct MemoryBackend {
    m: Mutex<Mem>,
}

impl MemoryBackend {
    /// An empty store.
    pub fn new() -> MemoryBackend {
        MemoryBackend::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mem> {
        self.m.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Backend for MemoryBackend {
    fn commit(&self, c: &Commit) -> Result<()> {
        let mut m = self.lock();
        for e in &c.entries {
            if let Some(last) = e.events.last() {
                m.high.insert(e.stream.clone(), last.seq);
            }
            m.streams
                .entry(e.stream.clone())
                .or_default()
                .extend(e.events.iter().cloned());
        }
        Ok(())
    }

    fn read(&self, stream: &str, after: u64) -> Result<Vec<Event>> {
        let m = self.lock();
        Ok(m.streams
            .get(stream)
            .map(|v| v[v.partition_point(|e| e.seq <= after)..].to_vec())
            .unwrap_or_default())
    }

    fn last_seq(&self, stream: &str) -> Result<u64> {
        Ok(self.lock().high.get(stream).copied().unwrap_or(0))
    }

    fn streams(&self) -> Result<Vec<String>> {
        Ok(self.lock().high.keys().cloned().collect())
    }

    fn truncate_through(&self, stream: &str, seq: u64) -> Result<()> {
        if let Some(v) = self.lock().streams.get_mut(stream) {
            v.retain(|e| e.seq > seq);
        }
        Ok(())
    }

    fn kv_get(&self, key: &str) -> Result<Option<Value>> {
        Ok(self.lock().kv.get(key).cloned())
    }

    fn kv_put(&self, key: &str, value: &Value) -> Result<()> {
        self.lock().kv.insert(key.to_owned(), value.clone());
        Ok(())
    }

    fn blob_put(&self, cid: &str, bytes: &[u8]) -> Result<()> {
        self.lock()
            .blobs
            .entry(cid.to_owned())
            .or_insert_with(|| bytes.to_vec());
        Ok(())
    }

    fn blob_get(&self, cid: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.lock().blobs.get(cid).cloned())
    }
}
