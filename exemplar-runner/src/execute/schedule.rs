//! The run's one queue of batches, and the rules that say which batch may start now.
//!
//! Every worker of the pool asks the [`Schedule`] for its next batch. A batch may start when
//! no batch that must run alone is running, its test group (if any) is below its
//! `max-threads`, and, for a group that runs alone, nothing else is running. A worker whose
//! every waiting batch is held back waits until another batch ends; with nothing running,
//! every batch may start, so the pool never deadlocks. Batches that must run alone go first,
//! while the machine is quiet. After [`Schedule::stop`] (`--fail-fast`), no batch starts.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};

/// How a test group shares the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GroupLimit {
    /// How many of the group's batches may run at once.
    pub(crate) max_threads: usize,
    /// Nothing outside the group runs beside it.
    pub(crate) alone: bool,
}

/// Some tests of one job, run in one process, one after another.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Batch {
    /// The index of its job.
    pub(crate) job: usize,
    /// Its tests' names.
    pub(crate) names: Vec<String>,
    /// Its test group's index in the schedule's limits.
    pub(crate) group: Option<usize>,
    /// It holds every test of its binary: the process is started without names (libtest
    /// compares each of its tests with every name it is given).
    pub(crate) whole: bool,
    /// Seconds its tests took the last time they ran (0: unknown).
    pub(crate) expected: f64,
}

/// What is waiting and what is running.
#[derive(Debug, Default)]
struct Board {
    waiting: VecDeque<Batch>,
    running: usize,
    running_alone: bool,
    per_group: Vec<usize>,
    stopped: bool,
}

/// The queue every worker takes its batches from.
pub(crate) struct Schedule {
    board: Mutex<Board>,
    turn: Condvar,
    limits: Vec<GroupLimit>,
}

impl Schedule {
    /// A schedule of `batches`, in order, except that those of groups that run alone go first.
    pub(crate) fn new(batches: Vec<Batch>, limits: Vec<GroupLimit>) -> Schedule {
        let alone = |b: &Batch| b.group.is_some_and(|g| limits[g].alone);
        let (first, rest): (Vec<Batch>, Vec<Batch>) = batches.into_iter().partition(alone);
        let board = Board {
            waiting: first.into_iter().chain(rest).collect(),
            per_group: vec![0; limits.len()],
            ..Board::default()
        };
        Schedule {
            board: Mutex::new(board),
            turn: Condvar::new(),
            limits,
        }
    }

    fn board(&self) -> MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next batch that may start, waiting while every one is held back; `None` when none
    /// is left or the schedule stopped.
    pub(crate) fn next(&self) -> Option<Batch> {
        let mut board = self.board();
        loop {
            if board.stopped || board.waiting.is_empty() {
                return None;
            }
            let free = |b: &Batch| self.may_start(&board, b);
            if let Some(i) = board.waiting.iter().position(free) {
                let batch = board.waiting.remove(i)?;
                board.running += 1;
                if let Some(g) = batch.group {
                    board.per_group[g] += 1;
                    board.running_alone |= self.limits[g].alone;
                }
                return Some(batch);
            }
            board = self.turn.wait(board).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn may_start(&self, board: &Board, b: &Batch) -> bool {
        if board.running_alone {
            return false;
        }
        match b.group.map(|g| (g, self.limits[g])) {
            None => true,
            Some((_, limit)) if limit.alone && board.running > 0 => false,
            Some((g, limit)) => board.per_group[g] < limit.max_threads,
        }
    }

    /// `batch` ended: what it held back may start.
    pub(crate) fn done(&self, batch: &Batch) {
        let mut board = self.board();
        board.running -= 1;
        if let Some(g) = batch.group {
            board.per_group[g] -= 1;
            if self.limits[g].alone {
                board.running_alone = false;
            }
        }
        drop(board);
        self.turn.notify_all();
    }

    /// Start no more batches (`--fail-fast` saw a failure).
    pub(crate) fn stop(&self) {
        self.board().stopped = true;
        self.turn.notify_all();
    }

    /// The batches that never started.
    pub(crate) fn left(&self) -> Vec<Batch> {
        self.board().waiting.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn batch(job: usize, group: Option<usize>) -> Batch {
        Batch {
            whole: false,
            job,
            names: vec![format!("t{job}")],
            group,
            expected: 0.0,
        }
    }

    #[test]
    fn a_group_that_runs_alone_never_shares_the_pool() {
        let limits = vec![
            GroupLimit {
                max_threads: 1,
                alone: true,
            },
            GroupLimit {
                max_threads: 2,
                alone: false,
            },
        ];
        let mut batches: Vec<Batch> = (0..40).map(|i| batch(i, None)).collect();
        batches.extend((40..44).map(|i| batch(i, Some(0))));
        batches.extend((44..60).map(|i| batch(i, Some(1))));
        let schedule = Schedule::new(batches, limits);
        assert_eq!(
            schedule.board().waiting[0].group,
            Some(0),
            "alone goes first"
        );
        let running = AtomicUsize::new(0);
        let alone = AtomicUsize::new(0);
        let in_group = AtomicUsize::new(0);
        let ran = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    while let Some(b) = schedule.next() {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        match b.group {
                            Some(0) => {
                                alone.fetch_add(1, Ordering::SeqCst);
                                assert_eq!(now, 1, "a batch ran beside an alone one");
                            }
                            Some(_) => {
                                let n = in_group.fetch_add(1, Ordering::SeqCst) + 1;
                                assert!(n <= 2, "max-threads 2 exceeded: {n}");
                            }
                            None => {}
                        }
                        assert!(
                            !(alone.load(Ordering::SeqCst) > 0 && now > 1),
                            "a batch started beside an alone one"
                        );
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        if b.group == Some(0) {
                            alone.fetch_sub(1, Ordering::SeqCst);
                        } else if b.group.is_some() {
                            in_group.fetch_sub(1, Ordering::SeqCst);
                        }
                        running.fetch_sub(1, Ordering::SeqCst);
                        ran.fetch_add(1, Ordering::SeqCst);
                        schedule.done(&b);
                    }
                });
            }
        });
        assert_eq!(ran.load(Ordering::SeqCst), 60);
    }

    #[test]
    fn a_stopped_schedule_hands_out_nothing_and_keeps_what_is_left() {
        let schedule = Schedule::new((0..5).map(|i| batch(i, None)).collect(), vec![]);
        let first = schedule.next().unwrap();
        schedule.stop();
        assert_eq!(schedule.next(), None);
        schedule.done(&first);
        let left: Vec<usize> = schedule.left().iter().map(|b| b.job).collect();
        assert_eq!(left, vec![1, 2, 3, 4]);
    }
}
