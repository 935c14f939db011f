//! The on-disk format of a journal segment.
//!
//! A segment file is a 64-byte header followed by 8-byte-aligned framed records.
//!
//! Header:
//!
//! | bytes  | field                                            |
//! |--------|--------------------------------------------------|
//! | 0..8   | magic `EXJOURNL`                                 |
//! | 8..10  | format major (u16 LE)                            |
//! | 10..12 | format minor (u16 LE)                            |
//! | 12..16 | header length (u32 LE, 64)                       |
//! | 16..32 | file id (16 random bytes)                        |
//! | 32..40 | sequence number of the first record (u64 LE)     |
//! | 40..48 | creation time, unix nanoseconds (i64 LE)         |
//! | 48..64 | BLAKE3 of bytes 0..48, first 16 bytes            |
//!
//! Record frame:
//!
//! | bytes          | field                                                    |
//! |----------------|----------------------------------------------------------|
//! | 0..4           | payload length (u32 LE)                                  |
//! | 4..6           | kind (u16 LE)                                            |
//! | 6..8           | flags (u16 LE, 0)                                        |
//! | 8..16          | sequence number (u64 LE)                                 |
//! | 16..16+len     | payload (CBOR)                                           |
//! | next 16        | BLAKE3(file id ‖ bytes 0..16+len), first 16 bytes        |
//! | then           | zero padding to a multiple of 8                          |
//!
//! The checksum covers the file id, so a record copied from another segment (or another
//! journal) never validates in place, and random bytes validate with probability 2⁻¹²⁸.

/// Segment magic.
pub const MAGIC: &[u8; 8] = b"EXJOURNL";
/// The format major version this build writes (it reads 1 too). Major 2 added the compact
/// outcome records (a test defined once, then results that name it by id), which a reader of
/// major 1 would skip without a word: so a segment that may hold them says major 2.
pub const MAJOR: u16 = 2;
/// The format minor version this build writes.
pub const MINOR: u16 = 0;
/// Header length.
pub const HEADER_LEN: usize = 64;
/// Frame bytes before the payload.
pub const FRAME_HEAD: usize = 16;
/// Checksum bytes after the payload.
pub const CHECKSUM_LEN: usize = 16;
/// The largest payload accepted.
pub const MAX_PAYLOAD: usize = 64 << 20;

/// A parsed segment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Format major.
    pub major: u16,
    /// Format minor.
    pub minor: u16,
    /// Random id of the file.
    pub file_id: [u8; 16],
    /// Sequence number of the first record.
    pub first_seq: u64,
    /// Creation time.
    pub created_nanos: i64,
}

impl Header {
    /// The 64 header bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        self.encode_as(MAGIC)
    }

    /// The 64 header bytes of a file of the same layout under another magic (a bundle).
    pub fn encode_as(&self, magic: &[u8; 8]) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(magic);
        b[8..10].copy_from_slice(&self.major.to_le_bytes());
        b[10..12].copy_from_slice(&self.minor.to_le_bytes());
        b[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        b[16..32].copy_from_slice(&self.file_id);
        b[32..40].copy_from_slice(&self.first_seq.to_le_bytes());
        b[40..48].copy_from_slice(&self.created_nanos.to_le_bytes());
        let sum = blake3::hash(&b[0..48]);
        b[48..64].copy_from_slice(&sum.as_bytes()[..16]);
        b
    }

    /// Parse header bytes: `Err(reason)` when they are not a valid header.
    pub fn decode(b: &[u8]) -> Result<Header, HeaderProblem> {
        Header::decode_as(b, MAGIC)
    }

    /// [`Header::decode`] of a file of the same layout under another magic (a bundle).
    pub fn decode_as(b: &[u8], magic: &[u8; 8]) -> Result<Header, HeaderProblem> {
        if b.len() < HEADER_LEN || &b[0..8] != magic {
            return Err(HeaderProblem::Magic);
        }
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let major = u16_at(8);
        let minor = u16_at(10);
        if major > MAJOR {
            return Err(HeaderProblem::Newer { major, minor });
        }
        let sum = blake3::hash(&b[0..48]);
        if b[48..64] != sum.as_bytes()[..16] {
            return Err(HeaderProblem::Checksum);
        }
        let mut file_id = [0u8; 16];
        file_id.copy_from_slice(&b[16..32]);
        Ok(Header {
            major,
            minor,
            file_id,
            first_seq: u64::from_le_bytes(b[32..40].try_into().unwrap_or_default()),
            created_nanos: i64::from_le_bytes(b[40..48].try_into().unwrap_or_default()),
        })
    }
}

