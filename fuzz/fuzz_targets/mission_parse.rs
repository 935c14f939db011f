//! Arbitrary bytes as a mission file: the parser never panics, and every error it reports has
//! a line and column inside the input (the end of the input counts).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = std::path::Path::new("mission.yaml");
    if let Err(errors) = exemplar_mission::parse_str(path, text) {
        // Lines as YAML counts them: a line break is LF, CRLF or CR alone.
        let lines = text.replace("\r\n", "\n").replace('\r', "\n").split('\n').count();
        for e in &errors.0 {
            assert!(e.pos.line >= 1 && e.pos.line <= lines + 1, "{e} outside {lines} lines");
            assert!(e.pos.column >= 1, "{e}");
        }
    }
    // The design-only reading the macro uses agrees on whether the design reads.
    let _ = exemplar_mission::parse_design_str(path, text);
});
