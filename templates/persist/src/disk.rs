//! The durable backend: a folder on disk.
//!
//! ```text
//! store/
//!   events.log      append-only commits: [u32 length][8-byte BLAKE3][JSON commit], fsynced
//!   seq.json        high-water marks, written before any truncation (monotonic)
//!   kv/<hex>.json   one file per key, replaced atomically
//!   blobs/<cid>     content-addressed bytes, written once
//!   lock            held by the one process that has the store open (its pid inside)
//! ```
//!
//! A commit is acknowledged only after its record is fsynced. On open the log is replayed: a
//! torn last record (a write cut short) is dropped, damage before the end is an error with its
//! offset. High-water marks are the larger of `seq.json` and the log, so a stream's seq keeps
//! rising after compaction dropped its events. A second process gets [`PersistError::Locked`].

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;

use crate::backend::Backend;
use crate::errors::{PersistError, Result, io};
use crate::model::{Commit, Event};

struct State {
    log: File,
    streams: HashMap<String, Vec<Event>>,
    high: BTreeMap<String, u64>,
    kv: HashMap<String, Value>,
}

/// The store in a folder.
pub struct DiskBackend {
    dir: PathBuf,
    s: Mutex<State>,
    _lock: File,
}

fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io("cannot fsync", dir))?;
    Ok(())
}

/// Replace `path` with `bytes` atomically: temporary file, fsync, rename, fsync of the folder.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(io("cannot create a file in", dir))?;
    tmp.write_all(bytes)
        .map_err(io("cannot write", tmp.path()))?;
    tmp.as_file()
        .sync_all()
        .map_err(io("cannot fsync", tmp.path()))?;
    tmp.persist(path)
        .map_err(|e| io("cannot rename into", path)(e.error))?;
    sync_dir(dir)
}

fn frame(c: &Commit) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(c).map_err(|e| PersistError::Codec {
        what: "a commit".into(),
        detail: e.to_string(),
    })?;
    let mut out = Vec::with_capacity(json.len() + 12);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&blake3::hash(&json).as_bytes()[..8]);
    out.extend_from_slice(&json);
    Ok(out)
}

/// Parse the frame at the start of `b`: (commit, length), or `None` when it does not check out.
fn unframe(b: &[u8]) -> Option<(Commit, usize)> {
    if b.len() < 12 {
        return None;
    }
    let len = u32::from_le_bytes(b[0..4].try_into().ok()?) as usize;
    let body = b.get(12..12usize.checked_add(len)?)?;
    if blake3::hash(body).as_bytes()[..8] != b[4..12] {
        return None;
    }
    serde_json::from_slice(body).ok().map(|c| (c, 12 + len))
}

