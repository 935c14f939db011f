//! A test's link record (`exemplar_formats::links::MAGIC_V2`: its name, file, line and ids) as
//! one `static` in the binary's link section, written as a byte string computed here: the
//! compiler has no constant to evaluate and no macro to expand for it, so a tag costs little
//! more to build than the test. Also the few token builders the attribute's output needs.

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

use exemplar_formats::links::{SEPARATOR, record_v2};

/// The link record of the test function `name` (`span`, its name's, gives the file and line),
/// for `ids`; `kind` is `""`, `"cases"` for a parameterised test, or `"plain"` for a
/// function without a test attribute. `cfgs` are the function's `#[cfg]` attributes, repeated
/// on the record. `None` when the record would be over 65,535 bytes.
pub(crate) fn record(
    name: &str,
    span: Span,
    cfgs: TokenStream,
    ids: &[String],
    kind: &str,
) -> Option<TokenStream> {
    let text = name.strip_prefix("r#").unwrap_or(name);
    let span_file = span.file();
    let kind = if kind.is_empty() {
        String::new()
    } else {
        format!("{SEPARATOR}{kind}")
    };
    let payload = format!(
        "{text}{SEPARATOR}{span_file}{SEPARATOR}{}{SEPARATOR}{}{kind}",
        span.line(),
        ids.join(",")
    );
    Some(link_static(text, cfgs, &record_v2(&payload)?))
}

/// The record in the binary's link section, in test builds only (the test attribute removes
/// the function from any other build). The section's name depends on the object format (see
/// `exemplar_formats::links`).
fn link_static(name: &str, cfgs: TokenStream, record: &[u8]) -> TokenStream {
    let mut out: Vec<TokenTree> = cfgs.into_iter().collect();
    // A tool that compiles test files as plain binaries sets EXEMPLAR_MISSION; those builds
    // count as test builds.
    if std::env::var_os("EXEMPLAR_MISSION").is_none() {
        out.extend(attribute([ident("cfg"), parens([ident("test")])]));
    }
    out.extend(attribute([ident("used")]));
    // Mach-O names a section by segment and section; ELF takes the same name as it is; PE
    // names are at most 8 bytes. Two attributes, not one per object format: each costs the
    // compiler time on every test.
    let sections = [
        (vec![ident("windows")], ".exlinks"),
        (
            vec![ident("not"), parens([ident("windows")])],
            "__DATA,__exemplar",
        ),
    ];
    for (cfg, section) in sections {
        let place = [
            ident("unsafe"),
            parens([ident("link_section"), punct('='), string(section)]),
        ];
        let args = cfg.into_iter().chain([punct(',')]).chain(place);
        out.extend(attribute([ident("cfg_attr"), parens(args)]));
    }
    // Named in capitals, not with an `allow` of the lint (a lint attribute on every test
    // costs the compiler time); a module with both `fn a` and `fn A` tagged cannot build.
    out.push(ident("static"));
    out.push(ident(&format!("__EXEMPLAR_LINK_{}", name.to_uppercase())));
    out.push(punct(':'));
    let len = TokenTree::Literal(Literal::usize_unsuffixed(record.len()));
    out.push(group(Delimiter::Bracket, [ident("u8"), punct(';'), len]));
    out.extend([punct('='), punct('*')]);
    out.push(TokenTree::Literal(Literal::byte_string(record)));
    out.push(punct(';'));
    out.into_iter().collect()
}

fn attribute(inner: impl IntoIterator<Item = TokenTree>) -> [TokenTree; 2] {
    [punct('#'), group(Delimiter::Bracket, inner)]
}

fn parens(inner: impl IntoIterator<Item = TokenTree>) -> TokenTree {
    group(Delimiter::Parenthesis, inner)
}

fn group(delimiter: Delimiter, inner: impl IntoIterator<Item = TokenTree>) -> TokenTree {
    TokenTree::Group(Group::new(delimiter, inner.into_iter().collect()))
}

fn ident(s: &str) -> TokenTree {
    TokenTree::Ident(Ident::new(s, Span::call_site()))
}

fn punct(c: char) -> TokenTree {
    TokenTree::Punct(Punct::new(c, Spacing::Alone))
}

fn string(s: &str) -> TokenTree {
    TokenTree::Literal(Literal::string(s))
}
