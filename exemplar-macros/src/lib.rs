//! The `#[design(...)]` attribute of cargo exemplar.
//!
//! ```ignore
//! use exemplar::design;
//!
//! /// Verify write-ahead log preserves order.
//! #[design(S1)]
//! fn wal_ordering() { /* ... */ }
//!
//! exemplar::main!();
//! ```
//!
//! The attribute turns a plain function into a registered test (through `inventory`) carrying
//! its design ids, module path, file and line. It reads the package's mission file at compile
//! time (once per compiler process) and rejects an id that is unknown or `retired`, with the
//! error on that id. Editing the mission file makes cargo rebuild the test target.
//!
//! Use it through the `exemplar-test` crate (`use exemplar::design;`), which re-exports it and
//! provides the harness.
//!
//! The work is split the way a reader expects: [`parse`](mod@parse) the attribute and the
//! function, [`validate`] the ids against the mission, [`expand`] into the registration.
#![warn(missing_docs)]

mod expand;
mod krate;
mod mission;
mod parse;
mod validate;

use proc_macro::TokenStream;

/// Register a test function as verifying the listed design directives.
///
/// `#[design(S1, S3)]` on `fn name()` or `fn name() -> Result<(), E>` (with `E: Debug`).
/// `#[ignore]`, `#[ignore = "reason"]`, `#[should_panic]` and
/// `#[should_panic(expected = "text")]` work as they do under `#[test]`.
#[proc_macro_attribute]
pub fn design(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item2: proc_macro2::TokenStream = item.clone().into();
    let result = parse::parse(attr.into(), item2.clone())
        .and_then(|parsed| validate::validate(&parsed).map(|known| (parsed, known)))
        .map(|(parsed, mission)| expand::expand(&parsed, &mission));
    match result {
        Ok(tokens) => tokens.into(),
        Err(err) => expand::error(item2, err).into(),
    }
}
