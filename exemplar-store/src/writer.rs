//! The group-commit writer.
//!
//! [`Writer::append`] gives a record its sequence number and queues it; a flusher thread takes
//! everything queued — up to [`WriterOptions::batch_max_records`] — encodes the batch into one
//! buffer and writes it with one `write` at once (so a process killed after that loses none of
//! it), then calls `fdatasync` and only then marks every record written so far durable. An
//! idle flusher is woken by the first record; while what it wrote is not yet fsynced, it takes
//! the records that queued meanwhile when the fsync is due (a record waits in memory at most
//! [`WriterOptions::sync_interval`], and only records nobody waits for).
//! [`Writer::wait`] returns when a record is durable. A batch is whatever queued while the
//! previous write ran; [`WriterOptions::batch_max_wait`] > 0 makes the first record of a batch
//! linger that long for company. While records stream in and nobody waits, one `fdatasync`
//! covers at most [`WriterOptions::sync_interval`] of them (a run's thousands of outcomes cost
//! a hundred fsyncs a second, not thousands); a waiter gets its fsync at once.
//!
//! When a segment reaches [`WriterOptions::segment_size`], the next batch starts a new segment:
//! header written and fsynced, then the folder fsynced, before any record goes into it.
//!
//! A failed write or fsync stops the writer for good: no retry (after a failed fsync the page
//! cache may have dropped the data, so a retry could report success for lost bytes). Every
//! waiting and later call gets [`StoreError::WriterStopped`].

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::errors::{Result, StoreError, io};
use crate::format::{self, Header};
use crate::records::Record;
use crate::wal;

/// The batch and segment policy.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Most records in one batch (one write, one fsync). Default 65,536.
    pub batch_max_records: usize,
    /// How long the first record of a batch lingers for company. Default 0: no lingering.
    pub batch_max_wait: Duration,
    /// Size at which a new segment starts. Default 1 MiB: opening a writer checks every frame
    /// of the last segment (a torn tail is truncated, damage before valid records refused),
    /// so this bounds what each run reads and hashes before it starts.
    pub segment_size: u64,
    /// `fdatasync` what was written. Always on in use; off only to measure the ceiling in
    /// benchmarks.
    pub sync: bool,
    /// While nobody waits for durability, fsync at most this often. Default 10 ms; zero: after
    /// every batch.
    pub sync_interval: Duration,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            batch_max_records: 65_536,
            batch_max_wait: Duration::ZERO,
            segment_size: 1 << 20,
            sync: true,
            sync_interval: Duration::from_millis(10),
        }
    }
}

struct State {
    queue: Vec<(u64, u16, Vec<u8>)>,
    first_queued: Option<Instant>,
    next_seq: u64,
    durable: u64,
    /// The failure that stopped the writer, and the kind of its I/O error.
    failed: Option<(String, Option<std::io::ErrorKind>)>,
    closing: bool,
    /// Callers blocked in [`Writer::wait`]: their records are fsynced without delay.
    waiters: usize,
    /// The flusher sleeps with nothing written and unsynced: the next record wakes it. While
    /// something is unsynced it sleeps until the fsync is due and takes what queued meanwhile,
    /// so a stream of records costs a wake-up per `sync_interval`, not one per record.
    idle: bool,
    /// [`WriterOptions::batch_max_records`]: a queue this long wakes the flusher.
    batch_max: usize,
}

struct Shared {
    state: Mutex<State>,
    work: Condvar,
    done: Condvar,
}

/// The append side of the WAL.
pub struct Writer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Tail {
    dir: PathBuf,
    file: File,
    path: PathBuf,
    header: Header,
    len: u64,
}

