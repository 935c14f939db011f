//! The common case, read without `syn`: `#[design(S1, S3)]` above another harness's test
//! attribute, with ids the mission knows. The function is handed back exactly as it came, and
//! one `static` follows it: the test's link record (`exemplar_formats::links::MAGIC_V2`) as a
//! byte string computed here, so the compiler has no constant to evaluate, no macro to expand
//! and no block to check for it.
//!
//! Only the tokens before the body are looked at (attributes, qualifiers, `fn` and the name).
//! Anything else — no test attribute, an id the mission does not know, a shape this reader
//! does not expect — returns `None`, and the full path (`parse`, `validate`, `expand`) takes
//! over, with its errors spanned where they belong.

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

use exemplar_formats::links::{CASE_ATTRIBUTES, SEPARATOR, TEST_ATTRIBUTES, record_v2};
use exemplar_mission::Status;

use crate::mission;

/// The function and its link record, or `None` to take the full path.
pub(crate) fn expand(attr: &TokenStream, item: TokenStream) -> Option<TokenStream> {
    let ids = ids(attr)?;
    let head = Head::read(&item)?;
    if !head.test {
        return None;
    }
    let loaded = mission::load();
    let known = loaded.as_ref().as_ref().ok()?;
    let linkable = |id: &String| {
        known
            .nodes
            .iter()
            .any(|(n, s)| n == id && *s != Status::Retired)
    };
    if !ids.iter().all(linkable) {
        return None;
    }
    let name = head.name.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
    let span = head.name.span();
    let cases = if head.cases { "\u{1f}cases" } else { "" };
    let payload = format!(
        "{name}{SEPARATOR}{}{SEPARATOR}{}{SEPARATOR}{}{cases}",
        span.file(),
        span.line(),
        ids.join(",")
    );
    let record = record_v2(&payload)?;
    let mut out = item;
    if let Some(path) = mission::track_once(known) {
        out.extend(track(&path.to_string_lossy()));
    }
    out.extend(link_static(&name, &head.cfgs, &record));
    Some(out)
}

/// The ids: identifiers separated by commas, at least one, none twice.
fn ids(attr: &TokenStream) -> Option<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    let mut comma = true;
    for token in attr.clone() {
        match token {
            TokenTree::Ident(id) if comma => {
                let id = id.to_string();
                if ids.contains(&id) {
                    return None;
                }
                ids.push(id);
                comma = false;
            }
            TokenTree::Punct(p) if !comma && p.as_char() == ',' => comma = true,
            _ => return None,
        }
    }
    (!ids.is_empty()).then_some(ids)
}

/// What the tokens before the body say.
struct Head {
    name: Ident,
    /// It carries a test attribute of another harness.
    test: bool,
    /// That attribute makes a test per case.
    cases: bool,
    /// Its `#[cfg(...)]` attributes, as written, repeated on the record.
    cfgs: Vec<TokenTree>,
}

impl Head {
    fn read(item: &TokenStream) -> Option<Head> {
        let mut tokens = item.clone().into_iter();
        let (mut test, mut cases, mut cfgs) = (false, false, Vec::new());
        loop {
            match tokens.next()? {
                TokenTree::Punct(p) if p.as_char() == '#' => {
                    let TokenTree::Group(g) = tokens.next()? else {
                        return None;
                    };
                    let path = attribute_path(&g)?;
                    let last = path.last()?.as_str();
                    test |= TEST_ATTRIBUTES.contains(&last);
                    cases |= CASE_ATTRIBUTES.contains(&last);
                    if path == ["cfg"] {
                        cfgs.extend([TokenTree::Punct(p), TokenTree::Group(g)]);
                    }
                }
                TokenTree::Ident(i) if i.to_string() == "fn" => break,
                // Visibility, `pub(crate)`, `async`, `const`, `unsafe`, `extern "C"`.
                TokenTree::Ident(_) | TokenTree::Literal(_) => {}
                TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => {}
                _ => return None,
            }
        }
        let TokenTree::Ident(name) = tokens.next()? else {
            return None;
        };
        Some(Head {
            name,
            test,
            cases,
            cfgs,
        })
    }
}

/// The path of the attribute in `[...]`: `test`, `tokio::test`, `::rstest::rstest`; `None`
/// when the brackets do not start with a path.
fn attribute_path(group: &Group) -> Option<Vec<String>> {
    if group.delimiter() != Delimiter::Bracket {
        return None;
    }
    let mut path = Vec::new();
    for token in group.stream() {
        match token {
            TokenTree::Ident(i) => path.push(i.to_string()),
            TokenTree::Punct(p) if p.as_char() == ':' => {}
            _ => break,
        }
    }
    (!path.is_empty()).then_some(path)
}

/// `const _: &[u8] = include_bytes!("PATH");`: the crate's dependency on the ids file.
fn track(path: &str) -> TokenStream {
    let mut out = vec![ident("const"), ident("_"), punct(':'), punct('&')];
    out.push(group(Delimiter::Bracket, [ident("u8")]));
    out.push(punct('='));
    out.extend(colons());
    out.push(ident("core"));
    out.extend(colons());
    out.extend([ident("include_bytes"), punct('!')]);
    out.push(parens([string(path)]));
    out.push(punct(';'));
    out.into_iter().collect()
}

/// The record in the binary's link section, in test builds only (the test attribute removes
/// the function from any other build); the section's name depends on the object format, as in
/// `exemplar::__link!`.
fn link_static(name: &str, cfgs: &[TokenTree], record: &[u8]) -> TokenStream {
    let mut out: Vec<TokenTree> = cfgs.to_vec();
    // A tool that compiles test files as plain binaries sets EXEMPLAR_MISSION; those builds
    // count as test builds.
    if std::env::var_os("EXEMPLAR_MISSION").is_none() {
        out.extend(attribute([ident("cfg"), parens([ident("test")])]));
    }
    out.extend(attribute([ident("used")]));
    let vendor_apple = || [ident("target_vendor"), punct('='), string("apple")];
    let sections = [
        (vendor_apple().to_vec(), "__DATA,__exemplar"),
        (vec![ident("windows")], ".exlinks"),
        (
            vec![
                ident("not"),
                parens([
                    ident("any"),
                    parens(
                        vendor_apple()
                            .into_iter()
                            .chain([punct(','), ident("windows")]),
                    ),
                ]),
            ],
            "exemplar_links",
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
    out.extend(attribute([
        ident("allow"),
        parens([ident("non_upper_case_globals")]),
    ]));
    out.push(ident("static"));
    out.push(ident(&format!("__exemplar_link_{name}")));
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

/// `::`, as two joined colons.
fn colons() -> [TokenTree; 2] {
    [
        TokenTree::Punct(Punct::new(':', Spacing::Joint)),
        punct(':'),
    ]
}

fn string(s: &str) -> TokenTree {
    TokenTree::Literal(Literal::string(s))
}
