//! Any text as a JUnit XML report for `cargo exemplar ingest --junit`: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = exemplar_runner::ingest::junit::read(std::path::Path::new("report.xml"), text);
});
