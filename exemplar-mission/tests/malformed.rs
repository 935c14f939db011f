//! Every malformed mission file under `tests/malformed/` is refused with file:line:column and
//! a message saying what is wrong; the expected messages are the committed snapshots.

use std::path::Path;

#[test]
fn malformed_missions_are_refused_with_positions() {
    insta::glob!("malformed/*.yaml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = Path::new("malformed").join(path.file_name().unwrap());
        let errors = exemplar_mission::parse_str(&name, &text)
            .expect_err("a malformed mission must be refused");
        for e in &errors.0 {
            assert!(e.pos.line >= 1 && e.pos.column >= 1, "{e}");
        }
        insta::assert_snapshot!(errors.to_string());
    });
}

#[test]
fn at_least_twenty_malformed_files_are_covered() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let n = std::fs::read_dir(dir).unwrap().count();
    assert!(n >= 20, "only {n} malformed files");
}
