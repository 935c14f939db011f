//! The store: an in-memory map in front of the write-ahead log, and the three ways of making
//! the log durable.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::errors::{KvError, io};
use crate::log;

/// One write: key and value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// When a batch is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// Most writes in one batch (one write, one fsync). Default 256.
    pub max_batch: usize,
    /// How long the first write of a batch lingers for company before the batch is committed.
    /// Default 0: a batch is whatever queued while the previous fsync ran (so a lone writer is
    /// not slowed down, and many writers share each fsync). A positive value trades latency for
    /// bigger batches: the durability window the design accepts as its tradeoff. A write is
    /// never acknowledged before it is on disk.
    pub max_wait: Duration,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            max_batch: 256,
            max_wait: Duration::ZERO,
        }
    }
}

/// How the log is made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The log is a `Vec` in memory: lost with the process (iteration 0).
    InMemory,
    /// Every write is appended and fsynced before it is acknowledged (iterations 1 and 2).
    FsyncPerWrite,
    /// Writes are acknowledged together after one fsync per batch (iteration 3, the default).
    Batched(BatchOptions),
}

impl Mode {
    /// The mode this build uses for [`KvStore::open`]: the final design, unless a feature
    /// `iteration-N` replays an earlier one.
    pub fn for_this_build() -> Mode {
        if cfg!(feature = "iteration-0") {
            Mode::InMemory
        } else if cfg!(any(feature = "iteration-1", feature = "iteration-2")) {
            Mode::FsyncPerWrite
        } else {
            Mode::Batched(BatchOptions::default())
        }
    }
}

struct Queue {
    pending: Vec<(u64, Vec<u8>, Vec<u8>)>,
    first_at: Option<Instant>,
    next_seq: u64,
    durable: u64,
    failed: Option<String>,
    closing: bool,
}

struct Inner {
    path: PathBuf,
    mode: Mode,
    data: RwLock<HashMap<Vec<u8>, Vec<u8>>>,
    memory_log: Mutex<Vec<Entry>>,
    file: Mutex<Option<File>>,
    queue: Mutex<Queue>,
    work: Condvar,
    done: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A key-value store. Share it between threads with an `Arc`: every method takes `&self`.
pub struct KvStore {
    inner: Arc<Inner>,
    committer: Option<JoinHandle<()>>,
}

impl KvStore {
    /// Open (or create) the store in folder `dir`, replaying its log, in this build's mode.
    pub fn open(dir: impl AsRef<Path>) -> Result<KvStore, KvError> {
        Self::open_with(dir, Mode::for_this_build())
    }

