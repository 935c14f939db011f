use exemplar::design;

#[design()]
fn nothing() {}

exemplar::main!();
