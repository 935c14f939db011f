//! The write-ahead log's format and its replay.
//!
//! A log is a sequence of records, each:
//!
//! | bytes | field |
//! |-------|-------|
//! | 4     | key length (u32 LE) |
//! | 4     | value length (u32 LE) |
//! | k     | key |
//! | v     | value |
//! | 8     | BLAKE3 of the 8 length bytes, key and value: the first 8 bytes |
//!
//! Replay reads records from the start. An incomplete or unchecked record at the very end is a
//! torn write (the process died mid-write; the write was never acknowledged) and is dropped. A
//! bad record with more data after it is damage: an error with its offset.

use std::path::Path;

use crate::errors::KvError;

/// Append one record's bytes to `out`.
pub fn encode(out: &mut Vec<u8>, key: &[u8], value: &[u8]) -> Result<(), KvError> {
    let kl = u32::try_from(key.len()).map_err(|_| KvError::TooLarge(key.len()))?;
    let vl = u32::try_from(value.len()).map_err(|_| KvError::TooLarge(value.len()))?;
    let start = out.len();
    out.extend_from_slice(&kl.to_le_bytes());
    out.extend_from_slice(&vl.to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(value);
    let sum = blake3::hash(&out[start..]);
    out.extend_from_slice(&sum.as_bytes()[..8]);
    Ok(())
}

/// The result of reading a log.
#[derive(Debug, Default)]
pub struct Replay {
    /// Every whole record, in order.
    pub records: Vec<crate::Entry>,
    /// Length of the valid prefix (where the next record goes).
    pub valid_len: u64,
    /// Bytes of a torn last record that were ignored.
    pub torn_bytes: u64,
}

/// Read every record of `data`.
pub fn replay(path: &Path, data: &[u8]) -> Result<Replay, KvError> {
    let mut r = Replay::default();
    let mut off = 0usize;
    while off < data.len() {
        match record_at(data, off) {
            Some((key, value, next)) => {
                r.records.push((key.to_vec(), value.to_vec()));
                off = next;
            }
            None => {
                // A bad record: torn if nothing valid follows it, damage otherwise. (A damaged
                // length field can claim any size, so look for a valid record at every later
                // offset rather than trusting it.)
                if let Some(later) = (off + 1..data.len()).find(|o| record_at(data, *o).is_some()) {
                    return Err(KvError::Damaged {
                        path: path.to_owned(),
                        offset: off as u64,
                        detail: format!(
                            "a record does not check out, and a valid one follows at offset {later}"
                        ),
                    });
                }
                r.torn_bytes = (data.len() - off) as u64;
                break;
            }
        }
    }
    r.valid_len = off as u64;
    Ok(r)
}

/// The total length the record at the start of `b` claims, if its header is there.
fn whole_len(b: &[u8]) -> Option<usize> {
    if b.len() < 8 {
        return None;
    }
    let kl = u32::from_le_bytes(b[0..4].try_into().ok()?) as usize;
    let vl = u32::from_le_bytes(b[4..8].try_into().ok()?) as usize;
    8usize.checked_add(kl)?.checked_add(vl)?.checked_add(8)
}

fn record_at(data: &[u8], off: usize) -> Option<(&[u8], &[u8], usize)> {
    let b = &data[off..];
    let total = whole_len(b)?;
    if total > b.len() {
        return None;
    }
    let kl = u32::from_le_bytes(b[0..4].try_into().ok()?) as usize;
    let body = &b[..total - 8];
    let sum = blake3::hash(body);
    if sum.as_bytes()[..8] != b[total - 8..total] {
        return None;
    }
    Some((&body[8..8 + kl], &body[8 + kl..], off + total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..n {
            encode(
                &mut out,
                format!("k{i}").as_bytes(),
                format!("v{i}").as_bytes(),
            )
            .unwrap();
        }
        out
    }

    #[test]
    fn every_cut_of_the_last_record_is_dropped_as_torn() {
        let full = log(5);
        let four = log(4).len();
        for cut in four..full.len() {
            let r = replay(Path::new("log"), &full[..cut]).unwrap();
            assert_eq!(r.records.len(), 4, "cut at {cut}");
            assert_eq!(r.valid_len as usize, four);
        }
    }

    #[test]
    fn damage_before_the_end_is_an_error_with_its_offset() {
        let mut data = log(5);
        let second = log(1).len();
        data[second + 9] ^= 1;
        match replay(Path::new("log"), &data) {
            Err(KvError::Damaged { offset, .. }) => assert_eq!(offset as usize, second),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_hostile_length_is_not_allocated() {
        let mut data = vec![0xff; 8];
        data.extend_from_slice(b"tiny");
        let r = replay(Path::new("log"), &data).unwrap();
        assert!(r.records.is_empty());
        assert_eq!(r.torn_bytes, 12);
    }
}
