//! Parsing `#[design(S1, S3)]` and the function it is on.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Ident, ItemFn, Lit, LitStr, Meta, ReturnType, Token};

/// What `#[should_panic]` asks.
pub(crate) enum ShouldPanic {
    No,
    Yes,
    Expected(LitStr),
}

/// The attribute and function, checked for shape.
pub(crate) struct Parsed {
    /// The ids, in order, with their spans.
    pub ids: Vec<Ident>,
    /// The function with `#[ignore]` and `#[should_panic]` removed.
    pub func: ItemFn,
    /// `None`: not ignored; `Some(None)`: ignored; `Some(Some(reason))`.
    pub ignore: Option<Option<LitStr>>,
    pub should_panic: ShouldPanic,
    /// `#[cfg(...)]` attributes, repeated on the registration.
    pub cfgs: Vec<Attribute>,
}

pub(crate) fn parse(attr: TokenStream, item: TokenStream) -> syn::Result<Parsed> {
    let ids = Punctuated::<Ident, Token![,]>::parse_terminated
        .parse2(attr.clone())
        .map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected design ids separated by commas, like #[design(S1, S3)]",
            )
        })?;
    let ids: Vec<Ident> = ids.into_iter().collect();
    if ids.is_empty() {
        return Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[design] needs at least one design id, like #[design(S1)]",
        ));
    }
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].iter().any(|prev| prev == id) {
            push(syn::Error::new_spanned(
                id,
                format!("design id `{id}` is listed twice"),
            ));
        }
    }
    let mut func: ItemFn = syn::parse2(item)?;
    let sig = &func.sig;
    if let Some(a) = &sig.asyncness {
        push(syn::Error::new_spanned(
            a,
            "#[design] tests cannot be async",
        ));
    }
    if let Some(c) = &sig.constness {
        push(syn::Error::new_spanned(
            c,
            "#[design] tests cannot be const fn",
        ));
    }
    if let Some(u) = &sig.unsafety {
        push(syn::Error::new_spanned(
            u,
            "#[design] tests cannot be unsafe",
        ));
    }
    if !sig.generics.params.is_empty() {
        push(syn::Error::new_spanned(
            &sig.generics,
            "#[design] tests cannot have generic parameters",
        ));
    }
    if !sig.inputs.is_empty() {
        push(syn::Error::new_spanned(
            &sig.inputs,
            "#[design] tests take no arguments",
        ));
    }
    if let Some(v) = &sig.variadic {
        push(syn::Error::new_spanned(
            v,
            "#[design] tests take no arguments",
        ));
    }

    let mut ignore = None;
    let mut should_panic = ShouldPanic::No;
    let mut cfgs = Vec::new();
    let mut kept = Vec::new();
    for attr in std::mem::take(&mut func.attrs) {
        let path = attr.path();
        if path.is_ident("ignore") {
            match &attr.meta {
                Meta::Path(_) => ignore = Some(None),
                Meta::NameValue(nv) => match str_lit(&nv.value) {
                    Some(s) => ignore = Some(Some(s)),
                    None => push(syn::Error::new_spanned(
                        &nv.value,
                        "expected a string: #[ignore = \"reason\"]",
                    )),
                },
                Meta::List(l) => push(syn::Error::new_spanned(
                    l,
                    "expected #[ignore] or #[ignore = \"reason\"]",
                )),
            }
        } else if path.is_ident("should_panic") {
            match parse_should_panic(&attr) {
                Ok(sp) => should_panic = sp,
                Err(e) => push(e),
            }
        } else if path.is_ident("test") {
            push(syn::Error::new_spanned(
                &attr,
                "remove #[test]: #[design] registers the test with the exemplar harness",
            ));
        } else {
            if path.is_ident("cfg") {
                cfgs.push(attr.clone());
            }
            kept.push(attr);
        }
    }
    func.attrs = kept;
    if !matches!(should_panic, ShouldPanic::No) && !matches!(func.sig.output, ReturnType::Default) {
        push(syn::Error::new_spanned(
            &func.sig.output,
            "functions using #[should_panic] must return ()",
        ));
    }
    if let Some(e) = errors {
        return Err(e);
    }
    Ok(Parsed {
        ids,
        func,
        ignore,
        should_panic,
        cfgs,
    })
}

fn str_lit(e: &Expr) -> Option<LitStr> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.clone()),
        _ => None,
    }
}

fn parse_should_panic(attr: &Attribute) -> syn::Result<ShouldPanic> {
    match &attr.meta {
        Meta::Path(_) => Ok(ShouldPanic::Yes),
        Meta::NameValue(nv) => str_lit(&nv.value)
            .map(ShouldPanic::Expected)
            .ok_or_else(|| {
                syn::Error::new_spanned(&nv.value, "expected a string: #[should_panic = \"text\"]")
            }),
        Meta::List(list) => {
            let mut expected = None;
            list.parse_nested_meta(|meta| {
                if meta.path.is_ident("expected") {
                    let value: LitStr = meta.value()?.parse()?;
                    expected = Some(value);
                    Ok(())
                } else {
                    Err(meta.error("expected `expected = \"text\"`"))
                }
            })?;
            Ok(expected.map_or(ShouldPanic::Yes, ShouldPanic::Expected))
        }
    }
}
