// Stacked on #[test] (in any spelling, as #[tokio::test] expands to it), the ids are checked as anywhere: an unknown one and a
// retired one, each an error on the id.
use exemplar::design;

#[design(S9)]
#[test]
fn unknown() {}

#[design(S1, S3)]
#[::core::prelude::v1::test]
fn retired() {}

fn main() {}