impl Writer {
    /// Start writing after recovery: append to `tail` or create the first segment.
    pub fn start(dir: &Path, recovery: &wal::Recovery, opts: WriterOptions) -> Result<Writer> {
        // A segment of an older major is closed as it is: new records go to a new segment.
        let tail = match &recovery.tail {
            Some((path, header, len)) if header.major == format::MAJOR => Tail {
                dir: dir.to_owned(),
                file: OpenOptions::new()
                    .append(true)
                    .open(path)
                    .map_err(io("cannot open", path))?,
                path: path.clone(),
                header: *header,
                len: *len,
            },
            // An old segment that holds only its header would have the new one's name: it
            // holds nothing, so it goes.
            Some((path, _, len)) if *len <= format::HEADER_LEN as u64 => {
                std::fs::remove_file(path).map_err(io("cannot remove", path))?;
                new_segment(dir, recovery.next_seq)?
            }
            _ => new_segment(dir, recovery.next_seq)?,
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: Vec::new(),
                first_queued: None,
                next_seq: recovery.next_seq,
                durable: recovery.next_seq.saturating_sub(1),
                failed: None,
                closing: false,
                waiters: 0,
                idle: false,
                batch_max: opts.batch_max_records.max(1),
            }),
            work: Condvar::new(),
            done: Condvar::new(),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("exemplar-journal".into())
            .spawn(move || flusher(s, tail, opts))
            .map_err(io("cannot start the writer thread for", dir))?;
        Ok(Writer {
            shared,
            thread: Some(thread),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queue a record; returns its sequence number. Not yet durable: see [`Writer::wait`].
    pub fn append(&self, record: &Record) -> Result<u64> {
        let payload = record.encode();
        if payload.len() > format::MAX_PAYLOAD {
            return Err(StoreError::TooLarge(payload.len()));
        }
        let mut st = self.lock();
        if let Some(f) = &st.failed {
            return Err(stopped(f));
        }
        let seq = st.next_seq;
        st.next_seq += 1;
        if st.queue.is_empty() {
            st.first_queued = Some(Instant::now());
        }
        st.queue.push((seq, record.kind(), payload));
        if st.idle || st.queue.len() >= st.batch_max {
            self.shared.work.notify_one();
        }
        Ok(seq)
    }

    /// Block until record `seq` is durable.
    pub fn wait(&self, seq: u64) -> Result<()> {
        let mut st = self.lock();
        loop {
            if st.durable >= seq {
                return Ok(());
            }
            if let Some(f) = &st.failed {
                return Err(stopped(f));
            }
            st.waiters += 1;
            self.shared.work.notify_one();
            st = self.shared.done.wait(st).unwrap_or_else(|e| e.into_inner());
            st.waiters -= 1;
        }
    }

    /// Block until every record appended so far is durable.
    pub fn flush(&self) -> Result<()> {
        let last = self.lock().next_seq.saturating_sub(1);
        self.wait(last)
    }

    /// Append and wait: the record is durable when this returns.
    pub fn append_durable(&self, record: &Record) -> Result<u64> {
        let seq = self.append(record)?;
        self.wait(seq)?;
        Ok(seq)
    }

    /// The sequence number of the last durable record.
    pub fn durable(&self) -> u64 {
        self.lock().durable
    }

    /// Flush and stop the flusher thread.
    pub fn close(mut self) -> Result<()> {
        let r = self.flush();
        self.stop();
        r
    }

    fn stop(&mut self) {
        self.lock().closing = true;
        self.shared.work.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The error every call gets once the writer has stopped.
fn stopped((detail, kind): &(String, Option<std::io::ErrorKind>)) -> StoreError {
    StoreError::WriterStopped {
        detail: detail.clone(),
        kind: *kind,
    }
}

fn new_segment(dir: &Path, first_seq: u64) -> Result<Tail> {
    let path = dir.join(wal::segment_name(first_seq));
    let mut file_id = [0u8; 16];
    getrandom(&mut file_id);
    let header = Header {
        major: format::MAJOR,
        minor: format::MINOR,
        file_id,
        first_seq,
        created_nanos: now_nanos(),
    };
    let mut file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(io("cannot create", &path))?;
    // A segment whose header did not make it to disk (a full disk) holds nothing: it goes,
    // rather than stay as a file the next writer would take for damage.
    let written = file
        .write_all(&header.encode())
        .map_err(io("cannot write", &path))
        .and_then(|()| file.sync_all().map_err(io("cannot fsync", &path)));
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    wal::sync_dir(dir)?;
    Ok(Tail {
        dir: dir.to_owned(),
        file,
        path,
        header,
        len: format::HEADER_LEN as u64,
    })
}

/// Now, in unix nanoseconds (0 before 1970), for a file's creation time.
pub(crate) fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// 16 unpredictable bytes for a file id, from the OS's random source where there is one.
pub(crate) fn getrandom(out: &mut [u8; 16]) {
    use std::io::Read;
    if let Ok(mut f) = File::open("/dev/urandom")
        && f.read_exact(out).is_ok()
    {
        return;
    }
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let h = blake3::hash(format!("{seed}:{}", std::process::id()).as_bytes());
    out.copy_from_slice(&h.as_bytes()[..16]);
}

/// Written but not yet fsynced: the last such record, and when the first was written.
type Unsynced = Option<(u64, Instant)>;

fn flusher(shared: Arc<Shared>, mut tail: Tail, opts: WriterOptions) {
    let mut buf: Vec<u8> = Vec::new();
    let mut unsynced: Unsynced = None;
    loop {
        let Some(batch) = next_batch(&shared, &opts, unsynced) else {
            return;
        };
        let mut result = Ok(());
        if let Some(last) = batch.last().map(|b| b.0) {
            result = write_batch(&mut tail, &mut buf, &batch, &opts);
            unsynced = Some((last, unsynced.map_or_else(Instant::now, |u| u.1)));
        }
        let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        if let (Ok(()), Some((last, since))) = (&result, unsynced) {
            let due = st.waiters > 0 || st.closing || since.elapsed() >= opts.sync_interval;
            if due {
                drop(st);
                result = sync(&mut tail, &opts);
                st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
                if result.is_ok() {
                    st.durable = last;
                    unsynced = None;
                }
            }
        }
        if let Err(e) = result {
            st.failed = Some((e.to_string(), e.io_kind()));
            shared.done.notify_all();
            return;
        }
        shared.done.notify_all();
    }
}

/// The next records to write (perhaps none, when only an fsync is due); `None` when the writer
/// is closing with nothing left to write or sync.
fn next_batch(
    shared: &Shared,
    opts: &WriterOptions,
    unsynced: Unsynced,
) -> Option<Vec<(u64, u16, Vec<u8>)>> {
    let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    while st.queue.is_empty() {
        match unsynced {
            None if st.closing => return None,
            None => {
                st.idle = true;
                st = shared.work.wait(st).unwrap_or_else(|e| e.into_inner());
                st.idle = false;
            }
            Some((_, since)) => {
                let left = opts.sync_interval.saturating_sub(since.elapsed());
                if st.waiters > 0 || st.closing || left.is_zero() {
                    return Some(Vec::new());
                }
                st = shared
                    .work
                    .wait_timeout(st, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
    }
    let deadline = st.first_queued.unwrap_or_else(Instant::now) + opts.batch_max_wait;
    while st.queue.len() < opts.batch_max_records && !st.closing {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        st = shared
            .work
            .wait_timeout(st, deadline - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    let n = st.queue.len().min(opts.batch_max_records.max(1));
    let batch: Vec<_> = st.queue.drain(..n).collect();
    st.first_queued = if st.queue.is_empty() {
        None
    } else {
        Some(Instant::now())
    };
    Some(batch)
}

fn write_batch(
    tail: &mut Tail,
    buf: &mut Vec<u8>,
    batch: &[(u64, u16, Vec<u8>)],
    opts: &WriterOptions,
) -> Result<()> {
    buf.clear();
    for (seq, kind, payload) in batch {
        let frame = format::frame_len(payload.len()) as u64;
        let has_records = tail.len > format::HEADER_LEN as u64 || !buf.is_empty();
        if has_records && tail.len + buf.len() as u64 + frame > opts.segment_size {
            // A full segment is fsynced before the log moves on to the next one.
            write_buf(tail, buf)?;
            sync(tail, opts)?;
            *tail = new_segment(&tail.dir.clone(), *seq)?;
        }
        format::encode_frame(buf, &tail.header.file_id, *kind, *seq, payload);
    }
    write_buf(tail, buf)
}

fn write_buf(tail: &mut Tail, buf: &mut Vec<u8>) -> Result<()> {
    if buf.is_empty() {
        return Ok(());
    }
    if let Err(e) = tail.file.write_all(buf) {
        // Part of the batch may be in the file (a disk that filled up mid-write): cut it off,
        // so the log ends at its last whole record, as it did before this write. (Shrinking a
        // file needs no space.) The writer stops after this failure.
        let _ = tail.file.set_len(tail.len);
        return Err(io("cannot write", &tail.path)(e));
    }
    tail.len += buf.len() as u64;
    buf.clear();
    Ok(())
}

fn sync(tail: &mut Tail, opts: &WriterOptions) -> Result<()> {
    if opts.sync {
        tail.file
            .sync_data()
            .map_err(io("cannot fsync", &tail.path))?;
    }
    Ok(())
}
