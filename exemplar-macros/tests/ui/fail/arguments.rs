use exemplar::design;

#[design(S1)]
fn takes(x: u32) {
    let _ = x;
}

exemplar::main!();
