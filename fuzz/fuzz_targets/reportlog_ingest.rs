//! Any text as a pytest report-log for `cargo exemplar ingest --pytest-reportlog`: never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = exemplar_runner::ingest::reportlog::read(std::path::Path::new("report.jsonl"), text);
});
