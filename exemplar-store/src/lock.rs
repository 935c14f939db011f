//! The writer lock: an exclusive lock (std `File::lock`) on `lock` in the journal folder, held
//! for the writer's whole life, with the holder's pid written inside for messages. The lock is
//! released by the operating system when the process ends, however it ends.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::errors::{Result, StoreError, io};

/// A held writer lock.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

/// What to do when another writer holds the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contention {
    /// Wait for it (after telling the caller who holds it).
    Wait,
    /// Fail at once.
    Fail,
}

impl WriterLock {
    /// Take the lock of the journal at `dir`.
    pub fn acquire(
        dir: &Path,
        contention: Contention,
        on_wait: &mut dyn FnMut(&str),
    ) -> Result<WriterLock> {
        let path = dir.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io("cannot open", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim().to_owned();
                match contention {
                    Contention::Fail => {
                        return Err(StoreError::Locked {
                            path: dir.to_owned(),
                            pid,
                        });
                    }
                    Contention::Wait => {
                        on_wait(&pid);
                        file.lock().map_err(io("cannot lock", &path))?;
                    }
                }
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("cannot lock", &path)(e)),
        }
        file.set_len(0).map_err(io("cannot write", &path))?;
        file.seek(SeekFrom::Start(0))
            .map_err(io("cannot write", &path))?;
        let _ = writeln!(file, "{}", std::process::id());
        let _ = file.flush();
        Ok(WriterLock { _file: file })
    }
}
