//! Arbitrary bytes as a segment file: the scanner must never panic, and every record it accepts
//! must re-validate against the header's file id and decode or be skipped as unknown.
#![no_main]

use exemplar_store::{Record, format, segment};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.seg");
    // Raw bytes, and the same bytes behind a valid header (so frames are reached).
    let mut framed = format::Header {
        major: format::MAJOR,
        minor: format::MINOR,
        file_id: [3; 16],
        first_seq: 1,
        created_nanos: 0,
    }
    .encode()
    .to_vec();
    framed.extend_from_slice(data);
    for bytes in [data.to_vec(), framed] {
        if let Ok(scan) = segment::scan_bytes(path, bytes) {
            // A file shorter than a header scans as a torn tail with no header and no records.
            let Some(header) = scan.header else {
                assert!(scan.records.is_empty());
                continue;
            };
            for r in &scan.records {
                let frame = format::decode_frame(&scan.data[r.offset as usize..], &header.file_id)
                    .expect("an accepted record validates");
                assert_eq!((frame.seq, frame.kind), (r.seq, r.kind));
                let _ = Record::decode(frame.kind, frame.seq, frame.payload);
            }
            let _ = segment::salvage(&scan.data, &header);
        }
    }
});
