use exemplar::design;

#[design("S1")]
fn quoted() {}

exemplar::main!();
