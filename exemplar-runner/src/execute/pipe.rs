//! Reading a test process's output pipe on the thread that follows the process, with a
//! bound on each wait, keeping the last bytes for a message.
//!
//! On Unix the pipe is polled and read by the caller itself: a libtest process writes a few
//! lines per test, and a reader thread handing each piece over a channel cost a wake-up and
//! a context switch per piece (at 10,000 trivial tests, a run made 18 % fewer context
//! switches without it). Elsewhere a reader thread does the reading, as
//! [`Tail::start_forwarding`] does.

use std::io::PipeReader;
use std::time::{Duration, Instant};

use crate::execute::process::Tail;

/// What a wait on the pipe brought.
pub(crate) enum Next<'a> {
    /// Bytes, and when they were read.
    Data(Instant, &'a [u8]),
    /// Nothing within the wait.
    Idle,
    /// The pipe is closed: every writer is gone.
    End,
}

/// A process's output pipe, followed.
pub(crate) struct Pipe {
    inner: Inner,
}

/// How the pipe is read. The reader thread is also built (and tested) on Unix.
enum Inner {
    #[cfg(unix)]
    Polled(polled::Inner),
    #[cfg_attr(all(unix, not(test)), allow(dead_code))]
    Threaded(threaded::Inner),
}

impl Pipe {
    /// Follow `reader`.
    pub(crate) fn new(reader: PipeReader) -> Pipe {
        #[cfg(unix)]
        let inner = Inner::Polled(polled::Inner::new(reader));
        #[cfg(not(unix))]
        let inner = Inner::Threaded(threaded::Inner::new(reader));
        Pipe { inner }
    }

    /// Follow `reader` with a reader thread, as on platforms without `poll(2)`.
    #[cfg(test)]
    fn threaded(reader: PipeReader) -> Pipe {
        Pipe {
            inner: Inner::Threaded(threaded::Inner::new(reader)),
        }
    }

    /// Wait at most `wait` for output.
    pub(crate) fn next(&mut self, wait: Duration) -> std::io::Result<Next<'_>> {
        match &mut self.inner {
            #[cfg(unix)]
            Inner::Polled(p) => p.next(wait),
            Inner::Threaded(t) => t.next(wait),
        }
    }

    /// Read what else comes until the pipe closes, but no longer than `limit` (a process the
    /// child started may keep it open): each piece goes to `feed`.
    pub(crate) fn drain_within(&mut self, limit: Duration, feed: &mut dyn FnMut(Instant, &[u8])) {
        let deadline = Instant::now() + limit;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next(left) {
                Ok(Next::Data(at, bytes)) => feed(at, bytes),
                Ok(Next::Idle) => {}
                Ok(Next::End) | Err(_) => return,
            }
        }
    }

    /// The last bytes read, for messages.
    pub(crate) fn into_tail(self) -> Tail {
        match self.inner {
            #[cfg(unix)]
            Inner::Polled(p) => p.into_tail(),
            Inner::Threaded(t) => t.into_tail(),
        }
    }
}

#[cfg(unix)]
mod polled {
    use std::io::{ErrorKind, PipeReader, Read};
    use std::time::{Duration, Instant};

    use rustix::event::{PollFd, PollFlags, Timespec, poll};

    use super::Next;
    use crate::execute::process::Tail;

    pub(super) struct Inner {
        reader: PipeReader,
        buf: Vec<u8>,
        tail: Tail,
    }

    impl Inner {
        pub(super) fn new(reader: PipeReader) -> Inner {
            Inner {
                reader,
                buf: vec![0; 64 * 1024],
                tail: Tail::default(),
            }
        }

        pub(super) fn next(&mut self, wait: Duration) -> std::io::Result<Next<'_>> {
            let timeout = Timespec::try_from(wait).unwrap_or(Timespec {
                tv_sec: i64::MAX,
                tv_nsec: 0,
            });
            let mut fds = [PollFd::new(&self.reader, PollFlags::IN)];
            match poll(&mut fds, Some(&timeout)) {
                Ok(0) => return Ok(Next::Idle),
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => return Ok(Next::Idle),
                Err(e) => return Err(e.into()),
            }
            match self.reader.read(&mut self.buf) {
                Ok(0) => Ok(Next::End),
                Ok(n) => {
                    self.tail.push(&self.buf[..n]);
                    Ok(Next::Data(Instant::now(), &self.buf[..n]))
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => Ok(Next::Idle),
                Err(e) => Err(e),
            }
        }

