//! Compile-time behaviour of `#[design]`: good uses compile and run; each misuse is one error,
//! on the offending token, with no secondary errors (the committed `.stderr` files).

#[test]
fn ui() {
    let mission = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/mission.yaml");
    // SAFETY: set before trybuild starts any thread or child; read by the compiler processes.
    unsafe { std::env::set_var("EXEMPLAR_MISSION", mission) };
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
