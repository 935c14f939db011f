//! Blob contents (failure messages, captured output), read from the WAL where the index says
//! they are and checked against their address.

use std::path::Path;

use redb::ReadableDatabase;

use super::err;
use crate::errors::{Result, StoreError};
use crate::format;
use crate::index::{BLOBS, Index};
use crate::records::{Hash, Record};

impl Index {
    /// The content of a blob, read from the WAL and checked against its address.
    pub fn blob(&self, journal: &Path, hash: &Hash) -> Result<Option<Vec<u8>>> {
        let Some((seg, offset)) = self.blob_location(hash)? else {
            return Ok(None);
        };
        let path = journal.join("wal").join(crate::wal::segment_name(seg));
        let (head, data) = read_frame(&path, offset)?;
        let header = format::Header::decode(&head).map_err(|_| StoreError::Corrupt {
            segment: path.clone(),
            offset: 0,
            detail: "the segment header does not validate".into(),
        })?;
        let frame =
            format::decode_frame(&data, &header.file_id).map_err(|_| StoreError::Corrupt {
                segment: path.clone(),
                offset: offset as u64,
                detail: "the blob record does not validate".into(),
            })?;
        match Record::decode(frame.kind, frame.seq, frame.payload)? {
            Some(Record::Blob(b)) if *blake3::hash(&b.bytes).as_bytes() == *hash => {
                Ok(Some(b.bytes))
            }
            _ => Err(StoreError::Corrupt {
                segment: path,
                offset: offset as u64,
                detail: "the blob's content does not match its address".into(),
            }),
        }
    }

    /// Where the index says a blob is: the first sequence number of its segment and the offset
    /// of its frame. `None` for an unknown blob (or a location that is not 16 bytes).
    fn blob_location(&self, hash: &Hash) -> Result<Option<(u64, usize)>> {
        let loc = {
            let tx = tri!(self, self.db.begin_read());
            let t = tri!(self, tx.open_table(BLOBS));
            let v = tri!(self, t.get(&hash[..]));
            match v {
                Some(v) => v.value().to_vec(),
                None => return Ok(None),
            }
        };
        if loc.len() != 16 {
            return Ok(None);
        }
        let seg = u64::from_le_bytes(loc[0..8].try_into().unwrap_or_default());
        let offset = u64::from_le_bytes(loc[8..16].try_into().unwrap_or_default()) as usize;
        Ok(Some((seg, offset)))
    }

    /// A blob as text (failure messages, output).
    pub fn blob_text(&self, journal: &Path, hash: &Hash) -> Result<Option<String>> {
        Ok(self
            .blob(journal, hash)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }
}

/// The header of the segment at `path` and the frame at `offset`, read alone (a segment may be
/// megabytes; a message is a few hundred bytes). A frame cut short comes back short, and fails
/// to decode.
fn read_frame(path: &Path, offset: usize) -> Result<(Vec<u8>, Vec<u8>)> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |e| crate::errors::io("cannot read", path)(e);
    let head = crate::segment::read_head(path)?;
    let mut f = std::fs::File::open(path).map_err(&io)?;
    f.seek(SeekFrom::Start(offset as u64)).map_err(&io)?;
    let mut frame = vec![0u8; format::FRAME_HEAD];
    f.read_exact(&mut frame).map_err(&io)?;
    let len = u32::from_le_bytes(frame[0..4].try_into().unwrap_or_default()) as usize;
    let total = format::frame_len(len.min(format::MAX_PAYLOAD));
    let mut rest = Vec::with_capacity(total - format::FRAME_HEAD);
    f.take((total - format::FRAME_HEAD) as u64)
        .read_to_end(&mut rest)
        .map_err(&io)?;
    frame.extend_from_slice(&rest);
    Ok((head, frame))
}
