// `#[design]` stacked on `#[test]`, above or below it, with `#[should_panic]` and `#[ignore]`
// left to libtest. trybuild builds this file without `--test`, so the tests themselves are
// compiled out, as in any non-test build; what is checked is that every form compiles.
use exemplar::design;

#[design(S1)]
#[test]
fn above() {}

#[test]
#[design(S1, S3)]
fn below() {}

#[design(S1)]
#[test]
#[should_panic(expected = "boom")]
fn panics() {
    panic!("boom")
}

#[design(S1)]
#[test]
#[ignore = "slow"]
fn slow() {}

fn main() {}
