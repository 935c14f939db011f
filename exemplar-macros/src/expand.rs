//! Expanding a checked `#[design]` function into the function plus its registration.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ReturnType;
use syn::spanned::Spanned;

use crate::mission::KnownIds;
use crate::parse::{Parsed, ShouldPanic};

pub(crate) fn expand(p: &Parsed, mission: &Result<KnownIds, String>) -> TokenStream {
    let func = &p.func;
    let name = &func.sig.ident;
    let ids: Vec<String> = p.ids.iter().map(|i| i.to_string()).collect();
    let cfgs = &p.cfgs;
    // A bad return type is reported on the return type.
    let ret_span = match &func.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => name.span(),
    };
    let call = quote_spanned!(ret_span=> ::exemplar::__private::IntoOutcome::into_outcome(#name()));
    let line = name.span().unwrap().line() as u32;
    let ignore = match &p.ignore {
        None => quote!(::exemplar::__private::Ignore::No),
        Some(None) => quote!(::exemplar::__private::Ignore::Yes),
        Some(Some(reason)) => quote!(::exemplar::__private::Ignore::Because(#reason)),
    };
    let should_panic = match &p.should_panic {
        ShouldPanic::No => quote!(::exemplar::__private::ShouldPanic::No),
        ShouldPanic::Yes => quote!(::exemplar::__private::ShouldPanic::Yes),
        ShouldPanic::Expected(s) => quote!(::exemplar::__private::ShouldPanic::Expected(#s)),
    };
    // Reading the mission file with include_bytes! puts it in the crate's dep-info, so cargo
    // rebuilds the test target when the mission changes.
    let track = mission.as_ref().ok().map(|k| {
        let path = k.path.to_string_lossy().into_owned();
        quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        )
    });
    // A test target without `exemplar::main!()` would run none of its `#[design]` tests (or not
    // link): the item main! defines is named so that the compiler's error says the fix.
    let main = quote_spanned!(name.span()=>
        const _: () = crate::add_exemplar_main_at_the_end_of_this_test_file;
    );
    quote! {
        #func

        #(#cfgs)*
        const _: () = {
            #main
            fn __exemplar_run() -> ::core::result::Result<(), ::std::string::String> {
                #call
            }
            ::exemplar::__private::inventory::submit! {
                ::exemplar::__private::TestCase {
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
            #track
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
