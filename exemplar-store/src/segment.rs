//! Reading one segment file and classifying how it ends.
//!
//! A scan walks the frames from the header on, checking each checksum and that sequence
//! numbers follow one another (a `Gap` record written by repair declares a jump). Where a frame
//! does not validate, the rest of the file is searched for any later frame that does:
//!
//! - none: a *torn tail* (a write cut short by a crash), safe for the writer to truncate;
//! - one: *corruption* — damage with valid records after it. Never truncated.

use std::path::{Path, PathBuf};

use crate::errors::{Result, StoreError, io};
use crate::format::{self, FrameProblem, HEADER_LEN, Header, HeaderProblem};
use crate::records::{Gap, kind};

/// A record found in a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    /// Sequence number.
    pub seq: u64,
    /// Kind.
    pub kind: u16,
    /// Offset of its frame in the file.
    pub offset: u64,
    /// Frame length.
    pub len: u32,
}

/// How a segment ends after its last valid record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// Exactly at the end of the file.
    Clean,
    /// An incomplete or damaged frame with nothing valid after it.
    TornTail {
        /// Where the valid part ends.
        offset: u64,
        /// What was found there.
        reason: String,
    },
    /// Damage followed by valid records, or a sequence gap.
    Corrupt {
        /// Where the damage starts.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
}

/// A scanned segment.
#[derive(Debug)]
pub struct Scan {
    /// The file.
    pub path: PathBuf,
    /// Its header (`None` when the file is shorter than a header: torn at creation).
    pub header: Option<Header>,
    /// The bytes of the file.
    pub data: Vec<u8>,
    /// Valid records, in order.
    pub records: Vec<Located>,
    /// The sequence number the next record must have.
    pub next_seq: u64,
    /// How it ends.
    pub end: End,
}

impl Scan {
    /// The payload of a located record.
    pub fn payload(&self, r: &Located) -> &[u8] {
        let start = r.offset as usize + format::FRAME_HEAD;
        let len = u32::from_le_bytes(
            self.data[r.offset as usize..r.offset as usize + 4]
                .try_into()
                .unwrap_or_default(),
        ) as usize;
        &self.data[start..start + len]
    }
}

/// Read and scan a segment.
pub fn scan(path: &Path) -> Result<Scan> {
    let data = std::fs::read(path).map_err(io("cannot read", path))?;
    scan_bytes(path, data)
}

/// Scan a segment from `offset`, where record `next_seq` must begin (a resume point the index
/// kept): the bytes before it are not read (they stay zero in `data`). `None` when the point
/// does not hold — no valid frame of `next_seq` there, and not the end of the file — so the
/// caller scans the whole segment instead.
pub fn scan_from(path: &Path, offset: u64, next_seq: u64) -> Result<Option<Scan>> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |e| io("cannot read", path)(e);
    let mut f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    if offset < HEADER_LEN as u64 || offset > len {
        return Ok(None);
    }
    let mut data = vec![0u8; len as usize];
    // The file may shrink meanwhile (a writer truncating a torn tail): then the point does
    // not hold.
    let read = f.read_exact(&mut data[..HEADER_LEN]).and_then(|()| {
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(&mut data[offset as usize..])
    });
    match read {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(io(e)),
    }
    let header = decode_header(path, &data)?;
    let at = offset as usize;
    let holds = at == data.len()
        || format::decode_frame(&data[at..], &header.file_id).is_ok_and(|f| f.seq == next_seq);
    if !holds {
        return Ok(None);
    }
    Ok(Some(walked(path, data, header, at, next_seq)))
}

/// Scan segment bytes already in memory.
pub fn scan_bytes(path: &Path, data: Vec<u8>) -> Result<Scan> {
    if data.len() < HEADER_LEN {
        return torn_at_creation(path, data);
    }
    let header = decode_header(path, &data)?;
    Ok(walked(path, data, header, HEADER_LEN, header.first_seq))
}

/// The scan of `data` from byte `from`, where record `first_seq` must begin.
fn walked(path: &Path, data: Vec<u8>, header: Header, from: usize, first_seq: u64) -> Scan {
    let (records, next_seq, end) = walk_frames(&data, &header, from, first_seq);
    Scan {
        path: path.to_owned(),
        header: Some(header),
        data,
        records,
        next_seq,
        end,
    }
}

/// The first bytes of the file at `path`, up to a header's length (fewer when the file is
/// shorter): a segment may be megabytes, and its header is all some readers need.
pub fn read_head(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(HEADER_LEN);
    let file = std::fs::File::open(path).map_err(io("cannot open", path))?;
    file.take(HEADER_LEN as u64)
        .read_to_end(&mut head)
        .map_err(io("cannot read", path))?;
    Ok(head)
}

