//! The index answered from memory, for a journal on a disk that will not let the index be
//! written (read-only, full): the file's bytes are copied into memory, caught up with the log
//! there, and dropped after. Nothing is written to the disk; the answers are as complete as
//! from the file.

use std::io;
use std::sync::RwLock;

use redb::StorageBackend;

/// A redb storage that starts as a copy of a file's bytes and lives in memory.
#[derive(Debug, Default)]
pub(crate) struct MemoryCopy(RwLock<Vec<u8>>);

impl MemoryCopy {
    /// A copy of `bytes` (empty: a new database).
    pub(crate) fn of(bytes: Vec<u8>) -> MemoryCopy {
        MemoryCopy(RwLock::new(bytes))
    }

    fn out_of_range() -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, "beyond the end of the index")
    }

    fn range(&self, offset: u64, len: usize, size: usize) -> io::Result<std::ops::Range<usize>> {
        let start = usize::try_from(offset).map_err(|_| Self::out_of_range())?;
        match start.checked_add(len) {
            Some(end) if end <= size => Ok(start..end),
            _ => Err(Self::out_of_range()),
        }
    }
}

impl StorageBackend for MemoryCopy {
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.read().unwrap_or_else(|e| e.into_inner()).len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let bytes = self.0.read().unwrap_or_else(|e| e.into_inner());
        let r = self.range(offset, out.len(), bytes.len())?;
        out.copy_from_slice(&bytes[r]);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(|_| Self::out_of_range())?;
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .resize(len, 0);
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut bytes = self.0.write().unwrap_or_else(|e| e.into_inner());
        let r = self.range(offset, data.len(), bytes.len())?;
        bytes[r].copy_from_slice(data);
        Ok(())
    }
}
