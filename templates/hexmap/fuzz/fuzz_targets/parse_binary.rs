//! `parse_binary` with an arbitrary grammar over arbitrary bytes, three ways: a grammar built
//! from the fuzzer's choices (so most inputs reach the parser), the shipped WAV, ZIP and ELF
//! grammars over raw bytes, and raw bytes as grammar text (the linter). Nothing may panic;
//! every record and value must lie inside the input, records must tile the parsed prefix, and
//! the record limit must hold.
#![no_main]

use arbitrary::Arbitrary;
use hexmap::spec::{Props, Scalar, Spec, TypeDef};
use hexmap::{
    ParseOptions, analyze_coverage, generate_spans, lint_grammar, lint_spec, parse_binary,
};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct FuzzField {
    kind: u8,
    a: u8,
    b: u8,
    repeat: u8,
    constant: Option<u8>,
}

#[derive(Debug, Arbitrary)]
enum Input {
    Built {
        big_endian: bool,
        types: Vec<Vec<FuzzField>>,
        max_records: u8,
        data: Vec<u8>,
    },
    Shipped {
        which: u8,
        data: Vec<u8>,
    },
    Text(String),
}

const INTS: [&str; 8] = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"];

fn build(big_endian: bool, types: &[Vec<FuzzField>]) -> Spec {
    let n = types.len().clamp(1, 8);
    let mut spec = Spec::default();
    spec.props.set("root", Scalar::Str("T0".into()));
    if big_endian {
        spec.props.set("endian", Scalar::Str("big".into()));
    }
    for (t, fields) in types.iter().take(n).enumerate() {
        let mut def = TypeDef::default();
        for (i, f) in fields.iter().take(8).enumerate() {
            let mut p = Props::default();
            p.set("name", Scalar::Str(format!("f{i}")));
            let type_name = |x: u8| format!("T{}", usize::from(x) % (n + 1));
            match f.kind % 6 {
                0 => p.set("type", Scalar::Str(INTS[usize::from(f.a) % 8].into())),
                1 => {
                    p.set("type", Scalar::Str("bytes".into()));
                    if f.b % 2 == 0 {
                        p.set("size", Scalar::Int(i128::from(f.a % 16)));
                    } else {
                        p.set("size", Scalar::Str(format!("f{}", f.a % 8)));
                    }
                }
                2 => {
                    p.set("type", Scalar::Str("bytes".into()));
                    p.set("prefix", Scalar::Str(INTS[usize::from(f.a) % 4].into()));
                }
                3 | 4 => p.set("type", Scalar::Str(type_name(f.a))),
                _ => p.set("one_of", Scalar::List(vec![type_name(f.a), type_name(f.b)])),
            }
            match f.repeat % 5 {
                1 => p.set("count", Scalar::Int(i128::from(f.repeat / 5 % 8))),
                2 => p.set("count", Scalar::Str(format!("f{}", f.b % 8))),
                3 => p.set("repeat", Scalar::Str("eof".into())),
                _ => {}
            }
            if let Some(c) = f.constant {
                p.set("const", Scalar::Int(i128::from(c % 4)));
            }
            def.fields.push(p);
        }
        spec.types.push((format!("T{t}"), std::sync::Arc::new(def)));
    }
    spec
}

fn check(g: &hexmap::Grammar, data: &[u8], max_records: usize) {
    let res = parse_binary(g, data, ParseOptions { max_records });
    assert!(res.records.len() <= max_records);
    assert!(res.end <= data.len() as u64);
    let mut at = 0;
    for r in &res.records {
        assert_eq!(r.span.offset, at);
        at = r.span.end();
    }
    let spans = generate_spans(g, &res);
    for s in &spans {
        assert!(s.span.end() <= data.len() as u64);
    }
    assert!(analyze_coverage(&spans, &res).percentage <= 100.0);
}

fuzz_target!(|input: Input| {
    match input {
        Input::Built {
            big_endian,
            types,
            max_records,
            data,
        } => {
            let spec = build(big_endian, &types);
            if let Ok(g) = lint_spec(&spec, &Default::default()) {
                check(&g, &data, usize::from(max_records));
            }
        }
        Input::Shipped { which, data } => {
            let text = match which % 3 {
                0 => include_str!("../../grammars/wav.yaml"),
                1 => include_str!("../../grammars/zip.yaml"),
                _ => include_str!("../../grammars/elf.yaml"),
            };
            let g = lint_grammar(text).expect("the shipped grammars lint");
            check(&g, &data, 10_000);
        }
        Input::Text(text) => {
            if let Ok(g) = lint_grammar(&text) {
                check(&g, text.as_bytes(), 100);
            }
        }
    }
});