/// The scan of a file shorter than a header: torn at creation, unless what it has of the
/// magic is not a segment's.
fn torn_at_creation(path: &Path, data: Vec<u8>) -> Result<Scan> {
    if data.len() >= 8 && &data[..8] != format::MAGIC {
        return Err(StoreError::NotASegment {
            path: path.to_owned(),
        });
    }
    Ok(Scan {
        path: path.to_owned(),
        header: None,
        data,
        records: Vec::new(),
        next_seq: 0,
        end: End::TornTail {
            offset: 0,
            reason: "the segment header is incomplete".into(),
        },
    })
}

/// The header of a segment, or why the file cannot be read as one.
fn decode_header(path: &Path, data: &[u8]) -> Result<Header> {
    match Header::decode(data) {
        Ok(h) => Ok(h),
        Err(HeaderProblem::Magic) => Err(StoreError::NotASegment {
            path: path.to_owned(),
        }),
        Err(HeaderProblem::Newer { major, minor }) => Err(StoreError::NewerFormat {
            path: path.to_owned(),
            found_major: major,
            found_minor: minor,
            known_major: format::MAJOR,
        }),
        Err(HeaderProblem::Checksum) => Err(StoreError::Corrupt {
            segment: path.to_owned(),
            offset: 0,
            detail: "the segment header checksum does not match".into(),
        }),
    }
}

/// Walk the frames after the header while they validate and follow one another: the valid
/// records, the sequence number the next record must have, and how the segment ends.
fn walk_frames(
    data: &[u8],
    header: &Header,
    from: usize,
    first_seq: u64,
) -> (Vec<Located>, u64, End) {
    let mut records = Vec::new();
    let mut off = from;
    let mut next_seq = first_seq;
    let end = loop {
        if off == data.len() {
            break End::Clean;
        }
        match format::decode_frame(&data[off..], &header.file_id) {
            Ok(f) if f.seq == next_seq => {
                records.push(Located {
                    seq: f.seq,
                    kind: f.kind,
                    offset: off as u64,
                    len: f.len as u32,
                });
                next_seq = seq_after(&f);
                off += f.len;
            }
            Ok(f) => {
                break End::Corrupt {
                    offset: off as u64,
                    detail: format!("sequence gap: expected record {next_seq}, found {}", f.seq),
                };
            }
            Err(problem) => break damage_end(data, off, header, next_seq, problem),
        }
    };
    (records, next_seq, end)
}

/// The sequence number the record after `f` must have: the next one, or, after a gap record
/// (which stands in for the first lost record and declares the rest), the one after the gap.
fn seq_after(f: &format::Frame<'_>) -> u64 {
    if f.kind == kind::GAP
        && let Ok(g) = minicbor::decode::<Gap>(f.payload)
        && g.from == f.seq
        && g.to >= g.from
    {
        return g.to + 1;
    }
    f.seq + 1
}

/// How a segment ends at a frame that does not validate at `off`: corruption when a valid
/// record follows later in the file, a torn tail otherwise.
fn damage_end(
    data: &[u8],
    off: usize,
    header: &Header,
    next_seq: u64,
    problem: FrameProblem,
) -> End {
    let what = match problem {
        FrameProblem::Short => "an incomplete record",
        FrameProblem::BadLength => "an impossible record length",
        FrameProblem::Checksum => "a record whose checksum does not match",
    };
    match find_valid_after(data, off + 8, &header.file_id, next_seq) {
        Some(later) => End::Corrupt {
            offset: off as u64,
            detail: format!("{what}, followed by a valid record at offset {later}"),
        },
        None => End::TornTail {
            offset: off as u64,
            reason: what.to_owned(),
        },
    }
}

/// The offset of the first frame at or after `from` that validates with a plausible sequence.
pub fn find_valid_after(
    data: &[u8],
    from: usize,
    file_id: &[u8; 16],
    min_seq: u64,
) -> Option<usize> {
    let mut o = from.div_ceil(8) * 8;
    while o + format::FRAME_HEAD <= data.len() {
        if let Ok(f) = format::decode_frame(&data[o..], file_id)
            && f.seq >= min_seq
        {
            return Some(o);
        }
        o += 8;
    }
    None
}

/// Every valid frame of a damaged segment, skipping over damage (for repair).
pub fn salvage(data: &[u8], header: &Header) -> Vec<(u64, u16, Vec<u8>)> {
    let mut out: Vec<(u64, u16, Vec<u8>)> = Vec::new();
    let mut off = HEADER_LEN;
    while off + format::FRAME_HEAD <= data.len() {
        match format::decode_frame(&data[off..], &header.file_id) {
            Ok(f) if out.last().is_none_or(|(s, _, _)| f.seq > *s) => {
                out.push((f.seq, f.kind, f.payload.to_vec()));
                off += f.len;
            }
            _ => off += 8,
        }
    }
    out
}