/// Why header bytes are not a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Not a segment at all.
    Magic,
    /// A newer major format.
    Newer {
        /// Its major.
        major: u16,
        /// Its minor.
        minor: u16,
    },
    /// The header is damaged.
    Checksum,
}

/// Total frame length for a payload of `len` bytes.
pub fn frame_len(len: usize) -> usize {
    (FRAME_HEAD + len + CHECKSUM_LEN).div_ceil(8) * 8
}

/// Append the frame of one record to `out`.
pub fn encode_frame(out: &mut Vec<u8>, file_id: &[u8; 16], kind: u16, seq: u64, payload: &[u8]) {
    let start = out.len();
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(payload);
    let sum = checksum(file_id, &out[start..]);
    out.extend_from_slice(&sum);
    let total = frame_len(payload.len());
    out.resize(start + total, 0);
}

/// The record checksum.
pub fn checksum(file_id: &[u8; 16], head_and_payload: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut h = blake3::Hasher::new();
    h.update(file_id);
    h.update(head_and_payload);
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(&h.finalize().as_bytes()[..CHECKSUM_LEN]);
    out
}

/// A frame that validated.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Record kind.
    pub kind: u16,
    /// Sequence number.
    pub seq: u64,
    /// Payload bytes.
    pub payload: &'a [u8],
    /// Frame length on disk.
    pub len: usize,
}

/// Why bytes at an offset are not a valid frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameProblem {
    /// Fewer bytes than a whole frame.
    Short,
    /// An impossible length.
    BadLength,
    /// The checksum does not match.
    Checksum,
}

/// Validate the frame at the start of `b`.
pub fn decode_frame<'a>(b: &'a [u8], file_id: &[u8; 16]) -> Result<Frame<'a>, FrameProblem> {
    if b.len() < FRAME_HEAD {
        return Err(FrameProblem::Short);
    }
    let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    if len > MAX_PAYLOAD {
        return Err(FrameProblem::BadLength);
    }
    let total = frame_len(len);
    if b.len() < total {
        return Err(FrameProblem::Short);
    }
    let body = &b[..FRAME_HEAD + len];
    let sum = &b[FRAME_HEAD + len..FRAME_HEAD + len + CHECKSUM_LEN];
    if checksum(file_id, body) != sum {
        return Err(FrameProblem::Checksum);
    }
    Ok(Frame {
        kind: u16::from_le_bytes([b[4], b[5]]),
        seq: u64::from_le_bytes(b[8..16].try_into().unwrap_or_default()),
        payload: &b[FRAME_HEAD..FRAME_HEAD + len],
        len: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_are_aligned() {
        let id = [7u8; 16];
        for n in [0usize, 1, 7, 8, 9, 100] {
            let payload = vec![0xabu8; n];
            let mut out = Vec::new();
            encode_frame(&mut out, &id, 2, 42, &payload);
            assert_eq!(out.len() % 8, 0);
            let f = decode_frame(&out, &id).unwrap();
            assert_eq!(
                (f.kind, f.seq, f.payload, f.len),
                (2, 42, &payload[..], out.len())
            );
            // Another file's id does not validate.
            assert_eq!(
                decode_frame(&out, &[8u8; 16]).unwrap_err(),
                FrameProblem::Checksum
            );
        }
    }

    #[test]
    fn header_round_trips_and_refuses_newer_major() {
        let h = Header {
            major: MAJOR,
            minor: MINOR,
            file_id: [1; 16],
            first_seq: 9,
            created_nanos: 5,
        };
        assert_eq!(Header::decode(&h.encode()).unwrap(), h);
        let newer = Header {
            major: MAJOR + 1,
            ..h
        }
        .encode();
        assert_eq!(
            Header::decode(&newer).unwrap_err(),
            HeaderProblem::Newer {
                major: MAJOR + 1,
                minor: MINOR
            }
        );
        let mut bad = h.encode();
        bad[33] ^= 1;
        assert_eq!(Header::decode(&bad).unwrap_err(), HeaderProblem::Checksum);
    }
}
