//! Every supported form compiles, registers, and runs.
use exemplar::design;

/// A doc comment is kept.
#[design(S1)]
fn plain() {}

#[design(S1, S2)]
fn two_ids() {}

#[design(S2)]
fn returns_result() -> Result<(), std::io::Error> {
    Ok(())
}

#[design(S1)]
#[ignore]
fn ignored() {
    panic!("never runs");
}

#[design(S1)]
#[ignore = "too slow for every run"]
fn ignored_with_reason() {}

#[design(S1)]
#[should_panic]
fn should_panic() {
    panic!("any message");
}

#[design(S1)]
#[should_panic(expected = "needle")]
fn should_panic_expected() {
    panic!("haystack with a needle in it");
}

#[design(S0)]
#[allow(clippy::eq_op)]
fn other_attributes_stay() {
    assert_eq!(1, 1);
}

mod inner {
    #[exemplar::design(S1)]
    pub(crate) fn in_a_module() {}
}

// A test made by a macro: its body comes as a `$body:block`, in an invisible group.
macro_rules! made {
    ($name:ident $body:block) => {
        #[design(S1)]
        fn $name() $body
    };
}
made!(made_by_a_macro { assert_eq!(2 + 2, 4) });

exemplar::main!();
