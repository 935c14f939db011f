//! One process of a test binary: started with `EXEMPLAR_EVENTS` naming a fresh file, which the
//! harness appends one JSON line per event to. The runner reads the file as it grows (polling,
//! so it works on every platform and loses nothing when the child dies: complete lines are in
//! the file), watches the per-test timeout, and keeps the tail of stdout and stderr.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use exemplar_formats::events::{self, Event, TestInfo};

use crate::errors::Error;
use crate::execute::binary::{ExecOptions, Finished, Progress};
use crate::execute::output::{describe_status, without_harness_lines, without_panic_reports};

const TAIL: usize = 256 * 1024;
static SEQ: AtomicU64 = AtomicU64::new(0);

/// The last bytes of a stream, collected by a thread (none, for a stream not captured).
#[derive(Default)]
pub(crate) struct Tail {
    buf: Arc<Mutex<Vec<u8>>>,
    handle: Option<JoinHandle<()>>,
}

/// A piece of a stream and when it was read.
pub(crate) type Chunk = (Instant, Vec<u8>);

impl Tail {
    pub(crate) fn start(r: impl Read + Send + 'static) -> Tail {
        Tail::start_forwarding(r, None)
    }

    /// Also send every piece read, as it is read, to `forward`.
    pub(crate) fn start_forwarding(
        mut r: impl Read + Send + 'static,
        forward: Option<mpsc::Sender<Chunk>>,
    ) -> Tail {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let b = buf.clone();
        let handle = thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = r.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                if let Some(f) = &forward {
                    let _ = f.send((Instant::now(), chunk[..n].to_vec()));
                }
                keep(&b, &chunk[..n]);
            }
        });
        Tail {
            buf,
            handle: Some(handle),
        }
    }

    /// Keep `bytes`, read by the caller.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        keep(&self.buf, bytes);
    }

    pub(crate) fn join(&mut self) {
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }

    /// Wait for the reader to reach the end of the stream, but no longer than `limit` (a
    /// process the child started may keep the stream open): then leave it reading.
    pub(crate) fn join_within(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.handle.as_ref().is_some_and(|h| !h.is_finished()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(2));
        }
        if self.handle.as_ref().is_some_and(|h| h.is_finished()) {
            self.join();
        } else {
            self.handle = None;
        }
    }

    pub(crate) fn text(&self) -> String {
        let v = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        let start = v.len().saturating_sub(TAIL);
        String::from_utf8_lossy(&v[start..]).into_owned()
    }
}

/// Append `bytes` to `buf`, keeping its last [`TAIL`] bytes (and at most twice that).
fn keep(buf: &Mutex<Vec<u8>>, bytes: &[u8]) {
    let mut v = buf.lock().unwrap_or_else(|e| e.into_inner());
    v.extend_from_slice(bytes);
    if v.len() > 2 * TAIL {
        let cut = v.len() - TAIL;
        v.drain(..cut);
    }
}

/// Tells of tests running past the slow threshold (`--slow-timeout`), once each time another
/// multiple of it passes.
pub(crate) struct SlowWatch {
    every: Option<Duration>,
    told: std::collections::HashMap<String, u32>,
}

impl SlowWatch {
    /// A watch with threshold `every` (`None`: silent).
    pub(crate) fn new(every: Option<Duration>) -> SlowWatch {
        SlowWatch {
            every: every.filter(|e| !e.is_zero()),
            told: Default::default(),
        }
    }

    /// Tell `on` when test `name`, started at `started`, has passed another multiple.
    pub(crate) fn check(&mut self, name: &str, started: Instant, on: &mut dyn FnMut(Progress<'_>)) {
        let Some(every) = self.every else {
            return;
        };
        let seconds = started.elapsed().as_secs_f64();
        let passed = (seconds / every.as_secs_f64()) as u32;
        let told = self.told.entry(name.to_owned()).or_default();
        if passed > *told {
            *told = passed;
            on(Progress::Slow { name, seconds });
        }
    }
}

/// One process, after it ended.
pub(crate) struct Proc {
    pub(crate) inventory: Option<Vec<TestInfo>>,
    /// The `exemplar` version the harness reported.
    pub(crate) harness_version: Option<String>,
    pub(crate) inflight: Vec<(String, Instant)>,
    /// Tests that finished in this process.
    pub(crate) progress: usize,
    pub(crate) status: ExitStatus,
    pub(crate) timed_out: Option<(String, f64)>,
    pub(crate) stdout: Tail,
    pub(crate) stderr: Tail,
    /// Its stdout has a libtest-style harness's lines around the tests' own output.
    pub(crate) harness_lines: bool,
    /// What the test in flight when it ended wrote, when the process ran one test at a time
    /// and so knows (a libtest worker): the output of its culprit.
    pub(crate) inflight_output: Option<String>,
}

impl Proc {
    pub(crate) fn status_text(&self) -> String {
        describe_status(&self.status, self.timed_out.is_some())
    }