        pub(super) fn into_tail(self) -> Tail {
            self.tail
        }
    }
}

// On Unix outside tests nothing builds it: the polled pipe is used.
#[cfg_attr(all(unix, not(test)), allow(dead_code))]
mod threaded {
    use std::io::PipeReader;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::Next;
    use crate::execute::process::{Chunk, Tail};

    pub(super) struct Inner {
        rx: mpsc::Receiver<Chunk>,
        tail: Tail,
        last: Vec<u8>,
    }

    impl Inner {
        pub(super) fn new(reader: PipeReader) -> Inner {
            let (tx, rx) = mpsc::channel();
            Inner {
                rx,
                tail: Tail::start_forwarding(reader, Some(tx)),
                last: Vec::new(),
            }
        }

        pub(super) fn next(&mut self, wait: Duration) -> std::io::Result<Next<'_>> {
            match self.rx.recv_timeout(wait) {
                Ok((at, bytes)) => {
                    self.last = bytes;
                    Ok(Next::Data(at, &self.last))
                }
                Err(mpsc::RecvTimeoutError::Timeout) => Ok(Next::Idle),
                Err(mpsc::RecvTimeoutError::Disconnected) => Ok(Next::End),
            }
        }

        pub(super) fn into_tail(mut self) -> Tail {
            self.tail.join_within(Duration::ZERO);
            self.tail
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::process::{Command, Stdio};

    use super::*;

    /// Both ways of reading: polled, and with a reader thread.
    const WAYS: [fn(PipeReader) -> Pipe; 2] = [Pipe::new, Pipe::threaded];

    /// The pipe of `sh -c script`, its stdout and stderr together, read `way`; and the child.
    fn started(script: &str, way: fn(PipeReader) -> Pipe) -> (Pipe, std::process::Child) {
        let (reader, writer) = std::io::pipe().unwrap();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]).stdin(Stdio::null());
        cmd.stderr(writer.try_clone().unwrap()).stdout(writer);
        let child = cmd.spawn().unwrap();
        drop(cmd);
        (way(reader), child)
    }

    #[test]
    fn every_byte_comes_then_the_end_and_the_tail_keeps_them() {
        for way in WAYS {
            let (mut pipe, mut child) = started("printf one; printf ' two' >&2", way);
            let mut got = Vec::new();
            loop {
                match pipe.next(Duration::from_secs(10)).unwrap() {
                    Next::Data(_, bytes) => got.extend_from_slice(bytes),
                    Next::Idle => {}
                    Next::End => break,
                }
            }
            assert_eq!(got, b"one two");
            assert!(child.wait().unwrap().success());
            assert_eq!(pipe.into_tail().text(), "one two");
        }
    }

    #[test]
    fn a_wait_without_output_comes_back_idle() {
        for way in WAYS {
            let (mut pipe, mut child) = started("sleep 5", way);
            assert!(matches!(
                pipe.next(Duration::from_millis(50)).unwrap(),
                Next::Idle
            ));
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// A process the child left behind holds the pipe open: what was written is read, and the
    /// drain stops at its limit (bounded here with a tenfold margin).
    #[test]
    fn a_pipe_held_open_by_a_grandchild_is_drained_within_the_limit() {
        for way in WAYS {
            let (mut pipe, mut child) = started("echo before; (sleep 6; echo after) &", way);
            assert!(child.wait().unwrap().success());
            let mut got = Vec::new();
            let started = Instant::now();
            pipe.drain_within(Duration::from_millis(300), &mut |_, bytes| {
                got.extend_from_slice(bytes)
            });
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "{:?}",
                started.elapsed()
            );
            assert_eq!(got, b"before\n");
        }
    }
}
