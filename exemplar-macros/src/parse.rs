//! Parsing `#[design(S1, S3)]` and the function it is on.

use exemplar_formats::links::{CASE_ATTRIBUTES, TEST_ATTRIBUTES};
use proc_macro2::TokenStream;
use proc_macro2::{Delimiter, Group};
use quote::{ToTokens, TokenStreamExt};
use syn::parse::Parser;
use syn::parse::discouraged::Speculative;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{
    Attribute, Expr, ExprLit, Ident, Lit, LitStr, Meta, ReturnType, Signature, Token, Visibility,
};

/// What `#[should_panic]` asks.
pub(crate) enum ShouldPanic {
    No,
    Yes,
    Expected(LitStr),
}

/// A function as `#[design]` needs it: attributes, visibility and signature parsed, the body
/// kept as the compiler's tokens. Parsing (and re-emitting) every statement of every test, in
/// a proc macro that a dev build compiles without optimisation, would cost most of a tag's
/// build time.
pub(crate) struct TestFn {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    /// The `{ ... }` block, unparsed.
    pub body: Group,
}

impl Parse for TestFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let body = body(input)?;
        Ok(TestFn {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

/// The `{ ... }` block, as the compiler's tokens when it stands as written; a body handed over
/// by a macro's `$body:block` comes in an invisible group, and is taken out of it.
fn body(input: ParseStream) -> syn::Result<Group> {
    let fork = input.fork();
    if let Ok(group) = fork.parse::<Group>()
        && group.delimiter() == Delimiter::Brace
    {
        input.advance_to(&fork);
        return Ok(group);
    }
    let content;
    let brace = syn::braced!(content in input);
    let mut group = Group::new(Delimiter::Brace, content.parse()?);
    group.set_span(brace.span.join());
    Ok(group)
}

impl ToTokens for TestFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.append_all(&self.attrs);
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        self.body.to_tokens(tokens);
    }
}

/// Which harness runs the test.
pub(crate) enum Mode {
    /// No test attribute: a plain function that the `exemplar::main!()` harness runs.
    Harness,
    /// Stacked on the attribute of another harness (`#[test]`, `#[tokio::test]`,
    /// `#[rstest]`, ...), which runs it: the function is left exactly as written. `cases`: a
    /// parameterised test, whose cases are tests named under it (`name::case_1`).
    Stacked {
        /// A parameterised test.
        cases: bool,
    },
}

/// The attribute and function, checked for shape.
pub(crate) struct Parsed {
    /// Which harness runs it.
    pub mode: Mode,
    /// The ids, in order, with their spans.
    pub ids: Vec<Ident>,
    /// The function with `#[ignore]` and `#[should_panic]` removed.
    pub func: TestFn,
    /// `None`: not ignored; `Some(None)`: ignored; `Some(Some(reason))` (harness mode only:
    /// another harness reads its own attributes).
    pub ignore: Option<Option<LitStr>>,
    /// What `#[should_panic]` asks (harness mode only).
    pub should_panic: ShouldPanic,
    /// `#[cfg(...)]` attributes, repeated on the registration.
    pub cfgs: Vec<Attribute>,
}

