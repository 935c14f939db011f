use exemplar::design;

#[design(S1, S9)]
fn wal_ordering() {}

exemplar::main!();
