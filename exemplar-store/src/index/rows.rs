//! How a run's row is kept in the runs table: the BLAKE3 hash of its design fingerprints, then
//! the row without them (CBOR). The fingerprints themselves (every node's, at the run's start)
//! are kept once per distinct set in the design stamps table, since consecutive runs of the
//! same design carry the same set: at 1,000 directives it is most of a row.
//!
//! A run's losses stay on its row, and are the only copy: the loss history of a node is read
//! from the rows of the runs, in their order.

use std::collections::HashMap;

use redb::{ReadableTable, StorageError, Table};

use super::RunRow;
use crate::records::MissionStamp;

/// The hash a fingerprint set is kept under.
type StampKey = [u8; 32];

/// Keep `row`'s fingerprints in `stamps` (once per distinct set) and encode the rest of it for
/// the runs table.
pub(crate) fn encode(
    mut row: RunRow,
    stamps: &mut Table<'_, &'static [u8], &'static [u8]>,
) -> Result<Vec<u8>, StorageError> {
    let design = minicbor::to_vec(std::mem::take(&mut row.missions)).unwrap_or_default();
    let key = *blake3::hash(&design).as_bytes();
    if stamps.get(&key[..])?.is_none() {
        stamps.insert(&key[..], design.as_slice())?;
    }
    Ok(join(&key, &row))
}

/// The runs table's value for `row` (whose `missions` is empty) with its fingerprints kept
/// under `key`.
pub(crate) fn join(key: &StampKey, row: &RunRow) -> Vec<u8> {
    debug_assert!(row.missions.is_empty(), "fingerprints are kept apart");
    let mut out = key.to_vec();
    out.extend(minicbor::to_vec(row).unwrap_or_default());
    out
}

/// A runs table's value split into the key of its fingerprints and the row without them.
/// `None`: not a row of this format.
pub(crate) fn split(bytes: &[u8]) -> Option<(StampKey, RunRow)> {
    let key: StampKey = bytes.get(..32)?.try_into().ok()?;
    let row = minicbor::decode(&bytes[32..]).ok()?;
    Some((key, row))
}

/// Reads rows whole, each fingerprint set decoded once however many runs share it.
pub(crate) struct RowReader<T> {
    stamps: T,
    seen: HashMap<StampKey, Vec<MissionStamp>>,
}

impl<T: ReadableTable<&'static [u8], &'static [u8]>> RowReader<T> {
    /// A reader over the design stamps table `stamps`.
    pub(crate) fn new(stamps: T) -> Self {
        RowReader {
            stamps,
            seen: HashMap::new(),
        }
    }

    /// The row a runs table's value holds, its fingerprints filled in. `None`: not a row of
    /// this format, or its fingerprints are missing.
    pub(crate) fn row(&mut self, bytes: &[u8]) -> Result<Option<RunRow>, StorageError> {
        let Some((key, mut row)) = split(bytes) else {
            return Ok(None);
        };
        if !self.seen.contains_key(&key) {
            let Some(v) = self.stamps.get(&key[..])? else {
                return Ok(None);
            };
            let Ok(set) = minicbor::decode::<Vec<MissionStamp>>(v.value()) else {
                return Ok(None);
            };
            self.seen.insert(key, set);
        }
        row.missions = self.seen[&key].clone();
        Ok(Some(row))
    }
}
