//! Running libtest binaries' tests in one pool of parallel worker processes.
//!
//! The planned tests of every binary are cut into batches; each worker thread takes the next
//! batch, of whichever binary, and runs it in a process of its own (one test at a time, so that each test's start, end and output
//! are known), with the crash and timeout handling of [`BinaryRun`]. Workers report through a
//! channel, and the caller hears every event on its own thread, in the order they came.
//! `--isolate` makes every batch one test; `--test-threads N` sets the number of workers.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Mutex, mpsc};

use crate::errors::Error;
use crate::execute::binary::{BinaryRun, ExecOptions, Finished, Progress, test_threads};
use crate::execute::list::Harness;

/// The most tests one worker process is given at a time.
const MAX_BATCH: usize = 256;

/// The most bytes of test names on one worker's command line (Windows allows 32,767
/// characters in all).
const MAX_BATCH_BYTES: usize = 16 * 1024;

/// An event of a worker, owned, to cross to the caller's thread.
enum Message {
    Started(String),
    Finished(Finished),
    Amended(Finished),
    Warning(String),
    Slow(String, f64),
    Done(Result<(), Error>),
}

/// One libtest binary's share of a pool: its executable, how to run it, its planned tests.
pub(crate) struct PoolJob<'a> {
    /// The executable.
    pub(crate) exe: &'a Path,
    /// How to run it.
    pub(crate) opts: &'a ExecOptions,
    /// The tests to run.
    pub(crate) planned: Vec<String>,
}

/// Run `planned` tests of libtest binary `exe` to an outcome each.
pub(crate) fn run(
    exe: &Path,
    opts: &ExecOptions,
    planned: Vec<String>,
    on: &mut dyn FnMut(Progress<'_>),
) -> Result<(), Error> {
    let job = PoolJob { exe, opts, planned };
    run_many(std::slice::from_ref(&job), &mut |_, p| on(p))
}

/// Run the planned tests of every job to an outcome each, in one pool of workers (as many as
/// the first job's options say); `on` hears each event with the index of its job.
pub(crate) fn run_many(
    jobs: &[PoolJob<'_>],
    on: &mut dyn FnMut(usize, Progress<'_>),
) -> Result<(), Error> {
    let Some(first) = jobs.first() else {
        return Ok(());
    };
    let total: usize = jobs.iter().map(|j| j.planned.len()).sum();
    let workers = worker_count(first.opts).min(total).max(1);
    let mut queue = VecDeque::new();
    for (i, job) in jobs.iter().enumerate() {
        let cut = batches(job.planned.clone(), workers, job.opts.isolate);
        queue.extend(cut.into_iter().map(|b| (i, b)));
    }
    let queue = Mutex::new(queue);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let queue = &queue;
            scope.spawn(move || {
                let result = work(jobs, queue, &tx);
                let _ = tx.send((0, Message::Done(result)));
            });
        }
        drop(tx);
        let mut first_error = None;
        for (job, message) in rx {
            match message {
                Message::Started(n) => on(job, Progress::Started(&n)),
                Message::Finished(f) => on(job, Progress::Finished(&f)),
                Message::Amended(f) => on(job, Progress::Amended(&f)),
                Message::Warning(w) => on(job, Progress::Warning(&w)),
                Message::Slow(name, seconds) => on(
                    job,
                    Progress::Slow {
                        name: &name,
                        seconds,
                    },
                ),
                Message::Done(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Message::Done(Ok(())) => {}
            }
        }
        first_error.map_or(Ok(()), Err)
    })
}

/// One worker: take batches until none is left.
fn work(
    jobs: &[PoolJob<'_>],
    queue: &Mutex<VecDeque<(usize, Vec<String>)>>,
    tx: &mpsc::Sender<(usize, Message)>,
) -> Result<(), Error> {
    loop {
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
        let Some((i, batch)) = next else {
            return Ok(());
        };
        let job = &jobs[i];
        let mut send = |p: Progress<'_>| {
            let m = match p {
                Progress::Started(n) => Message::Started(n.to_owned()),
                Progress::Finished(f) => Message::Finished(f.clone()),
                Progress::Amended(f) => Message::Amended(f.clone()),
                Progress::Warning(w) => Message::Warning(w.to_owned()),
                Progress::Slow { name, seconds } => Message::Slow(name.to_owned(), seconds),
                Progress::Inventory(_) => return,
            };
            let _ = tx.send((i, m));
        };
        let mut run = BinaryRun {
            exe: job.exe,
            opts: job.opts,
            harness: Harness::Libtest,
            on: &mut send,
            results: Vec::new(),
        };
        if job.opts.isolate {
            for name in &batch {
                run.alone(name)?;
            }
        } else {
            let first = run.spawn(&[], Some(&batch))?;
            run.until_done(first, &batch)?;
        }
        run.retry_failures(0)?;
    }
}

/// How many worker processes run at once: `--test-threads N`, else `RUST_TEST_THREADS` (as
/// libtest reads it), else one per core; one when the tests' output streams live.
fn worker_count(opts: &ExecOptions) -> usize {
    if opts.no_capture {
        return 1;
    }
    test_threads(&opts.harness_args)
        .or_else(|| std::env::var("RUST_TEST_THREADS").ok())
        .and_then(|t| t.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `planned` cut into batches in order: about two per worker, so that a worker that finishes
/// early takes more (each batch costs a process start), and none larger than [`MAX_BATCH`];
/// one test each under `--isolate`.
fn batches(planned: Vec<String>, workers: usize, isolate: bool) -> VecDeque<Vec<String>> {
    let size = if isolate {
        1
    } else {
        planned.len().div_ceil(workers * 2).clamp(1, MAX_BATCH)
    };
    let mut out = VecDeque::new();
    let mut batch: Vec<String> = Vec::new();
    let mut bytes = 0;
    for name in planned {
        if !batch.is_empty() && (batch.len() == size || bytes + name.len() > MAX_BATCH_BYTES) {
            out.push_back(std::mem::take(&mut batch));
            bytes = 0;
        }
        bytes += name.len() + 1;
        batch.push(name);
    }
    if !batch.is_empty() {
        out.push_back(batch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_every_test_once_in_order() {
        let planned: Vec<String> = (0..1000).map(|i| format!("t{i:04}")).collect();
        let b = batches(planned.clone(), 2, false);
        assert_eq!(b.len(), 4);
        assert_eq!(b.iter().flatten().cloned().collect::<Vec<_>>(), planned);
        let big: Vec<String> = (0..10_000).map(|i| format!("t{i}")).collect();
        assert!(batches(big, 2, false).iter().all(|b| b.len() <= MAX_BATCH));
        assert_eq!(batches(planned[..3].to_vec(), 8, false).len(), 3);
        assert!(batches(planned, 2, true).iter().all(|b| b.len() == 1));
        let long: Vec<String> = (0..200).map(|i| format!("{i:0>200}")).collect();
        let b = batches(long.clone(), 1, false);
        assert!(
            b.iter()
                .all(|b| b.iter().map(|n| n.len() + 1).sum::<usize>() <= MAX_BATCH_BYTES)
        );
        assert_eq!(b.into_iter().flatten().collect::<Vec<_>>(), long);
    }
}
