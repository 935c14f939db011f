//! The link records a test binary carries: which tests verify which design directives.
//!
//! `#[design(S1, S3)]` stacked on another harness's test attribute (`#[test]`,
//! `#[tokio::test]`, `#[rstest]`, ...) places one record in a section of the compiled binary
//! (`__DATA,__exemplar` on ELF and Mach-O, `.exlinks` on PE; `exemplar_links` on ELF before). The runner reads
//! the section from the file, so it knows every linked test of a binary before running any,
//! and without running anything the binary did not ask for.
//!
//! A record is a magic number, the payload's length as a little-endian `u16`, and the payload:
//! UTF-8 fields separated by U+001F (unit separator). Records are concatenated; zero bytes
//! between them (alignment a linker may add) are skipped. Two formats are read:
//!
//! - [`MAGIC_V2`] (`EXL2`), what `#[design]` writes: the function's name, its file, the line
//!   of its name, the ids joined by commas, and perhaps a fifth field: `cases` for a
//!   parameterised test, `plain` for a function on which `#[design]` saw no test attribute.
//!   The whole record is bytes the attribute computes itself, assembled into the section
//!   (`global_asm!`) on ELF targets and a `static` elsewhere, so a tag costs little to build.
//!   It does not carry the module path (no attribute macro can know it), so the runner finds
//!   the test among the names its binary lists (see [`Link::module_path`]).
//! - [`MAGIC`] (`EXL1`), what `#[design]` wrote before, built from `module_path!()` in a
//!   constant: the `module_path!()` first, then the same fields. Binaries built with it are
//!   still read.

use std::fmt;

/// The attributes (the last segment of their path) that make a function a test of some
/// harness: the built-in `#[test]` (also what `#[tokio::test]` and friends expand to), and
/// parameterised tests. `#[design]` stacks on them; the runner finds them in sources no
/// harness runs.
pub const TEST_ATTRIBUTES: &[&str] = &[
    "test",
    "rstest",
    "test_case",
    "test_matrix",
    "quickcheck",
    "wasm_bindgen_test",
];

/// The attributes of parameterised tests, which make a test per case (named under the
/// function: `name::case_1`).
pub const CASE_ATTRIBUTES: &[&str] = &["rstest", "test_case", "test_matrix"];

/// The first bytes of a record that carries its module path.
pub const MAGIC: [u8; 4] = *b"EXL1";

/// The first bytes of a record without its module path.
pub const MAGIC_V2: [u8; 4] = *b"EXL2";

/// The bytes a record adds to its payload: the magic and the length.
pub const FRAME: usize = MAGIC.len() + 2;

/// Field separator of the payload.
pub const SEPARATOR: char = '\u{1f}';

/// The bytes of a [`MAGIC_V2`] record: the frame and `payload` (`function`, file, line, ids
/// and perhaps `cases` or `plain`, separated by [`SEPARATOR`]); `None` for a payload over
/// 65,535 bytes.
pub fn record_v2(payload: &str) -> Option<Vec<u8>> {
    let len = u16::try_from(payload.len()).ok()?;
    let mut bytes = Vec::with_capacity(FRAME + payload.len());
    bytes.extend(MAGIC_V2);
    bytes.extend(len.to_le_bytes());
    bytes.extend(payload.as_bytes());
    Some(bytes)
}

/// One test's link to directives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// `module_path!()` where the function is (starts with the crate's name). `None` for a
    /// record that does not carry it ([`MAGIC_V2`]) until the runner has found its test.
    pub module_path: Option<String>,
    /// The function's name.
    pub function: String,
    /// `file!()`: the source file, relative to the package.
    pub file: String,
    /// The line of the function's name.
    pub line: u32,
    /// The design ids.
    pub ids: Vec<String>,
    /// A parameterised test (`#[rstest]`, `#[test_case]`): its cases are the tests named
    /// under it.
    pub cases: bool,
    /// `#[design]` saw no test attribute on the function: a test of the `exemplar::main!()`
    /// harness, a libtest test whose `#[test]` came before `#[design]`, or a function nothing
    /// runs. Only records without a module path say so.
    pub plain: bool,
}

impl Link {
    /// The test's libtest name: the module path without the crate, then the function.
    pub fn test_name(&self) -> String {
        match self.module_path.as_deref().and_then(|m| m.split_once("::")) {
            Some((_, rest)) => format!("{rest}::{}", self.function),
            None => self.function.clone(),
        }
    }

    /// Whether the libtest test `name` is this link's test: its name, or for a parameterised
    /// test one of its cases (`name::case_1`: it generates a module of that name).
    pub fn covers(&self, name: &str) -> bool {
        let own = self.test_name();
        name == own
            || (self.cases
                && name
                    .strip_prefix(own.as_str())
                    .is_some_and(|r| r.starts_with("::")))
    }
}

/// Links by the test they name, to find each test's link at once in a binary of thousands.
pub struct LinkIndex<'a> {
    by_name: std::collections::HashMap<String, &'a Link>,
}

impl<'a> LinkIndex<'a> {
    /// Index `links`.
    pub fn new(links: &'a [Link]) -> LinkIndex<'a> {
        LinkIndex {
            by_name: links.iter().map(|l| (l.test_name(), l)).collect(),
        }
    }

    /// The link of libtest test `name`: its own, else the parameterised test it is a case of
    /// (the nearest enclosing path).
    pub fn find(&self, name: &str) -> Option<&'a Link> {
        if let Some(l) = self.by_name.get(name) {
            return Some(l);
        }
        let mut path = name;
        while let Some((parent, _)) = path.rsplit_once("::") {
            if let Some(l) = self.by_name.get(parent).filter(|l| l.cases) {
                return Some(l);
            }
            path = parent;
        }
        None
    }
}

