use exemplar::design;

#[design(S1)]
fn answer() -> u32 {
    42
}

exemplar::main!();
