use exemplar::design;

#[design(S1)]
async fn not_yet() {}

exemplar::main!();
