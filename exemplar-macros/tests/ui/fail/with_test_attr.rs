use exemplar::design;

#[design(S1)]
#[test]
fn doubled() {}

exemplar::main!();