/// Parse and check `#[design(...)]` and its function, reporting every problem at once.
pub(crate) fn parse(attr: TokenStream, item: TokenStream) -> syn::Result<Parsed> {
    let ids = parse_ids(attr)?;
    let mut errors = Errors(None);
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].iter().any(|prev| prev == id) {
            errors.push(syn::Error::new_spanned(
                id,
                format!("design id `{id}` is listed twice"),
            ));
        }
    }
    let mut func: TestFn = syn::parse2(item)?;
    if func.attrs.iter().any(is_test_attribute) {
        if let Some(e) = errors.0 {
            return Err(e);
        }
        let cfgs = func
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("cfg"))
            .cloned()
            .collect();
        let cases = func.attrs.iter().any(|a| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| CASE_ATTRIBUTES.iter().any(|c| s.ident == c))
        });
        return Ok(Parsed {
            mode: Mode::Stacked { cases },
            ids,
            func,
            ignore: None,
            should_panic: ShouldPanic::No,
            cfgs,
        });
    }
    check_signature(&func.sig, &mut errors);
    let attrs = sort_attributes(std::mem::take(&mut func.attrs), &mut errors);
    func.attrs = attrs.kept;
    if !matches!(attrs.should_panic, ShouldPanic::No)
        && !matches!(func.sig.output, ReturnType::Default)
    {
        errors.push(syn::Error::new_spanned(
            &func.sig.output,
            "functions using #[should_panic] must return ()",
        ));
    }
    if let Some(e) = errors.0 {
        return Err(e);
    }
    Ok(Parsed {
        mode: Mode::Harness,
        ids,
        func,
        ignore: attrs.ignore,
        should_panic: attrs.should_panic,
        cfgs: attrs.cfgs,
    })
}

/// Whether `attr` makes the function a test of another harness.
fn is_test_attribute(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| TEST_ATTRIBUTES.iter().any(|t| s.ident == t))
}

/// Every problem found, combined into one error with a span each.
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
}

/// The ids of `#[design(S1, S3)]`: at least one, separated by commas.
fn parse_ids(attr: TokenStream) -> syn::Result<Vec<Ident>> {
    let ids = Punctuated::<Ident, Token![,]>::parse_terminated
        .parse2(attr)
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
    Ok(ids)
}

/// A test is a plain function: not async, const or unsafe, no generics, no arguments.
fn check_signature(sig: &syn::Signature, errors: &mut Errors) {
    if let Some(a) = &sig.asyncness {
        errors.push(syn::Error::new_spanned(
            a,
            "an async test needs its runtime's test attribute under #[design], like #[tokio::test]",
        ));
    }
    if let Some(c) = &sig.constness {
        errors.push(syn::Error::new_spanned(
            c,
            "#[design] tests cannot be const fn",
        ));
    }
    if let Some(u) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            u,
            "#[design] tests cannot be unsafe",
        ));
    }
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "#[design] tests cannot have generic parameters",
        ));
    }
    if !sig.inputs.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.inputs,
            "#[design] tests take no arguments (parameterised tests need their crate's attribute under #[design], like #[rstest])",
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            v,
            "#[design] tests take no arguments",
        ));
    }
}

/// The function's attributes, sorted: what the harness takes over, and what stays.
struct Attributes {
    ignore: Option<Option<LitStr>>,
    should_panic: ShouldPanic,
    cfgs: Vec<Attribute>,
    kept: Vec<Attribute>,
}

/// Take `#[ignore]` and `#[should_panic]` off the function (the harness applies them), and
/// note its `#[cfg]`s.
fn sort_attributes(attrs: Vec<Attribute>, errors: &mut Errors) -> Attributes {
    let mut out = Attributes {
        ignore: None,
        should_panic: ShouldPanic::No,
        cfgs: Vec::new(),
        kept: Vec::new(),
    };
    for attr in attrs {
        let path = attr.path();
        if path.is_ident("ignore") {
            match &attr.meta {
                Meta::Path(_) => out.ignore = Some(None),
                Meta::NameValue(nv) => match str_lit(&nv.value) {
                    Some(s) => out.ignore = Some(Some(s)),
                    None => errors.push(syn::Error::new_spanned(
                        &nv.value,
                        "expected a string: #[ignore = \"reason\"]",
                    )),
                },
                Meta::List(l) => errors.push(syn::Error::new_spanned(
                    l,
                    "expected #[ignore] or #[ignore = \"reason\"]",
                )),
            }
        } else if path.is_ident("should_panic") {
            match parse_should_panic(&attr) {
                Ok(sp) => out.should_panic = sp,
                Err(e) => errors.push(e),
            }
        } else {
            if path.is_ident("cfg") {
                out.cfgs.push(attr.clone());
            }
            out.kept.push(attr);
        }
    }
    out
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
