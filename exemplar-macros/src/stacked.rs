//! The common case, read without `syn`: `#[design(S1, S3)]` above another harness's test
//! attribute, with ids the mission knows. The function is handed back exactly as it came, and
//! the test's link record (`exemplar_formats::links::MAGIC_V2`) follows it, as bytes computed
//! here (see [`link`](crate::link)).
//!
//! Only the tokens before the body are looked at (attributes, qualifiers, `fn` and the name).
//! Anything else — no test attribute, an id the mission does not know, a shape this reader
//! does not expect — returns `None`, and the full path (`parse`, `validate`, `expand`) takes
//! over, with its errors spanned where they belong.

use proc_macro::{Delimiter, Group, Ident, TokenStream, TokenTree};

use exemplar_formats::links::{CASE_ATTRIBUTES, TEST_ATTRIBUTES};

use crate::link;
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
    if !ids.iter().all(|id| known.linkable.contains(id)) {
        return None;
    }
    let name = head.name.to_string();
    let cfgs = head.cfgs.into_iter().collect();
    let kind = if head.cases { "cases" } else { "" };
    let record = link::record(&name, head.name.span(), cfgs, &ids, kind)?;
    let mut out = item;
    if let Some(track) = mission::track_tokens(known) {
        out.extend(TokenStream::from(track));
    }
    out.extend(record);
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
