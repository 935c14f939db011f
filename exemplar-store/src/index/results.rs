//! The results of a run, packed into one value of the index: per test, its id (8 bytes), its
//! outcome code (1), its duration in seconds (f32, 4), a flags byte saying which content
//! addresses follow (message, output; 32 bytes each). 14 bytes for a test that passed, so the
//! index stays smaller than the log it is derived from.
//!
//! A run's value grows as its records are applied; a test that appears twice in a run (its
//! record amended after a re-run) keeps its last result.

use std::collections::HashMap;

use minicbor::bytes::ByteArray;

use crate::records::TestResult;

const MESSAGE: u8 = 1;
const OUTPUT: u8 = 2;

/// Append `r` to a run's packed results.
pub(crate) fn push(buf: &mut Vec<u8>, r: &TestResult) {
    buf.extend_from_slice(&r.test.to_le_bytes());
    buf.push(r.outcome);
    buf.extend_from_slice(&(r.duration as f32).to_le_bytes());
    let flags = r.message.map_or(0, |_| MESSAGE) | r.output.map_or(0, |_| OUTPUT);
    buf.push(flags);
    for hash in [r.message, r.output].into_iter().flatten() {
        buf.extend_from_slice(&hash[..]);
    }
}

/// The bytes of a chunk the index stores at most (about a page, so that redb packs them
/// tightly).
const CHUNK: usize = 3 * 1024;

/// `packed` results cut into chunks of at most [`CHUNK`] bytes (or one result), between
/// results.
pub(crate) fn chunks(packed: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let (mut start, mut at) = (0, 0);
    while at < packed.len() {
        let len = entry_len(&packed[at..]);
        if at + len - start > CHUNK && at > start {
            out.push(&packed[start..at]);
            start = at;
        }
        at += len;
    }
    if start < packed.len() {
        out.push(&packed[start..]);
    }
    out
}

/// The length of the packed result at the start of `b`.
fn entry_len(b: &[u8]) -> usize {
    let flags = b.get(13).copied().unwrap_or(0);
    let hashes = (flags & MESSAGE != 0) as usize + (flags & OUTPUT != 0) as usize;
    (14 + 32 * hashes).min(b.len())
}

/// Every result packed in `bytes`, in order, a test's repeats included; a truncated tail (a
/// damaged value) ends the list.
pub(crate) fn all(bytes: &[u8]) -> Vec<TestResult> {
    let mut out = Vec::with_capacity(bytes.len() / 14);
    let mut rest = bytes;
    while let Some((r, tail)) = one(rest) {
        out.push(r);
        rest = tail;
    }
    out
}

/// Every result packed in `bytes`, in order, each test's last one only; a truncated tail (a
/// damaged value) ends the list.
pub(crate) fn unpack(bytes: &[u8]) -> Vec<TestResult> {
    let mut out: Vec<TestResult> = Vec::new();
    let mut at: HashMap<u64, usize> = HashMap::new();
    for r in all(bytes) {
        match at.get(&r.test) {
            Some(i) => out[*i] = r,
            None => {
                at.insert(r.test, out.len());
                out.push(r);
            }
        }
    }
    out
}

fn one(b: &[u8]) -> Option<(TestResult, &[u8])> {
    let (head, mut rest) = b.split_at_checked(14)?;
    let test = u64::from_le_bytes(head[0..8].try_into().ok()?);
    let duration = f32::from_le_bytes(head[9..13].try_into().ok()?);
    let flags = head[13];
    let mut hash = |present: bool| -> Option<Option<ByteArray<32>>> {
        if !present {
            return Some(None);
        }
        let (h, tail) = rest.split_at_checked(32)?;
        rest = tail;
        Some(Some(ByteArray::from(<[u8; 32]>::try_from(h).ok()?)))
    };
    let message = hash(flags & MESSAGE != 0)?;
    let output = hash(flags & OUTPUT != 0)?;
    let r = TestResult {
        test,
        outcome: head[8],
        duration: f64::from(duration),
        message,
        output,
    };
    Some((r, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_round_trip_and_the_last_of_a_test_wins() {
        let r = |test, outcome, message: Option<u8>| TestResult {
            test,
            outcome,
            duration: 0.25,
            message: message.map(|m| ByteArray::from([m; 32])),
            output: None,
        };
        let mut buf = Vec::new();
        for x in [r(7, 0, None), r(9, 1, Some(3)), r(7, 1, Some(4))] {
            push(&mut buf, &x);
        }
        assert_eq!(buf.len(), 14 * 3 + 32 * 2);
        assert_eq!(unpack(&buf), vec![r(7, 1, Some(4)), r(9, 1, Some(3))]);
        assert_eq!(
            unpack(&buf[..20]),
            vec![r(7, 0, None)],
            "a torn tail ends the list"
        );
        let mut many = Vec::new();
        for i in 0..1000 {
            push(&mut many, &r(i, 0, (i % 3 == 0).then_some(1)));
        }
        let cut = chunks(&many);
        assert!(cut.len() > 1 && cut.iter().all(|c| c.len() <= CHUNK));
        let whole: Vec<TestResult> = cut.iter().flat_map(|c| unpack(c)).collect();
        assert_eq!(whole, unpack(&many));
    }
}