/// A section that is not a sequence of link records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkError {
    /// Offset in the section.
    pub offset: usize,
    /// What is wrong there.
    pub problem: &'static str,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "link record at offset {}: {}", self.offset, self.problem)
    }
}

impl std::error::Error for LinkError {}

/// Every record of a link section, in order.
pub fn parse_section(bytes: &[u8]) -> Result<Vec<Link>, LinkError> {
    let mut links = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == 0 {
            at += 1;
            continue;
        }
        let err = |problem| LinkError {
            offset: at,
            problem,
        };
        let with_module = match bytes.get(at..at + 4) {
            Some(m) if m == MAGIC => true,
            Some(m) if m == MAGIC_V2 => false,
            _ => return Err(err("no record starts here")),
        };
        if bytes.len() < at + FRAME {
            return Err(err("the record is cut short"));
        }
        let len = u16::from_le_bytes([bytes[at + 4], bytes[at + 5]]) as usize;
        let end = at + FRAME + len;
        let payload = bytes
            .get(at + FRAME..end)
            .ok_or(err("the record is cut short"))?;
        let text = std::str::from_utf8(payload).map_err(|_| err("the record is not UTF-8"))?;
        links.push(parse_payload(text, with_module).ok_or(err(if with_module {
            "the record does not have five or six fields"
        } else {
            "the record does not have four or five fields"
        }))?);
        at = end;
    }
    Ok(links)
}

fn parse_payload(text: &str, with_module: bool) -> Option<Link> {
    let mut fields = text.split(SEPARATOR);
    let module_path = if with_module {
        Some(fields.next()?.to_owned())
    } else {
        None
    };
    let function = fields.next()?.to_owned();
    let file = fields.next()?.to_owned();
    let line = fields.next()?.parse().ok()?;
    let ids = fields
        .next()?
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let (cases, plain) = match fields.next() {
        None => (false, false),
        Some("cases") => (true, false),
        Some("plain") if !with_module => (false, true),
        Some(_) => return None,
    };
    if fields.next().is_some() {
        return None;
    }
    Some(Link {
        module_path,
        function,
        file,
        line,
        ids,
        cases,
        plain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "kv::tests\u{1f}appends\u{1f}src/lib.rs\u{1f}12\u{1f}S1,S3";
    const B: &str = "cases\u{1f}adds\u{1f}tests/cases.rs\u{1f}4\u{1f}S2\u{1f}cases";

    #[test]
    fn records_round_trip_through_a_section_with_padding() {
        let mut section = record_bytes(A);
        section.extend([0, 0, 0]);
        section.extend(record_bytes(B));
        let links = parse_section(&section).unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].test_name(), "tests::appends");
        assert_eq!(links[0].ids, ["S1", "S3"]);
        assert_eq!(links[0].line, 12);
        assert_eq!(links[1].test_name(), "adds");
        assert!(links[1].covers("adds"));
        assert!(links[1].covers("adds::case_1"));
        assert!(!links[1].covers("adds_more"));
        assert!(!links[0].cases && !links[0].covers("tests::appends::inner"));
    }

    fn record_bytes(payload: &str) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend((payload.len() as u16).to_le_bytes());
        v.extend(payload.as_bytes());
        v
    }

    #[test]
    fn a_damaged_section_names_the_offset() {
        let a = record_bytes(A);
        let mut section = a.to_vec();
        section.extend(b"junk");
        let err = parse_section(&section).unwrap_err();
        assert_eq!(err.offset, a.len());
        let cut = &a[..a.len() - 3];
        assert_eq!(
            parse_section(cut).unwrap_err().problem,
            "the record is cut short"
        );
        let seven = format!("{A}\u{1f}cases\u{1f}more");
        assert!(parse_section(&record_bytes(&seven)).is_err());
    }

    #[test]
    fn records_without_a_module_path_are_read_beside_the_others() {
        let mut section = record_v2("appends\u{1f}src/lib.rs\u{1f}30\u{1f}S2").unwrap();
        section.extend([0]);
        section.extend(record_bytes(A));
        section.extend(record_v2("adds\u{1f}tests/cases.rs\u{1f}4\u{1f}S2,S4\u{1f}cases").unwrap());
        let links = parse_section(&section).unwrap();
        assert_eq!(links.len(), 3);
        assert_eq!(links[0].module_path, None);
        assert_eq!(
            (
                links[0].function.as_str(),
                links[0].file.as_str(),
                links[0].line
            ),
            ("appends", "src/lib.rs", 30)
        );
        assert_eq!(links[0].test_name(), "appends");
        assert_eq!(links[1].module_path.as_deref(), Some("kv::tests"));
        assert!(links[2].cases && links[2].ids == ["S2", "S4"]);
        let plain = record_v2("alone\u{1f}src/lib.rs\u{1f}3\u{1f}S1\u{1f}plain").unwrap();
        let plain = &parse_section(&plain).unwrap()[0];
        assert!(plain.plain && !plain.cases);
        let v1_plain = record_bytes(&format!("{A}\u{1f}plain"));
        assert!(parse_section(&v1_plain).is_err());
        // Five fields without `cases`, or a module path in front, are not a record of this kind.
        let five = record_v2("kv::tests\u{1f}appends\u{1f}src/lib.rs\u{1f}30\u{1f}S2").unwrap();
        assert_eq!(
            parse_section(&five).unwrap_err().problem,
            "the record does not have four or five fields"
        );
        assert!(record_v2(&"x".repeat(70_000)).is_none());
    }
}