fn hex(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

impl DiskBackend {
    /// Open (or create) the store in `dir`, replaying its log.
    pub fn open(dir: impl AsRef<Path>) -> Result<DiskBackend> {
        let dir = dir.as_ref().to_owned();
        for sub in ["", "kv", "blobs"] {
            let d = dir.join(sub);
            fs::create_dir_all(&d).map_err(io("cannot create", &d))?;
        }
        let lock_path = dir.join("lock");
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(io("cannot open", &lock_path))?;
        let mut wait = std::time::Duration::from_millis(1);
        while lock.try_lock().is_err() {
            let mut pid = String::new();
            let _ = lock.seek(SeekFrom::Start(0));
            let _ = lock.read_to_string(&mut pid);
            let pid = pid.trim().to_owned();
            // A handle this process closed stays locked while a child it is spawning sits
            // between fork and exec with a copy of it: that lasts moments, so wait a little.
            // Another process's lock is an error at once.
            if pid != std::process::id().to_string() || wait > std::time::Duration::from_secs(1) {
                return Err(PersistError::Locked { path: dir, pid });
            }
            std::thread::sleep(wait);
            wait *= 2;
        }
        let _ = lock.set_len(0);
        let _ = lock.seek(SeekFrom::Start(0));
        let _ = write!(lock, "{}", std::process::id());

        let log_path = dir.join("events.log");
        let bytes = match fs::read(&log_path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io("cannot read", &log_path)(e)),
        };
        let mut streams: HashMap<String, Vec<Event>> = HashMap::new();
        let mut high: BTreeMap<String, u64> = match fs::read(dir.join("seq.json")) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| PersistError::Codec {
                what: "seq.json".into(),
                detail: e.to_string(),
            })?,
            Err(_) => BTreeMap::new(),
        };
        let mut off = 0;
        while off < bytes.len() {
            match unframe(&bytes[off..]) {
                Some((c, n)) => {
                    for e in c.entries {
                        if let Some(last) = e.events.last() {
                            let h = high.entry(e.stream.clone()).or_insert(0);
                            *h = (*h).max(last.seq);
                        }
                        streams.entry(e.stream).or_default().extend(e.events);
                    }
                    off += n;
                }
                None => {
                    if (off + 1..bytes.len()).any(|o| unframe(&bytes[o..]).is_some()) {
                        return Err(PersistError::Damaged {
                            path: log_path,
                            offset: off as u64,
                            detail: "a record does not check out, and a valid one follows".into(),
                        });
                    }
                    break; // a torn last record: never acknowledged
                }
            }
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io("cannot open", &log_path))?;
        if off < bytes.len() {
            log.set_len(off as u64)
                .map_err(io("cannot truncate", &log_path))?;
            log.sync_all().map_err(io("cannot fsync", &log_path))?;
        }
        sync_dir(&dir)?;
        let mut kv = HashMap::new();
        let kv_dir = dir.join("kv");
        for entry in fs::read_dir(&kv_dir).map_err(io("cannot list", &kv_dir))? {
            let entry = entry.map_err(io("cannot list", &kv_dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(h) = name.strip_suffix(".json") else {
                continue;
            };
            let key_bytes: Option<Vec<u8>> = (0..h.len() / 2)
                .map(|i| u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok())
                .collect();
            let Some(key) = key_bytes.and_then(|b| String::from_utf8(b).ok()) else {
                continue;
            };
            let text = fs::read(entry.path()).map_err(io("cannot read", entry.path()))?;
            let v: Value = serde_json::from_slice(&text).map_err(|e| PersistError::Codec {
                what: format!("kv file {}", entry.path().display()),
                detail: e.to_string(),
            })?;
            kv.insert(key, v);
        }
        Ok(DiskBackend {
            dir,
            s: Mutex::new(State {
                log,
                streams,
                high,
                kv,
            }),
            _lock: lock,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.s.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Backend for DiskBackend {
    fn commit(&self, c: &Commit) -> Result<()> {
        let bytes = frame(c)?;
        let mut s = self.lock();
        let path = self.dir.join("events.log");
        s.log.write_all(&bytes).map_err(io("cannot write", &path))?;
        s.log.sync_data().map_err(io("cannot fsync", &path))?;
        for e in &c.entries {
            if let Some(last) = e.events.last() {
                s.high.insert(e.stream.clone(), last.seq);
            }
            s.streams
                .entry(e.stream.clone())
                .or_default()
                .extend(e.events.iter().cloned());
        }
        Ok(())
    }

    fn read(&self, stream: &str, after: u64) -> Result<Vec<Event>> {
        let s = self.lock();
        Ok(s.streams
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
        let mut s = self.lock();
        // The high-water marks go to disk first: after the log loses the events, they are the
        // only record of how far each stream got.
        let marks = serde_json::to_vec_pretty(&s.high).map_err(|e| PersistError::Codec {
            what: "seq.json".into(),
            detail: e.to_string(),
        })?;
        write_atomic(&self.dir.join("seq.json"), &marks)?;
        if let Some(v) = s.streams.get_mut(stream) {
            v.retain(|e| e.seq > seq);
        }
        // Rewrite the log: one commit per remaining stream, in a temporary file renamed over it.
        let mut bytes = Vec::new();
        let mut names: Vec<&String> = s.streams.keys().collect();
        names.sort();
        for name in names {
            let events = &s.streams[name];
            if !events.is_empty() {
                bytes.extend(frame(&Commit {
                    entries: vec![crate::model::Entry {
                        stream: name.clone(),
                        events: events.clone(),
                    }],
                })?);
            }
        }
        let path = self.dir.join("events.log");
        write_atomic(&path, &bytes)?;
        s.log = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io("cannot open", &path))?;
        Ok(())
    }

    fn kv_get(&self, key: &str) -> Result<Option<Value>> {
        Ok(self.lock().kv.get(key).cloned())
    }

    fn kv_put(&self, key: &str, value: &Value) -> Result<()> {
        let mut s = self.lock();
        let bytes = serde_json::to_vec(value).map_err(|e| PersistError::Codec {
            what: format!("kv value of `{key}`"),
            detail: e.to_string(),
        })?;
        write_atomic(
            &self.dir.join("kv").join(format!("{}.json", hex(key))),
            &bytes,
        )?;
        s.kv.insert(key.to_owned(), value.clone());
        Ok(())
    }

    fn blob_put(&self, cid: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join("blobs").join(cid);
        if path.exists() {
            return Ok(());
        }
        write_atomic(&path, bytes)
    }

    fn blob_get(&self, cid: &str) -> Result<Option<Vec<u8>>> {
        let path = self.dir.join("blobs").join(cid);
        match fs::read(&path) {
            Ok(b) if blake3::hash(&b).to_hex().as_str() == cid => Ok(Some(b)),
            Ok(_) => Err(PersistError::Damaged {
                path,
                offset: 0,
                detail: "the blob's content does not match its id".into(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("cannot read", &path)(e)),
        }
    }
}