    /// What the process printed: its stdout and stderr under `--- stdout ---` and
    /// `--- stderr ---` headers, each without its leading and trailing blank lines; or, when
    /// known, what its test in flight wrote.
    pub(crate) fn output(&self) -> String {
        if let Some(own) = &self.inflight_output {
            return own.clone();
        }
        let mut s = String::new();
        let (mut stdout, mut stderr) = (self.stdout.text(), self.stderr.text());
        if self.harness_lines {
            stdout = without_harness_lines(&stdout);
            stderr = without_panic_reports(&stderr);
        }
        for (header, text) in [("--- stdout ---", stdout), ("--- stderr ---", stderr)] {
            let text = text.trim_matches(['\n', '\r']);
            if !text.trim().is_empty() {
                s.push_str(header);
                s.push('\n');
                s.push_str(text);
                s.push('\n');
            }
        }
        s
    }
}

pub(crate) fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_owned();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

/// The command for one process of `exe`: the harness arguments, the package's folder and
/// environment, the events file, and the runner's narrowing variables.
fn command(
    exe: &Path,
    opts: &ExecOptions,
    args: &[String],
    events_path: &Path,
    only_path: Option<&Path>,
    inventory_only: bool,
) -> Command {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .current_dir(&opts.cwd)
        .env(events::ENV_EVENTS, events_path)
        .env_remove(events::ENV_ONLY)
        .env_remove(events::ENV_INVENTORY_ONLY)
        .env_remove(events::ENV_DESIGN)
        .stdin(Stdio::null());
    if opts.no_capture {
        cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
    } else {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    if let Some(d) = &opts.design {
        cmd.env(events::ENV_DESIGN, d);
    }
    if inventory_only {
        cmd.env(events::ENV_INVENTORY_ONLY, "1");
    }
    if let Some(p) = only_path {
        cmd.env(events::ENV_ONLY, p);
    }
    cmd
}

/// Start one process of `exe` and follow it to its end: every event goes to `on` as it is
/// read, finished tests also into `results`. `only` narrows it to those tests;
/// `inventory_only` asks the harness for its inventory alone.
#[allow(clippy::too_many_arguments)]
pub(crate) fn spawn(
    exe: &Path,
    opts: &ExecOptions,
    args: &[String],
    only: Option<&[String]>,
    inventory_only: bool,
    on: &mut dyn FnMut(Progress<'_>),
    results: &mut Vec<Finished>,
) -> Result<Proc, Error> {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let events_path = opts.scratch.join(format!("events-{n}.jsonl"));
    File::create(&events_path).map_err(io_error("create", &events_path))?;
    let only_path = match only {
        Some(names) => {
            let p = opts.scratch.join(format!("only-{n}.txt"));
            std::fs::write(&p, names.join("\n")).map_err(io_error("write", &p))?;
            Some(p)
        }
        None => None,
    };
    let mut cmd = command(
        exe,
        opts,
        args,
        &events_path,
        only_path.as_deref(),
        inventory_only,
    );
    let mut child = cmd.spawn().map_err(io_error("start", exe))?;
    let mut stdout = child.stdout.take().map(Tail::start).unwrap_or_default();
    let mut stderr = child.stderr.take().map(Tail::start).unwrap_or_default();
    let mut reader = File::open(&events_path).map_err(io_error("open", &events_path))?;
    let mut state = Reading {
        exe,
        inventory: None,
        inflight: Vec::new(),
        progress: 0,
        pending: Vec::new(),
        harness_version: None,
    };
    // Asked for its inventory alone, a harness runs nothing: wait for it, then read.
    let followed = if inventory_only {
        child
            .wait()
            .and_then(|status| state.pump(&mut reader, on, results).map(|_| (status, None)))
    } else {
        let limits = (opts.timeout, opts.slow_timeout);
        state.follow(&mut child, &mut reader, limits, on, results)
    };
    let (status, timed_out) = followed.map_err(io_error("follow the run of", exe))?;
    stdout.join_within(Duration::from_secs(1));
    stderr.join_within(Duration::from_secs(1));
    if let Some(err) = state.protocol_error() {
        return Err(err);
    }
    let _ = std::fs::remove_file(&events_path);
    let harness_lines = state.inventory.is_some();
    Ok(Proc {
        inventory: state.inventory.map(|(_, t)| t),
        harness_version: state.harness_version,
        inflight: state.inflight,
        progress: state.progress,
        status,
        timed_out,
        harness_lines,
        inflight_output: None,
        stdout,
        stderr,
    })
}

pub(crate) fn kill(child: &mut Child) -> std::io::Result<ExitStatus> {
    let _ = child.kill();
    child.wait()
}

struct Reading<'a> {
    exe: &'a Path,
    inventory: Option<(u32, Vec<TestInfo>)>,
    inflight: Vec<(String, Instant)>,
    progress: usize,
    pending: Vec<u8>,
    harness_version: Option<String>,
}

impl Reading<'_> {
    /// Read the events file while the child runs, until it exits or a test in flight passes
    /// `timeout` (then the child is killed, and the test is returned with its seconds).
    fn follow(
        &mut self,
        child: &mut Child,
        reader: &mut File,
        (timeout, slow_timeout): (Option<Duration>, Option<Duration>),
        on: &mut dyn FnMut(Progress<'_>),
        results: &mut Vec<Finished>,
    ) -> std::io::Result<(ExitStatus, Option<(String, f64)>)> {
        let mut nap = Duration::from_millis(1);
        let mut slow = SlowWatch::new(slow_timeout);
        loop {
            let got = self.pump(reader, on, results)?;
            for (name, t0) in &self.inflight {
                slow.check(name, *t0, on);
            }
            if let Some(status) = child.try_wait()? {
                self.pump(reader, on, results)?;
                return Ok((status, None));
            }
            if let Some(limit) = timeout
                && let Some((name, t0)) = self.inflight.iter().find(|(_, t0)| t0.elapsed() > limit)
            {
                let timed_out = (name.clone(), t0.elapsed().as_secs_f64());
                let status = kill(child)?;
                self.pump(reader, on, results)?;
                return Ok((status, Some(timed_out)));
            }
            nap = if got {
                Duration::from_millis(1)
            } else {
                (nap * 2).min(Duration::from_millis(20))
            };
            thread::sleep(nap);
        }
    }

    /// Read what the file has grown by and handle every complete line. True if anything came.
    fn pump(
        &mut self,
        reader: &mut File,
        on: &mut dyn FnMut(Progress<'_>),
        results: &mut Vec<Finished>,
    ) -> std::io::Result<bool> {
        let before = self.pending.len();
        reader.read_to_end(&mut self.pending)?;
        if self.pending.len() == before {
            return Ok(false);
        }
        let mut consumed = 0;
        while let Some(nl) = self.pending[consumed..].iter().position(|b| *b == b'\n') {
            let line = String::from_utf8_lossy(&self.pending[consumed..consumed + nl]).into_owned();
            consumed += nl + 1;
            self.handle(&line, on, results);
        }
        self.pending.drain(..consumed);
        Ok(true)
    }

    fn handle(
        &mut self,
        line: &str,
        on: &mut dyn FnMut(Progress<'_>),
        results: &mut Vec<Finished>,
    ) {
        let event = match events::parse_line(line) {
            Ok(Some(e)) => e,
            Ok(None) => return,
            Err(e) => {
                let text = format!(
                    "{}: unreadable event line ({e}): {line}",
                    self.exe.display()
                );
                on(Progress::Warning(&text));
                return;
            }
        };
        match event {
            Event::Inventory {
                protocol,
                version,
                tests,
            } => {
                if protocol <= events::PROTOCOL {
                    on(Progress::Inventory(&tests));
                }
                self.harness_version = version;
                self.inventory = Some((protocol, tests));
            }
            Event::Started { name } => {
                on(Progress::Started(&name));
                self.inflight.push((name, Instant::now()));
            }
            Event::Finished {
                name,
                outcome,
                duration,
                message,
            } => {
                self.inflight.retain(|(n, _)| *n != name);
                self.progress += 1;
                let f = Finished {
                    name,
                    outcome,
                    duration,
                    message,
                    output: None,
                };
                on(Progress::Finished(&f));
                results.push(f);
            }
        }
    }

    fn protocol_error(&self) -> Option<Error> {
        match &self.inventory {
            Some((p, _)) if *p > events::PROTOCOL => Some(Error::Protocol {
                binary: self.exe.display().to_string(),
                found: *p,
                known: events::PROTOCOL,
                harness: self
                    .harness_version
                    .clone()
                    .unwrap_or_else(|| "a newer version".into()),
                runner: env!("CARGO_PKG_VERSION").to_owned(),
            }),
            _ => None,
        }
    }
}
