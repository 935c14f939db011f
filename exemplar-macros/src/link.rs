//! A test's link record (`exemplar_formats::links::MAGIC_V2`: its name, file, line and ids) in
//! the binary's link section, as bytes computed here.
//!
//! On Linux, Android and FreeBSD (ELF), on the architectures where `global_asm!` is stable
//! (x86, Arm, RISC-V, LoongArch), the bytes are one `global_asm!` that appends them to
//! the section, kept by the linker as a `#[used]` static is (`SHF_GNU_RETAIN`): the compiler
//! hands the text to the assembler and has no item to type-check, evaluate or generate code
//! for. Elsewhere they are one `#[used]` `static` (`exemplar::__link_static!`), which costs
//! the compiler about as much as a trivial test function: 10,000 of them add a third to the
//! build of 10,000 trivial tests, where the assembly adds about a seventh.
//!
//! Both are written as source text and lexed by the compiler in one call: a token built in
//! the macro is a round trip to the compiler each, and the macro runs unoptimised in a dev
//! build.

use std::path::Path;

use proc_macro::{Span, TokenStream};

use exemplar_formats::links::{SEPARATOR, record_v2};

/// The targets whose records are assembled: ELF, with the assembler's `.pushsection`, on the
/// architectures where `global_asm!` is stable.
const ASSEMBLED: &str = r#"all(any(target_os="linux",target_os="android",target_os="freebsd"),any(target_arch="x86_64",target_arch="x86",target_arch="aarch64",target_arch="arm",target_arch="riscv64",target_arch="riscv32",target_arch="loongarch64"))"#;

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
    let kind = if kind.is_empty() {
        String::new()
    } else {
        format!("{SEPARATOR}{kind}")
    };
    let payload = format!(
        "{text}{SEPARATOR}{}{SEPARATOR}{}{SEPARATOR}{}{kind}",
        span.file(),
        span.line(),
        ids.join(",")
    );
    let bytes = record_v2(&payload)?;
    // A tool that compiles test files as plain binaries sets EXEMPLAR_MISSION; those builds
    // count as test builds. Else the record is in test builds only (the test attribute
    // removes the function from any other build).
    let only_in_tests = if std::env::var_os("EXEMPLAR_MISSION").is_none() {
        "#[cfg(test)]"
    } else {
        ""
    };
    let dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let krate = crate::manifest::of(Path::new(&dir)).extern_name.clone();
    let assembled = format!(
        "{only_in_tests}#[cfg({ASSEMBLED})]::core::arch::global_asm!(\".pushsection \
         \\\"__DATA,__exemplar\\\",\\\"aR\\\",%progbits\\n.ascii \\\"{}\\\"\\n.popsection\");",
        escaped(&bytes, Escape::Assembler)
    );
    // The static is named in capitals, not with an `allow` of the lint (a lint attribute on
    // every test costs the compiler time); a module with both `fn a` and `fn A` tagged cannot
    // build.
    let fallback = format!(
        "{only_in_tests}#[cfg(not({ASSEMBLED}))]::{krate}::__link_static!{{\
         __EXEMPLAR_LINK_{} b\"{}\"}}",
        text.to_uppercase(),
        escaped(&bytes, Escape::Rust)
    );
    let mut out = cfgs.clone();
    out.extend(lexed(&assembled));
    out.extend(cfgs);
    out.extend(lexed(&fallback));
    Some(out)
}

/// Where an escaped string goes.
#[derive(Clone, Copy, PartialEq)]
enum Escape {
    /// A Rust byte string literal: `\xNN`.
    Rust,
    /// An assembler string inside a Rust string literal: `\\NNN` (octal, the backslash
    /// escaped for Rust) for every byte but printable ASCII, and for `"` and `\`.
    Assembler,
}

/// `bytes` as the inside of a string of `how`: printable ASCII as it is, the rest escaped.
fn escaped(bytes: &[u8], how: Escape) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        if (b.is_ascii_graphic() || b == b' ') && b != b'"' && b != b'\\' {
            out.push(char::from(b));
        } else if how == Escape::Rust {
            out.push_str("\\x");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        } else {
            out.push_str("\\\\");
            for shift in [6, 3, 0] {
                out.push(char::from(b'0' + ((b >> shift) & 7)));
            }
        }
    }
    out
}

/// `src`, lexed by the compiler.
fn lexed(src: &str) -> TokenStream {
    src.parse().expect("a link record is valid Rust")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_survives_the_rust_escape() {
        let all: Vec<u8> = (0..=255).collect();
        let lit: syn::LitByteStr = syn::parse_str(&format!("b\"{}\"", escaped(&all, Escape::Rust)))
            .expect("a byte string literal");
        assert_eq!(lit.value(), all);
    }

    #[test]
    fn the_assembler_string_escapes_quotes_backslashes_and_control_bytes_in_octal() {
        let record = b"EXL2\x12\0a\"b\\c\x1fd";
        let lit: syn::LitStr =
            syn::parse_str(&format!("\"{}\"", escaped(record, Escape::Assembler)))
                .expect("a string literal");
        assert_eq!(lit.value(), r#"EXL2\022\000a\042b\134c\037d"#);
    }
}
