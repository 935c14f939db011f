//! Expanding a checked `#[design]` function: the function, what tells the runner its links,
//! and (once per crate) the build's dependency on the mission's ids.
//!
//! - Stacked on another harness's test attribute, the function is left as written and a
//!   *link record* is placed in the binary's link section (see
//!   `exemplar_formats::links`), where the runner reads it without running anything. (This is
//!   the path for forms [`stacked`](crate::stacked) does not read itself; its record carries
//!   `module_path!()`.)
//! - Under the `exemplar::main!()` harness, the function is registered through `inventory`
//!   with its ids, `#[ignore]` and `#[should_panic]`, and the harness reports them.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ReturnType;
use syn::spanned::Spanned;

use crate::mission::{self, KnownIds};
use crate::parse::{Mode, Parsed, ShouldPanic};

pub(crate) fn expand(p: &Parsed, mission: &Result<KnownIds, String>) -> TokenStream {
    let track = mission.as_ref().ok().and_then(mission::track_tokens);
    let body = match p.mode {
        Mode::Stacked { .. } => stacked(p),
        Mode::Harness => registered(p),
    };
    quote! {
        #body
        #track
    }
}

/// The function as written, and its link record.
fn stacked(p: &Parsed) -> TokenStream {
    let func = &p.func;
    let link = link_record(p);
    quote! {
        #func
        #link
    }
}

/// The `cfg` of a test build (`not` of it when `negate`): `cfg(test)`, which cargo sets for
/// every test target, `harness = false` ones included. A tool that compiles test files as
/// plain binaries outside their package sets `EXEMPLAR_MISSION`, and those builds count as
/// test builds.
fn test_build(yes: bool) -> TokenStream {
    match (std::env::var_os("EXEMPLAR_MISSION").is_some(), yes) {
        (false, true) => quote!(#[cfg(test)]),
        (false, false) => quote!(#[cfg(not(test))]),
        (true, true) => quote!(#[cfg(all())]),
        (true, false) => quote!(#[cfg(any())]),
    }
}

/// The test's link record in the binary's link section (see [`link`](crate::link)), in test
/// builds that keep the function (its `#[cfg]`s repeated).
fn link_record(p: &Parsed) -> TokenStream {
    let name = &p.func.sig.ident;
    let ids: Vec<String> = p.ids.iter().map(|i| i.to_string()).collect();
    let cfgs = &p.cfgs;
    let cfgs = quote!(#(#cfgs)*);
    let kind = match p.mode {
        Mode::Stacked { cases: true } => "cases",
        Mode::Stacked { cases: false } => "",
        Mode::Harness => "plain",
    };
    let span = name.span().unwrap();
    match crate::link::record(&name.to_string(), span, cfgs.into(), &ids, kind) {
        Some(record) => record.into(),
        None => quote_spanned!(name.span()=>
            ::core::compile_error!("the test's name and file are too long for its link record");
        ),
    }
}

/// The function registered with the `exemplar::main!()` harness.
fn registered(p: &Parsed) -> TokenStream {
    let krate = crate::krate::path();
    let func = &p.func;
    let name = &func.sig.ident;
    let ids: Vec<String> = p.ids.iter().map(|i| i.to_string()).collect();
    let cfgs = &p.cfgs;
    // A bad return type is reported on the return type.
    let ret_span = match &func.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => name.span(),
    };
    let call = quote_spanned!(ret_span=> #krate::__private::IntoOutcome::into_outcome(#name()));
    let line = name.span().unwrap().line() as u32;
    let ignore = match &p.ignore {
        None => quote!(#krate::__private::Ignore::No),
        Some(None) => quote!(#krate::__private::Ignore::Yes),
        Some(Some(reason)) => quote!(#krate::__private::Ignore::Because(#reason)),
    };
    let should_panic = match &p.should_panic {
        ShouldPanic::No => quote!(#krate::__private::ShouldPanic::No),
        ShouldPanic::Yes => quote!(#krate::__private::ShouldPanic::Yes),
        ShouldPanic::Expected(s) => quote!(#krate::__private::ShouldPanic::Expected(#s)),
    };
    // Outside any test build, the function would be tagged but never run.
    let outside = quote_spanned!(name.span()=>
        ::core::compile_error!(
            "#[design] tags a test, but this function is built outside any test target: add #[test] \
             (or your test crate's attribute) under #[design], or move it under #[cfg(test)]"
        );
    );
    // Registered for the `exemplar::main!()` harness, and linked for a libtest harness (which
    // runs it when `#[test]` came first and was expanded before `#[design]` saw it).
    let link = link_record(p);
    let (test_build, not_test_build) = (test_build(true), test_build(false));
    quote! {
        #func

        #(#cfgs)*
        #not_test_build
        const _: () = { #outside };

        #link

        #(#cfgs)*
        #test_build
        const _: () = {
            fn __exemplar_run() -> ::core::result::Result<(), ::std::string::String> {
                #call
            }
            #krate::__private::inventory::submit! {
                #krate::__private::TestCase {
                    name: ::core::stringify!(#name),
                    module_path: ::core::module_path!(),
                    file: ::core::file!(),
                    line: #line,
                    ids: &[#(#ids),*],
                    ignore: #ignore,
                    should_panic: #should_panic,
                    run: __exemplar_run,
                }
            }
        };
    }
}

/// On error: the function as written (without the attributes only tests may carry, and marked
/// as possibly unused) plus the error, so no secondary errors or warnings appear.
pub(crate) fn error(item: TokenStream, err: syn::Error) -> TokenStream {
    let compile_error = err.to_compile_error();
    match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(mut func) => {
            func.attrs.retain(|a| {
                !(a.path().is_ident("ignore")
                    || a.path().is_ident("should_panic")
                    || a.path().is_ident("test"))
            });
            quote! {
                #[allow(dead_code)]
                #func
                #compile_error
            }
        }
        Err(_) => quote! { #item #compile_error },
    }
}
