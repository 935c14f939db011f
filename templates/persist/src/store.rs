//! The store: every facet of the event store over one [`Backend`].
//!
//! Writes go through one lock, so a check (expected seq, compare-and-set, idempotency marker)
//! and the write it guards are atomic with respect to every other writer of the store.

use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::backend::Backend;
use crate::errors::{PersistError, Result};
use crate::model::{Appended, BlobRef, Commit, Entry, Event, NewEvent, State};

/// The reserved stream holding the global commit order.
pub const GLOBAL: &str = "$global";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn codec(what: &str, e: impl std::fmt::Display) -> PersistError {
    PersistError::Codec {
        what: what.to_owned(),
        detail: e.to_string(),
    }
}

/// An event store.
pub struct Store<B: Backend> {
    backend: B,
    write: Mutex<()>,
}

impl<B: Backend> Store<B> {
    /// A store over `backend`.
    pub fn new(backend: B) -> Store<B> {
        Store {
            backend,
            write: Mutex::new(()),
        }
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.write.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn user_stream(stream: &str) -> Result<()> {
        if stream.is_empty() {
            return Err(PersistError::BadStream(
                stream.into(),
                "a stream needs a name",
            ));
        }
        if stream.starts_with('$') {
            return Err(PersistError::BadStream(
                stream.into(),
                "`$` streams are reserved",
            ));
        }
        Ok(())
    }

    /// Number events after the stream's high-water mark (caller holds the write lock).
    fn number(&self, stream: &str, events: Vec<NewEvent>) -> Result<Vec<Event>> {
        let last = self.backend.last_seq(stream)?;
        let at = now_ms();
        Ok(events
            .into_iter()
            .enumerate()
            .map(|(i, e)| Event {
                stream: stream.to_owned(),
                seq: last + 1 + i as u64,
                kind: e.kind,
                data: e.data,
                at,
            })
            .collect())
    }

    // ---- log ----

    /// Append events as one contiguous block; returns them with their seqs.
    pub fn append(&self, stream: &str, events: Vec<NewEvent>) -> Result<Vec<Event>> {
        Self::user_stream(stream)?;
        let _w = self.lock();
        self.append_locked(stream, events, false)
    }

    fn append_locked(
        &self,
        stream: &str,
        events: Vec<NewEvent>,
        global: bool,
    ) -> Result<Vec<Event>> {
        let events = self.number(stream, events)?;
        if events.is_empty() {
            return Ok(events);
        }
        let mut entries = vec![Entry {
            stream: stream.to_owned(),
            events: events.clone(),
        }];
        if global {
            let pointers = events
                .iter()
                .map(|e| NewEvent::new("$pointer", json!({"stream": e.stream, "seq": e.seq})))
                .collect();
            entries.push(Entry {
                stream: GLOBAL.to_owned(),
                events: self.number(GLOBAL, pointers)?,
            });
        }
        self.backend.commit(&Commit { entries })?;
        Ok(events)
    }

    /// Append only if the stream's last seq is `expected`; otherwise a conflict, as a value.
    /// The whole batch is written or none of it.
    pub fn append_expect(
        &self,
        stream: &str,
        expected: u64,
        events: Vec<NewEvent>,
    ) -> Result<Appended<Vec<Event>>> {
        Self::user_stream(stream)?;
        let _w = self.lock();
        let actual = self.backend.last_seq(stream)?;
        if actual != expected {
            return Ok(Appended::Conflict {
                expected: json!(expected),
                actual: json!(actual),
            });
        }
        Ok(Appended::Done(self.append_locked(stream, events, false)?))
    }

    /// Append and record each event in the global commit order (`$global`).
    pub fn gappend(&self, stream: &str, events: Vec<NewEvent>) -> Result<Vec<Event>> {
        Self::user_stream(stream)?;
        let _w = self.lock();
        self.append_locked(stream, events, true)
    }

    /// Append at most once per (stream, idempotency key): a repeat returns the events of the
    /// first append. The marker lives in the kv facet, so it holds across restarts.
    pub fn append_once(
        &self,
        stream: &str,
        key: &str,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Event>> {
        Self::user_stream(stream)?;
        let _w = self.lock();
        let marker = format!("idem/{stream}/{key}");
        if let Some(v) = self.backend.kv_get(&marker)? {
            let (from, to) = (
                v["from"].as_u64().unwrap_or(0),
                v["to"].as_u64().unwrap_or(0),
            );
            return Ok(self
                .backend
                .read(stream, from.saturating_sub(1))?
                .into_iter()
                .filter(|e| e.seq <= to)
                .collect());
        }
        let written = self.append_locked(stream, events, false)?;
        if let (Some(f), Some(l)) = (written.first(), written.last()) {
            self.backend
                .kv_put(&marker, &json!({"from": f.seq, "to": l.seq}))?;
        }
        Ok(written)
    }

    /// Whether an idempotency key was used on a stream.
    pub fn seen(&self, stream: &str, key: &str) -> Result<bool> {
        Ok(self
            .backend
            .kv_get(&format!("idem/{stream}/{key}"))?
            .is_some())
    }

    /// Every event of a stream still in the log.
    pub fn read(&self, stream: &str) -> Result<Vec<Event>> {
        self.backend.read(stream, 0)
    }

    /// The stream's last seq (its high-water mark).
    pub fn last_seq(&self, stream: &str) -> Result<u64> {
        self.backend.last_seq(stream)
    }

    // ---- queries ----

    /// Events with `from <= seq <= to`.
    pub fn read_between(&self, stream: &str, from: u64, to: u64) -> Result<Vec<Event>> {
        Ok(self
            .backend
            .read(stream, from.saturating_sub(1))?
            .into_iter()
            .take_while(|e| e.seq <= to)
            .collect())
    }

    /// Events appended at or after `since_ms`.
    pub fn read_since(&self, stream: &str, since_ms: i64) -> Result<Vec<Event>> {
        self.read_window(stream, since_ms, i64::MAX)
    }

    /// Events appended in `[from_ms, to_ms)`.
    pub fn read_window(&self, stream: &str, from_ms: i64, to_ms: i64) -> Result<Vec<Event>> {
        self.read_where(stream, |e| e.at >= from_ms && e.at < to_ms)
    }

    /// Events of one type.
    pub fn read_by_type(&self, stream: &str, kind: &str) -> Result<Vec<Event>> {
        self.read_where(stream, |e| e.kind == kind)
    }

    /// Events matching a predicate.
    pub fn read_where(&self, stream: &str, pred: impl Fn(&Event) -> bool) -> Result<Vec<Event>> {
        Ok(self
            .backend
            .read(stream, 0)?
            .into_iter()
            .filter(|e| pred(e))
            .collect())
    }

    /// How many events match a predicate.
    pub fn count_where(&self, stream: &str, pred: impl Fn(&Event) -> bool) -> Result<usize> {
        Ok(self.read_where(stream, pred)?.len())
    }

    // ---- upcasting ----

    /// The stream's events lifted to their current shapes.
    pub fn read_upcast(&self, stream: &str, up: &crate::upcast::Upcasters) -> Result<Vec<Event>> {
        self.backend
            .read(stream, 0)?
            .into_iter()
            .map(|e| up.upcast(e))
            .collect()
    }

    /// Fold the stream's events in their current shapes.
    pub fn project_upcast<T>(
        &self,
        stream: &str,
        up: &crate::upcast::Upcasters,
        init: T,
        step: impl Fn(T, &Event) -> T,
    ) -> Result<State<T>> {
        let mut s = State {
            value: init,
            seq: 0,
        };
        for e in self.read_upcast(stream, up)? {
            s.value = step(s.value, &e);
            s.seq = e.seq;
        }
        Ok(s)
    }

    // ---- global order ----

    /// Every `gappend`ed event, in commit order.
    pub fn read_global(&self) -> Result<Vec<Event>> {
        self.global_from(0)
    }

    /// The `gappend`ed events after global position `pos` (for incremental consumers); each
    /// comes with its global position as the `$global` seq.
    pub fn global_from(&self, pos: u64) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        for p in self.backend.read(GLOBAL, pos)? {
            let stream = p.data["stream"].as_str().unwrap_or_default().to_owned();
            let seq = p.data["seq"].as_u64().unwrap_or(0);
            if let Some(e) = self
                .backend
                .read(&stream, seq.saturating_sub(1))?
                .into_iter()
                .next()
                && e.seq == seq
            {
                out.push(e);
            }
        }
        Ok(out)
    }

    // ---- projections, snapshots, compaction ----

    /// Fold the whole stream.
    pub fn project<T>(
        &self,
        stream: &str,
        init: T,
        step: impl Fn(T, &Event) -> T,
    ) -> Result<State<T>> {
        self.project_resume(
            stream,
            State {
                value: init,
                seq: 0,
            },
            step,
        )
    }

    /// Fold only the events after `state.seq`.
    pub fn project_resume<T>(
        &self,
        stream: &str,
        state: State<T>,
        step: impl Fn(T, &Event) -> T,
    ) -> Result<State<T>> {
        let mut s = state;
        for e in self.backend.read(stream, s.seq)? {
            s.value = step(s.value, &e);
            s.seq = e.seq;
        }
        Ok(s)
    }

    /// Replay (from the snapshot if any) and save the state as snapshot `name`.
    pub fn checkpoint<T: Serialize + DeserializeOwned>(
        &self,
        name: &str,
        stream: &str,
        init: T,
        step: impl Fn(T, &Event) -> T,
    ) -> Result<State<T>> {
        let s = self.replay(name, stream, init, step)?;
        let v = json!({"value": serde_json::to_value(&s.value).map_err(|e| codec("a snapshot", e))?, "seq": s.seq});
        self.backend.kv_put(&format!("snapshot/{name}"), &v)?;
        Ok(s)
    }

    /// The snapshot `name` plus the tail after it (a full fold when there is no snapshot).
    pub fn replay<T: DeserializeOwned>(
        &self,
        name: &str,
        stream: &str,
        init: T,
        step: impl Fn(T, &Event) -> T,
    ) -> Result<State<T>> {
        let start = match self.backend.kv_get(&format!("snapshot/{name}"))? {
            Some(v) => State {
                value: serde_json::from_value(v["value"].clone())
                    .map_err(|e| codec(&format!("snapshot {name}"), e))?,
                seq: v["seq"].as_u64().unwrap_or(0),
            },
            None => State {
                value: init,
                seq: 0,
            },
        };
        self.project_resume(stream, start, step)
    }

    /// Checkpoint, then drop the events the snapshot covers. Replay after compaction equals
    /// the uncompacted full replay; the stream's seq goes on from its high-water mark.
    pub fn compact<T: Serialize + DeserializeOwned>(
        &self,
        name: &str,
        stream: &str,
        init: T,
        step: impl Fn(T, &Event) -> T,
    ) -> Result<State<T>> {
        let _w = self.lock();
        let s = self.checkpoint(name, stream, init, step)?;
        self.backend.truncate_through(stream, s.seq)?;
        Ok(s)
    }

    /// Whether `every` or more events are in the stream's log (an every-N policy).
    pub fn should_compact(&self, stream: &str, every: usize) -> Result<bool> {
        Ok(self.backend.read(stream, 0)?.len() >= every.max(1))
    }

    /// Compact when [`Store::should_compact`]; returns whether it did.
    pub fn maybe_compact<T: Serialize + DeserializeOwned>(
        &self,
        every: usize,
        name: &str,
        stream: &str,
        init: T,
        step: impl Fn(T, &Event) -> T,
    ) -> Result<bool> {
        if self.should_compact(stream, every)? {
            self.compact(name, stream, init, step)?;
            return Ok(true);
        }
        Ok(false)
    }

    // ---- kv facet ----

    /// A kv value.
    pub fn kv_get(&self, key: &str) -> Result<Option<Value>> {
        self.backend.kv_get(key)
    }

    /// Set a kv value.
    pub fn kv_put(&self, key: &str, value: Value) -> Result<()> {
        let _w = self.lock();
        self.backend.kv_put(key, &value)
    }

    /// Set `key` to `new` only if its current value is `expected` (`None`: absent); otherwise a
    /// conflict, as a value.
    pub fn kv_cas(&self, key: &str, expected: Option<&Value>, new: Value) -> Result<Appended<()>> {
        let _w = self.lock();
        let actual = self.backend.kv_get(key)?;
        if actual.as_ref() != expected {
            return Ok(Appended::Conflict {
                expected: expected.cloned().unwrap_or(Value::Null),
                actual: actual.unwrap_or(Value::Null),
            });
        }
        self.backend.kv_put(key, &new)?;
        Ok(Appended::Done(()))
    }

    /// Create `key` only if it does not exist.
    pub fn kv_put_new(&self, key: &str, value: Value) -> Result<Appended<()>> {
        self.kv_cas(key, None, value)
    }

    // ---- blobs ----

    /// Store content; the ref (not the bytes) is what logs and kv values hold. Identical
    /// content is stored once.
    pub fn put_blob(&self, bytes: &[u8], mime: &str) -> Result<BlobRef> {
        let cid = blake3::hash(bytes).to_hex().to_string();
        self.backend.blob_put(&cid, bytes)?;
        Ok(BlobRef {
            cid,
            size: bytes.len() as u64,
            mime: mime.to_owned(),
        })
    }

    /// The content of a ref; [`PersistError::MissingBlob`] when it is gone.
    pub fn get_blob(&self, r: &BlobRef) -> Result<Vec<u8>> {
        self.backend
            .blob_get(&r.cid)?
            .ok_or_else(|| PersistError::MissingBlob { cid: r.cid.clone() })
    }

    // ---- catalog ----

    /// The public streams (compacted ones included; `$` streams hidden).
    pub fn streams(&self) -> Result<Vec<String>> {
        Ok(self
            .backend
            .streams()?
            .into_iter()
            .filter(|s| !s.starts_with('$'))
            .collect())
    }

    /// Every stream, reserved ones included.
    pub fn streams_all(&self) -> Result<Vec<String>> {
        self.backend.streams()
    }

    /// How many public streams.
    pub fn stream_count(&self) -> Result<usize> {
        Ok(self.streams()?.len())
    }

    /// Whether a stream has ever had an event.
    pub fn stream_exists(&self, stream: &str) -> Result<bool> {
        Ok(self.backend.last_seq(stream)? > 0)
    }

    /// Events ever appended to public streams (high-water marks, so compaction does not lower it).
    pub fn total_events(&self) -> Result<u64> {
        let mut n = 0;
        for s in self.streams()? {
            n += self.backend.last_seq(&s)?;
        }
        Ok(n)
    }
}
