// A test file that forgot `exemplar::main!()`: the error names the fix.
use exemplar::design;

#[design(S1)]
fn verified() {}
