//! The `#[design(...)]` attribute of cargo exemplar.
//!
//! ```ignore
//! use exemplar::design;
//!
//! /// Verify write-ahead log preserves order.
//! #[design(S1)]
//! #[test]
//! fn wal_ordering() { /* ... */ }
//! ```
//!
//! Stacked on a test attribute (`#[test]`, `#[tokio::test]`, `#[rstest]`, ...), the function is
//! left as written and a link record (its name, file, line and ids) goes into the test binary,
//! where `cargo exemplar` reads it. On a plain function in a `harness = false` target ending
//! with `exemplar::main!()`, it registers the function with that harness (through
//! `inventory`), taking over `#[ignore]` and `#[should_panic]`.
//!
//! Either way it reads the package's mission file at compile time (once per compiler process)
//! and rejects an id that is unknown or `retired`, with the error on that id. The build depends
//! on the mission's ids file (see `exemplar_mission::tracking`), once per crate: a change of
//! the ids rebuilds, a rewrite of `signal:` and `history:` does not.
//!
//! Use it through the `exemplar-test` crate (`use exemplar::design;`), which re-exports it and
//! provides the harness.
//!
//! The common case — a test attribute below, ids the mission knows — is read and written by
//! `stacked` from the compiler's tokens, without `syn`: that is most of what a tag costs to
//! build. Everything else is split the way a reader expects: [`parse`](mod@parse) the attribute
//! and the function, [`validate`] the ids against the mission, [`expand`] into the function and
//! its link or registration; `krate` finds the name the crate uses for `exemplar-test`.
#![warn(missing_docs)]

mod expand;
mod krate;
mod link;
mod manifest;
mod mission;
mod parse;
mod recent;
mod stacked;
mod validate;

use proc_macro::TokenStream;

/// Link a test to the design directives it verifies.
///
/// `#[design(S1, S3)]` above `#[test]` (or `#[tokio::test]`, `#[rstest]`, ...) on any test; or
/// on a plain `fn name()` or `fn name() -> Result<(), E>` (with `E: Debug`) under
/// `exemplar::main!()`, where `#[ignore]`, `#[ignore = "reason"]`, `#[should_panic]` and
/// `#[should_panic(expected = "text")]` work as they do under `#[test]`.
#[proc_macro_attribute]
pub fn design(attr: TokenStream, item: TokenStream) -> TokenStream {
    if let Some(tokens) = stacked::expand(&attr, item.clone()) {
        return tokens;
    }
    let item2: proc_macro2::TokenStream = item.clone().into();
    let result = parse::parse(attr.into(), item2.clone())
        .and_then(|parsed| validate::validate(&parsed).map(|known| (parsed, known)))
        .map(|(parsed, mission)| expand::expand(&parsed, &mission));
    match result {
        Ok(tokens) => tokens.into(),
        Err(err) => expand::error(item2, err).into(),
    }
}
