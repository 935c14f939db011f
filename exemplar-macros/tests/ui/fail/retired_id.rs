use exemplar::design;

#[design(S3)]
fn old_format() {}

exemplar::main!();
