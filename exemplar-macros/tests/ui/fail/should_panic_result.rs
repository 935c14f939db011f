use exemplar::design;

#[design(S1)]
#[should_panic]
fn both() -> Result<(), String> {
    Ok(())
}

exemplar::main!();
