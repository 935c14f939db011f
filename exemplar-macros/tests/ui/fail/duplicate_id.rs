use exemplar::design;

#[design(S1, S1)]
fn twice() {}

exemplar::main!();
