//! The write-ahead log as a folder of segments (`wal/00000000000000000001.seg`, named by the
//! sequence number of their first record): listing, recovery on open, and reading in order.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::errors::{Result, StoreError, io};
use crate::format::{self, Header};
use crate::segment::{self, End, Scan};

/// Segment files of a WAL folder, by first sequence number.
pub fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io("cannot list", dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io("cannot list", dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if let Some(stem) = name.strip_suffix(".seg")
            && stem.len() == 20
            && let Ok(seq) = stem.parse::<u64>()
        {
            out.push((seq, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// The file name of a segment starting at `seq`.
pub fn segment_name(seq: u64) -> String {
    format!("{seq:020}.seg")
}

/// Fsync a folder, so a created, renamed or removed file inside it is durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io("cannot fsync", dir))?;
    Ok(())
}

/// What recovery found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// The sequence number the next record gets.
    pub next_seq: u64,
    /// The segment to append to, with its header and valid length.
    pub tail: Option<(PathBuf, Header, u64)>,
    /// A torn tail that was truncated: (segment, offset, bytes dropped, reason).
    pub truncated: Option<(PathBuf, u64, u64, String)>,
}

/// Open the WAL for writing: check the chain of segments, scan the last one, truncate a torn
/// tail (the caller holds the writer lock). Corruption is an error; nothing is changed then.
pub fn recover(dir: &Path) -> Result<Recovery> {
    let segs = segments(dir)?;
    let mut rec = Recovery {
        next_seq: 1,
        ..Recovery::default()
    };
    check_chain(&segs)?;
    let Some((_, last)) = segs.last() else {
        return Ok(rec);
    };
    let scan = segment::scan(last)?;
    match &scan.end {
        End::Clean => {}
        End::Corrupt { offset, detail } => {
            return Err(StoreError::Corrupt {
                segment: last.clone(),
                offset: *offset,
                detail: detail.clone(),
            });
        }
        End::TornTail { offset, reason } => {
            let dropped = scan.data.len() as u64 - offset;
            if scan.header.is_none() {
                // Torn while the segment was being created: it holds nothing.
                fs::remove_file(last).map_err(io("cannot remove", last))?;
                sync_dir(dir)?;
                rec.truncated = Some((last.clone(), 0, dropped, reason.clone()));
                // The previous segment (if any) is the tail now.
                return match segs.len() {
                    1 => Ok(rec),
                    _ => {
                        let prev = segment::scan(&segs[segs.len() - 2].1)?;
                        let mut r = tail_of(prev)?;
                        r.truncated = rec.truncated;
                        Ok(r)
                    }
                };
            }
            let f = fs::OpenOptions::new()
                .write(true)
                .open(last)
                .map_err(io("cannot open", last))?;
            f.set_len(*offset).map_err(io("cannot truncate", last))?;
            f.sync_all().map_err(io("cannot fsync", last))?;
            rec.truncated = Some((last.clone(), *offset, dropped, reason.clone()));
        }
    }
    let truncated = rec.truncated.take();
    let mut r = tail_of(scan)?;
    r.truncated = truncated;
    Ok(r)
}

fn tail_of(scan: Scan) -> Result<Recovery> {
    let header = scan.header.ok_or_else(|| StoreError::Corrupt {
        segment: scan.path.clone(),
        offset: 0,
        detail: "the segment header is incomplete".into(),
    })?;
    let valid = match scan.end {
        End::Clean => scan.data.len() as u64,
        End::TornTail { offset, .. } => offset,
        End::Corrupt { offset, detail } => {
            return Err(StoreError::Corrupt {
                segment: scan.path,
                offset,
                detail,
            });
        }
    };
    Ok(Recovery {
        next_seq: scan.next_seq,
        tail: Some((scan.path, header, valid)),
        truncated: None,
    })
}

/// The chain of segment headers: names match headers, and no segment is missing in between
/// (checked precisely while reading, where each segment's end is known).
fn check_chain(segs: &[(u64, PathBuf)]) -> Result<()> {
    for (seq, path) in segs {
        let buf = segment::read_head(path)?;
        if buf.len() < crate::format::HEADER_LEN {
            continue; // judged by the scan of the last segment
        }
        match Header::decode(&buf) {
            Ok(h) if h.first_seq == *seq => {}
            Ok(h) => {
                return Err(StoreError::Corrupt {
                    segment: path.clone(),
                    offset: 32,
                    detail: format!(
                        "the file is named for record {seq} but its header says {}",
                        h.first_seq
                    ),
                });
            }
            Err(crate::format::HeaderProblem::Newer { major, minor }) => {
                return Err(StoreError::NewerFormat {
                    path: path.clone(),
                    found_major: major,
                    found_minor: minor,
                    known_major: crate::format::MAJOR,
                });
            }
            Err(crate::format::HeaderProblem::Magic) => {
                return Err(StoreError::NotASegment { path: path.clone() });
            }
            Err(crate::format::HeaderProblem::Checksum) => {
                return Err(StoreError::Corrupt {
                    segment: path.clone(),
                    offset: 0,
                    detail: "the segment header checksum does not match".into(),
                });
            }
        }
    }
    Ok(())
}

/// Where reading stopped.
#[derive(Debug, Clone, Default)]
pub struct ReadEnd {
    /// The last sequence number read (0 when none).
    pub last_seq: u64,
    /// The sequence number the next record of the WAL will get (1 for an empty WAL).
    pub next_seq: u64,
    /// A torn tail at the end of the last segment (a crash, or a write in progress).
    pub torn_tail: Option<(PathBuf, u64)>,
    /// Where the last valid record ends: where the next read may resume.
    pub resume: Option<Resume>,
}

/// Where a reader that applied every record before `from` left off: the segment (by its first
/// sequence number) and the byte offset after the last record it read. [`read_from`] starts
/// there instead of reading the segment from its start, when the point holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    /// The first sequence number of the segment.
    pub segment: u64,
    /// The offset after the last record read.
    pub offset: u64,
}

/// Call `f(segment first seq, scan, record)` for every record with `seq >= from`, in order,
/// starting at `resume` when it holds. Damage with valid records after it, in any segment,
/// and sequence gaps between segments are errors; a torn tail is tolerated only at the end
/// of the last segment.
pub fn read_from(
    dir: &Path,
    from: u64,
    resume: Option<Resume>,
    f: &mut dyn FnMut(&Scan, &segment::Located) -> Result<()>,
) -> Result<ReadEnd> {
    let segs = segments(dir)?;
    let mut end = ReadEnd {
        next_seq: 1,
        ..ReadEnd::default()
    };
    let mut expected: Option<u64> = None;
    for (i, (first, path)) in segs.iter().enumerate() {
        let last_segment = i + 1 == segs.len();
        // Skip segments entirely before `from` (the next one starts at or before it).
        if let Some((next_first, _)) = segs.get(i + 1)
            && *next_first <= from
        {
            expected = Some(*next_first);
            continue;
        }
        let resumed = match resume {
            Some(r) if r.segment == *first => segment::scan_from(path, r.offset, from)?,
            _ => None,
        };
        let (scan, start) = match resumed {
            Some(scan) => (scan, resume.map_or(0, |r| r.offset)),
            None => (segment::scan(path)?, format::HEADER_LEN as u64),
        };
        if let Some(e) = expected
            && scan.header.is_some()
            && *first != e
        {
            return Err(StoreError::Corrupt {
                segment: path.clone(),
                offset: 0,
                detail: format!(
                    "sequence gap between segments: expected record {e}, this segment starts at {first}"
                ),
            });
        }
        match &scan.end {
            End::Clean => {}
            End::TornTail { offset, .. } if last_segment => {
                end.torn_tail = Some((path.clone(), *offset));
            }
            End::TornTail { offset, reason }
            | End::Corrupt {
                offset,
                detail: reason,
            } => {
                return Err(StoreError::Corrupt {
                    segment: path.clone(),
                    offset: *offset,
                    detail: if last_segment {
                        reason.clone()
                    } else {
                        format!("{reason}, and later segments follow")
                    },
                });
            }
        }
        for r in scan.records.iter().filter(|r| r.seq >= from) {
            f(&scan, r)?;
            end.last_seq = r.seq;
        }
        expected = Some(scan.next_seq);
        if let Some(h) = &scan.header {
            end.next_seq = scan.next_seq;
            let offset = scan
                .records
                .last()
                .map_or(start, |r| r.offset + u64::from(r.len));
            end.resume = Some(Resume {
                segment: h.first_seq,
                offset,
            });
        }
    }
    Ok(end)
}
