//! Any valid mission file and any signal/history update: the rewritten file parses back to
//! exactly that update, and every byte outside `signal:` and `history:` is unchanged (a last
//! line without a line break may get one).
#![no_main]

use exemplar_fuzz_support::{check_rewrite, evidence};
use libfuzzer_sys::fuzz_target;

#[path = "../support.rs"]
mod exemplar_fuzz_support;

fuzz_target!(|data: &[u8]| {
    // The first bytes choose the update; the rest is the file.
    if data.len() < 4 {
        return;
    }
    let (seed, rest) = data.split_at(4);
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let path = std::path::Path::new("mission.yaml");
    let Ok(mission) = exemplar_mission::parse_str(path, text) else {
        return;
    };
    let (signal, history) = evidence(&mission, seed);
    check_rewrite(&mission, &signal, &history);
});
