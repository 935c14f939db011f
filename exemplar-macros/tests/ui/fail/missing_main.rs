// A `harness = false` test file that forgot `exemplar::main!()`: it has no `main`.
use exemplar::design;

#[design(S1)]
fn verified() {}
