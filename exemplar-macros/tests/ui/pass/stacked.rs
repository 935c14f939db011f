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

// A test made by a macro: its body comes as a `$body:block`, in an invisible group.
macro_rules! made {
    ($name:ident $body:block) => {
        #[design(S1)]
        #[test]
        fn $name() $body
    };
}
made!(made_by_a_macro { assert_eq!(2 + 2, 4) });

fn main() {}