    /// Open with an explicit durability mode.
    pub fn open_with(dir: impl AsRef<Path>, mode: Mode) -> Result<KvStore, KvError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
        let path = dir.join("kv.log");
        let mut data = HashMap::new();
        let mut file = None;
        if mode != Mode::InMemory {
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(io("cannot read", &path)(e)),
            };
            let replay = log::replay(&path, &bytes)?;
            for (k, v) in replay.records {
                data.insert(k, v);
            }
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io("cannot open", &path))?;
            if replay.torn_bytes > 0 {
                // The torn record was never acknowledged: drop it so new records follow whole
                // ones.
                f.set_len(replay.valid_len)
                    .map_err(io("cannot truncate", &path))?;
                f.sync_all().map_err(io("cannot fsync", &path))?;
            }
            file = Some(f);
            sync_dir(dir)?;
        }
        let inner = Arc::new(Inner {
            path,
            mode,
            data: RwLock::new(data),
            memory_log: Mutex::new(Vec::new()),
            file: Mutex::new(file),
            queue: Mutex::new(Queue {
                pending: Vec::new(),
                first_at: None,
                next_seq: 1,
                durable: 0,
                failed: None,
                closing: false,
            }),
            work: Condvar::new(),
            done: Condvar::new(),
        });
        let committer = match mode {
            Mode::Batched(opts) => {
                let i = inner.clone();
                Some(
                    std::thread::Builder::new()
                        .name("kv-committer".into())
                        .spawn(move || committer(i, opts))
                        .map_err(io("cannot start the committer for", dir))?,
                )
            }
            _ => None,
        };
        Ok(KvStore { inner, committer })
    }

    /// Write `value` under `key`. Returns once the write is durable (except in
    /// [`Mode::InMemory`], where nothing ever is).
    pub fn write(&self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<(), KvError> {
        let (key, value) = (key.as_ref(), value.as_ref());
        let inner = &self.inner;
        match inner.mode {
            Mode::InMemory => {
                lock(&inner.memory_log).push((key.to_vec(), value.to_vec()));
                inner
                    .data
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key.to_vec(), value.to_vec());
                Ok(())
            }
            Mode::FsyncPerWrite => {
                let mut rec = Vec::with_capacity(16 + key.len() + value.len());
                log::encode(&mut rec, key, value)?;
                let mut file = lock(&inner.file);
                let f = file
                    .as_mut()
                    .ok_or_else(|| KvError::Stopped("the store is closed".into()))?;
                f.write_all(&rec).map_err(io("cannot write", &inner.path))?;
                f.sync_data().map_err(io("cannot fsync", &inner.path))?;
                inner
                    .data
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key.to_vec(), value.to_vec());
                Ok(())
            }
            Mode::Batched(_) => {
                if key.len() > u32::MAX as usize || value.len() > u32::MAX as usize {
                    return Err(KvError::TooLarge(key.len().max(value.len())));
                }
                let mut q = lock(&inner.queue);
                if let Some(f) = &q.failed {
                    return Err(KvError::Stopped(f.clone()));
                }
                let seq = q.next_seq;
                q.next_seq += 1;
                if q.pending.is_empty() {
                    q.first_at = Some(Instant::now());
                }
                q.pending.push((seq, key.to_vec(), value.to_vec()));
                inner.work.notify_one();
                while q.durable < seq {
                    if let Some(f) = &q.failed {
                        return Err(KvError::Stopped(f.clone()));
                    }
                    q = inner.done.wait(q).unwrap_or_else(|e| e.into_inner());
                }
                Ok(())
            }
        }
    }

    /// The value under `key`, if any.
    pub fn read(&self, key: impl AsRef<[u8]>) -> Option<Vec<u8>> {
        self.inner
            .data
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key.as_ref())
            .cloned()
    }

    /// Every write in the log, in order (read back from disk in the durable modes).
    pub fn read_log(&self) -> Result<Vec<Entry>, KvError> {
        if self.inner.mode == Mode::InMemory {
            return Ok(lock(&self.inner.memory_log).clone());
        }
        let path = &self.inner.path;
        let bytes = std::fs::read(path).map_err(io("cannot read", path))?;
        Ok(log::replay(path, &bytes)?.records)
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.inner
            .data
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// No keys at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Commit what is pending and close the store.
    pub fn close(mut self) -> Result<(), KvError> {
        self.stop();
        match &lock(&self.inner.queue).failed {
            Some(f) => Err(KvError::Stopped(f.clone())),
            None => Ok(()),
        }
    }

    fn stop(&mut self) {
        lock(&self.inner.queue).closing = true;
        self.inner.work.notify_all();
        if let Some(c) = self.committer.take() {
            let _ = c.join();
        }
    }
}

impl Drop for KvStore {
    fn drop(&mut self) {
        self.stop();
    }
}

fn sync_dir(dir: &Path) -> Result<(), KvError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("cannot fsync", dir))?;
    Ok(())
}

/// The batch committer: one write and one fsync per batch, then the batch is applied to the
/// map in log order and its writers are acknowledged together.
fn committer(inner: Arc<Inner>, opts: BatchOptions) {
    let mut buf = Vec::new();
    loop {
        let batch = {
            let mut q = lock(&inner.queue);
            while q.pending.is_empty() && !q.closing {
                q = inner.work.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            if q.pending.is_empty() {
                return;
            }
            let deadline = q.first_at.unwrap_or_else(Instant::now) + opts.max_wait;
            while q.pending.len() < opts.max_batch && !q.closing {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                q = inner
                    .work
                    .wait_timeout(q, deadline - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            let n = q.pending.len().min(opts.max_batch.max(1));
            let batch: Vec<_> = q.pending.drain(..n).collect();
            q.first_at = (!q.pending.is_empty()).then(Instant::now);
            batch
        };
        buf.clear();
        let mut result = Ok(());
        for (_, k, v) in &batch {
            if let Err(e) = log::encode(&mut buf, k, v) {
                result = Err(e.to_string());
            }
        }
        if result.is_ok() {
            let mut file = lock(&inner.file);
            result = match file.as_mut() {
                Some(f) => f
                    .write_all(&buf)
                    .and_then(|()| f.sync_data())
                    .map_err(|e| format!("{}: {e}", inner.path.display())),
                None => Err("the store is closed".into()),
            };
        }
        let mut q = lock(&inner.queue);
        match result {
            Ok(()) => {
                let mut data = inner.data.write().unwrap_or_else(|e| e.into_inner());
                for (_, k, v) in batch.iter() {
                    data.insert(k.clone(), v.clone());
                }
                q.durable = batch.last().map(|b| b.0).unwrap_or(q.durable);
            }
            Err(e) => q.failed = Some(e),
        }
        inner.done.notify_all();
        if q.failed.is_some() {
            return;
        }
    }
}
