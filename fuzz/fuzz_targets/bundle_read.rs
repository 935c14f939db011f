//! Any bytes as an export bundle, raw and behind a valid header: `journal import`'s reader
//! never panics; it accepts or refuses with an offset inside the input.
#![no_main]

use exemplar_store::{StoreError, bundle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.exbundle");
    let mut framed = exemplar_store::format::Header {
        major: exemplar_store::format::MAJOR,
        minor: exemplar_store::format::MINOR,
        file_id: [7; 16],
        first_seq: 1,
        created_nanos: 0,
    }
    .encode_as(bundle::BUNDLE_MAGIC)
    .to_vec();
    framed.extend_from_slice(data);
    for bytes in [data, framed.as_slice()] {
        if let Err(StoreError::BundleDamaged { offset, .. }) = bundle::read_bytes(path, bytes) {
            assert!(offset <= bytes.len() as u64, "offset {offset} past {} bytes", bytes.len());
        }
    }
});
