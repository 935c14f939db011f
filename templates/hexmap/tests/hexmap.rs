//! The hexmap mission's tests: the tool host, safety against hostile input, the spec store and
//! its patches, runs, scores and the loop, and the real formats on files written by Python.

use std::cell::Cell;
use std::path::Path;
use std::process::Command;

use exemplar::design;
use hexmap::grammar::Grammar;
use hexmap::parse::{ParseErrorKind, Stop, Value};
use hexmap::patch::PatchOp;
use hexmap::spec::{self, Props, Scalar, TypeDef};
use hexmap::{
    AnomalyKind, CandidatePool, HexmapError, LoopEnd, LoopOptions, ParseOptions, Patch, PatchError,
    Query, RunArtifact, Severity, SpecStore, analyze_coverage, create_run_artifact, decode_field,
    diff_runs, find_best_run, find_best_scoring_run, generate_spans, improve, lint_grammar,
    parse_binary, query_records, score_run,
};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Bytes allocated by the current thread, for the "no allocation from a hostile length" check.
struct Counting;

thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + layout.size()));
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + new));
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocated() -> usize {
    ALLOCATED.with(Cell::get)
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures").join(name)).unwrap()
}

fn grammar_text(name: &str) -> String {
    std::fs::read_to_string(root().join("grammars").join(name)).unwrap()
}

fn compile(text: &str) -> Grammar {
    lint_grammar(text).unwrap_or_else(|ds| {
        panic!(
            "{}",
            ds.iter()
                .map(|d| d.render("test.yaml"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn run(g: &Grammar, data: &[u8], id: &str) -> RunArtifact {
    let parse = parse_binary(g, data, ParseOptions::default());
    create_run_artifact(id, "v?", g, parse, "mem")
}

fn props(pairs: &[(&str, Scalar)]) -> Props {
    Props(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn s(v: &str) -> Scalar {
    Scalar::Str(v.into())
}

fn i(v: i128) -> Scalar {
    Scalar::Int(v)
}

/// One length-prefixed item: `len: u8`, `data: bytes[len]`, until the end of the file.
const ITEMS: &str = "root: File
types:
  File:
    fields:
      - { name: items, type: Item, repeat: eof }
  Item:
    fields:
      - { name: len, type: u8 }
      - { name: data, type: bytes, size: len }
";

// ---------------------------------------------------------------------------------------------
// T: the tool host

#[design(T1)]
fn lint_reports_each_problem_with_its_position() {
    let text = "root: File
types:
  File:
    fields:
      - { name: head, type: Header }
      - { name: body, type: Body }
  Header:
    fields:
      - { name: magic, type: u32 }
      - { name: magic, type: u16 }
      - { name: data, type: bytes, size: count }
      - { name: count, type: u8 }
      - { name: blob, type: bytes, size: 4 }
      - { name: more, type: bytes, size: blob }
      - { name: n, type: u8, sise: 3 }
";
    let ds = lint_grammar(text).unwrap_err();
    let rendered: Vec<String> = ds.iter().map(|d| d.render("g.yaml")).collect();
    let find = |needle: &str| {
        rendered
            .iter()
            .find(|r| r.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in {rendered:#?}"))
            .clone()
    };
    assert!(find("unknown type `Body`").starts_with("g.yaml:6:29: "));
    assert!(find("duplicate field `magic`").starts_with("g.yaml:10:17: "));
    assert!(find("(first at line 9)").contains("types.Header.fields[1].name"));
    assert!(find("no integer field `count` before `data`").starts_with("g.yaml:11:42: "));
    assert!(find("`blob` is not a single integer field").starts_with("g.yaml:14:42: "));
    assert!(find("unknown key `sise`").starts_with("g.yaml:15:36: "));
    assert_eq!(ds.len(), 5, "{rendered:#?}");

    // The grammar as a whole: no root, a newer format, a yaml syntax error.
    let ds =
        lint_grammar("format: 2\ntypes:\n  T:\n    fields: [{ name: a, type: u8 }]\n").unwrap_err();
    let r: Vec<String> = ds.iter().map(|d| d.render("g.yaml")).collect();
    assert!(
        r.iter()
            .any(|d| d.starts_with("g.yaml:1:9: grammar format 2 is newer")),
        "{r:?}"
    );
    assert!(r.iter().any(|d| d.contains("no `root:` type")), "{r:?}");
    let ds = lint_grammar("root: T\ntypes:\n  T: { fields: [ }\n").unwrap_err();
    assert_eq!(ds[0].pos.map(|p| p.line), Some(3), "{ds:?}");
    assert!(ds[0].message.starts_with("yaml syntax"), "{ds:?}");

    // The shipped grammars lint.
    for g in ["wav.yaml", "zip.yaml", "elf.yaml"] {
        compile(&grammar_text(g));
    }

    // A corpus of broken grammars, each with every diagnostic it gets, as snapshots.
    let mut files: Vec<_> = std::fs::read_dir(root().join("tests/lint"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 14);
    for path in files {
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let shown = format!("tests/lint/{name}.yaml");
        let ds = lint_grammar(&text).expect_err(&shown);
        assert!(ds.iter().all(|d| d.pos.is_some()), "{name}: {ds:?}");
        let rendered: Vec<String> = ds.iter().map(|d| d.render(&shown)).collect();
        insta::assert_snapshot!(format!("lint_{name}"), rendered.join("\n"));
    }
}

#[design(T2)]
fn integers_byte_strings_arrays_and_nesting_decode_with_spans() {
    let g = compile(
        "root: File
endian: little
types:
  File:
    fields:
      - { name: head, type: Head }
      - { name: shapes, one_of: [Circle, Poly], repeat: eof }
  Head:
    fields:
      - { name: a, type: u8 }
      - { name: b, type: i8 }
      - { name: c, type: u16, endian: big }
      - { name: d, type: i16 }
      - { name: e, type: u32 }
      - { name: f, type: i32, endian: big }
      - { name: g, type: u64 }
      - { name: h, type: i64, endian: big }
      - { name: tag, type: bytes, size: 3 }
      - { name: label, type: bytes, prefix: u16, endian: big }
      - { name: kind, type: u8, registry: kinds }
  Point:
    fields:
      - { name: x, type: i16 }
      - { name: y, type: i16 }
  Circle:
    fields:
      - { name: tag, type: u8, const: 1 }
      - { name: center, type: Point }
      - { name: r, type: u16 }
  Poly:
    fields:
      - { name: tag, type: u8, const: 2 }
      - { name: n, type: u8 }
      - { name: points, type: Point, count: n }
registries:
  kinds: { 7: seven }
",
    );
    let mut d = vec![0xFE, 0xFE];
    d.extend(0x1234u16.to_be_bytes());
    d.extend((-2i16).to_le_bytes());
    d.extend(0xDEADBEEFu32.to_le_bytes());
    d.extend((-5i32).to_be_bytes());
    d.extend(u64::MAX.to_le_bytes());
    d.extend(i64::MIN.to_be_bytes());
    d.extend(b"abc");
    d.extend(5u16.to_be_bytes());
    d.extend(b"hello");
    d.push(7);
    let head_len = d.len() as u64;
    d.push(1);
    d.extend((-3i16).to_le_bytes());
    d.extend(4i16.to_le_bytes());
    d.extend(9u16.to_le_bytes());
    d.push(2);
    d.push(2);
    for v in [1i16, 2, 3, 4] {
        d.extend(v.to_le_bytes());
    }
    let res = parse_binary(&g, &d, ParseOptions::default());
    assert_eq!(res.stop, Stop::Complete, "{:?}", res.errors);
    assert_eq!(res.records.len(), 3);
    let spans = generate_spans(&g, &res);
    let val = |path: &str| decode_field(&g, &res, &d, path).unwrap();
    let ints: Vec<i128> = ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .map(|p| val(&format!("head.{p}")).int.unwrap())
        .collect();
    assert_eq!(
        ints,
        [
            254,
            -2,
            0x1234,
            -2,
            0xDEADBEEF,
            -5,
            u64::MAX as i128,
            i64::MIN as i128
        ]
    );
    assert_eq!(val("head.tag").display, "\"abc\"");
    let label = val("head.label");
    assert_eq!(
        (label.span.offset, label.span.len),
        (33, 7),
        "prefix and content"
    );
    assert_eq!(label.display, "\"hello\"");
    assert_eq!(val("head.kind").registry_name.as_deref(), Some("seven"));
    assert_eq!(res.records[0].span.len, head_len);
    // one_of picks by constant; the array's count comes from `n`.
    assert_eq!(g.ty(res.records[1].ty).name, "Circle");
    assert_eq!(val("shapes[0].center.x").int, Some(-3));
    assert_eq!(g.ty(res.records[2].ty).name, "Poly");
    let Value::Array(points) = &res.records[2].fields[2].value else {
        panic!("points is an array")
    };
    assert_eq!(points.len(), 2);
    assert_eq!(val("shapes[1].points[1].y").int, Some(4));
    assert_eq!(val("shapes[1].points[1].y").span.offset, d.len() as u64 - 2);
    // Every leaf span is inside its record.
    for e in &spans {
        let r = &res.records[e.record];
        assert!(
            e.span.offset >= r.span.offset && e.span.end() <= r.span.end(),
            "{e:?}"
        );
    }
}

#[design(T3)]
fn spans_come_in_order_and_coverage_lists_the_gaps() {
    let g = compile(ITEMS);
    let data = [3, b'a', b'b', b'c', 0, 1, b'z'];
    let res = parse_binary(&g, &data, ParseOptions::default());
    let spans = generate_spans(&g, &res);
    assert_eq!(spans.len(), 6);
    assert!(
        spans
            .windows(2)
            .all(|w| w[0].span.end() <= w[1].span.offset)
    );
    assert_eq!(spans[1].path, "items[0].data");
    let cov = analyze_coverage(&spans, &res);
    assert_eq!(
        (cov.covered_bytes, cov.percentage, cov.gaps.len()),
        (7, 100.0, 0)
    );

    // A grammar that reads only a header leaves a gap, listed with its range.
    let g = compile(
        "root: F\ntypes:\n  F:\n    fields: [{ name: h, type: H }]\n  H:\n    fields: [{ name: a, type: u16 }]\n",
    );
    let res = parse_binary(&g, &data, ParseOptions::default());
    let cov = analyze_coverage(&generate_spans(&g, &res), &res);
    assert_eq!(cov.covered_bytes, 2);
    assert_eq!(cov.gaps, [hexmap::Span { offset: 2, len: 5 }]);
    assert!((cov.percentage - 200.0 / 7.0).abs() < 1e-9);

    // An empty file is fully covered by nothing.
    let res = parse_binary(&g, &[], ParseOptions::default());
    let cov = analyze_coverage(&generate_spans(&g, &res), &res);
    assert_eq!(cov.percentage, 100.0);
}

#[design(T4)]
fn decode_field_and_query_records_over_a_zip() {
    let g = compile(&grammar_text("zip.yaml"));
    let data = fixture("deflated.zip");
    let res = parse_binary(&g, &data, ParseOptions::default());
    let name = decode_field(&g, &res, &data, "entries[1].name").unwrap();
    assert_eq!(name.display, "\"docs/readme.txt\"");
    assert_eq!(name.kind, "bytes");
    let comp = decode_field(&g, &res, &data, "entries[1].compression").unwrap();
    assert_eq!(comp.display, "8 (deflated)");
    assert_eq!(comp.hex, "08 00");
    let rec = decode_field(&g, &res, &data, "entries[8]");
    assert!(rec.is_err(), "a record path alone is not a value");
    for bad in [
        "entries[1].nope",
        "entries[99].name",
        "nothing",
        "entries[1].name[0]",
        "",
    ] {
        assert!(
            matches!(decode_field(&g, &res, &data, bad), Err(HexmapError::NoSuchField(p)) if p == bad),
            "{bad}"
        );
    }

    let q = |type_name: Option<&str>, field: Option<(&str, &str)>, range: Option<(u64, u64)>| {
        query_records(
            &g,
            &res,
            &data,
            &Query {
                type_name: type_name.map(str::to_owned),
                field: field.map(|(a, b)| (a.to_owned(), b.to_owned())),
                range,
            },
        )
        .iter()
        .map(|r| r.index)
        .collect::<Vec<_>>()
    };
    assert_eq!(q(Some("LocalFile"), None, None), [0, 1, 2, 3]);
    assert_eq!(q(Some("CentralDirectoryEntry"), None, None), [4, 5, 6, 7]);
    assert_eq!(q(None, Some(("name", "empty")), None), [2, 6]);
    assert_eq!(
        q(Some("LocalFile"), Some(("compression", "0x8")), None),
        [0, 1, 2, 3]
    );
    assert_eq!(q(None, Some(("comment", "made by make.py")), None), [8]);
    assert_eq!(q(None, None, Some((0, 1))), [0]);
    assert!(q(Some("Nope"), None, None).is_empty());
}

// ---------------------------------------------------------------------------------------------
// S: safety

#[design(S1)]
fn hostile_lengths_are_refused_before_anything_is_read() {
    let g = compile(
        "root: F
types:
  F:
    fields: [{ name: r, one_of: [Sized, Prefixed, Counted] }]
  Sized:
    fields:
      - { name: tag, type: u8, const: 1 }
      - { name: len, type: u64 }
      - { name: data, type: bytes, size: len }
  Prefixed:
    fields:
      - { name: tag, type: u8, const: 2 }
      - { name: data, type: bytes, prefix: u32 }
  Counted:
    fields:
      - { name: tag, type: u8, const: 3 }
      - { name: n, type: i32 }
      - { name: xs, type: u16, count: n }
",
    );
    let cases: Vec<(Vec<u8>, i128, u64)> = vec![
        (
            [&[1u8][..], &u64::MAX.to_le_bytes(), b"abc"].concat(),
            u64::MAX as i128,
            9,
        ),
        (
            [&[2u8][..], &0xFFFF_FFF0u32.to_le_bytes(), b"abc"].concat(),
            0xFFFF_FFF0,
            5,
        ),
        ([&[3u8][..], &(-1i32).to_le_bytes(), b"ab"].concat(), -1, 5),
        (
            [&[3u8][..], &i32::MAX.to_le_bytes(), b"ab"].concat(),
            i32::MAX as i128,
            5,
        ),
    ];
    for (data, value, offset) in cases {
        let before = allocated();
        let res = parse_binary(&g, &data, ParseOptions::default());
        let used = allocated() - before;
        assert!(
            used < 64 * 1024,
            "{used} bytes allocated for a {value} length"
        );
        assert_eq!(res.stop, Stop::Error);
        let e = &res.errors[0];
        assert_eq!(e.offset, offset, "{e}");
        assert!(
            matches!(e.kind, ParseErrorKind::AbsurdLength { value: v, .. } if v == value),
            "{e}"
        );
        let art = create_run_artifact("r", "v", &g, res, "mem");
        assert_eq!(art.anomalies[0].kind, AnomalyKind::AbsurdLength);
        assert_eq!(art.anomalies[0].severity, Severity::High);
    }
    // A field past the end is an overflow, not a read past the slice.
    let res = parse_binary(&g, &[1, 0, 0], ParseOptions::default());
    assert!(matches!(
        res.errors[0].kind,
        ParseErrorKind::Eof {
            needed: 8,
            available: 2
        }
    ));
}

#[design(S2)]
fn cycles_deep_nesting_and_zero_size_repeats_are_lint_errors() {
    let cycle = "root: A\ntypes:\n  A:\n    fields: [{ name: b, type: B }]\n  B:\n    fields: [{ name: c, type: C }]\n  C:\n    fields: [{ name: a, one_of: [A] }]\n";
    let ds = lint_grammar(cycle).unwrap_err();
    assert!(ds[0].message.starts_with("type cycle: "), "{ds:?}");
    assert!(
        ds[0].message.contains("A → B → C → A")
            || ds[0].message.contains("B → C → A → B")
            || ds[0].message.contains("C → A → B → C"),
        "{ds:?}"
    );
    assert!(ds[0].pos.is_some());
    let selfref = "root: A\ntypes:\n  A:\n    fields: [{ name: a, type: A, count: 0 }]\n";
    assert!(
        lint_grammar(selfref).unwrap_err()[0]
            .message
            .contains("type cycle: A → A")
    );

    // A chain of 41 types nests deeper than the parser will recurse.
    // A grammar of `n` + 1 types, each holding the next; the last holds a byte.
    let chain = |n: usize| {
        let mut text = String::from("root: T0\ntypes:\n");
        for i in 0..n {
            text.push_str(&format!(
                "  T{i}:\n    fields: [{{ name: x, type: T{} }}]\n",
                i + 1
            ));
        }
        text + &format!("  T{n}:\n    fields: [{{ name: x, type: u8 }}]\n")
    };
    let ds = lint_grammar(&chain(40)).unwrap_err();
    assert!(
        ds.iter().any(|d| d.message.contains("the limit is 32")),
        "{ds:?}"
    );
    // 31 levels are fine and parse.
    let g = compile(&chain(30));
    assert_eq!(
        parse_binary(&g, &[7], ParseOptions::default())
            .records
            .len(),
        1
    );

    for zero in [
        "root: F\ntypes:\n  F:\n    fields: [{ name: r, type: R, repeat: eof }]\n  R:\n    fields: [{ name: n, type: u8, count: 0 }]\n",
        "root: F\ntypes:\n  F:\n    fields: [{ name: r, type: R }]\n  R:\n    fields: [{ name: n, type: u8 }, { name: xs, type: bytes, size: n, count: n }]\n",
    ] {
        let ds = lint_grammar(zero).unwrap_err();
        assert!(
            ds.iter().any(|d| d.message.contains("zero bytes long")),
            "{ds:?}"
        );
    }
}

#[design(S3)]
fn max_records_bounds_the_parse() {
    let g = compile(ITEMS);
    let data = vec![0u8; 1000];
    for max in [0, 1, 10, 999] {
        let res = parse_binary(&g, &data, ParseOptions { max_records: max });
        assert_eq!(res.records.len(), max);
        assert_eq!(res.stop, Stop::RecordLimit);
        assert_eq!(res.end, max as u64);
    }
    let res = parse_binary(&g, &data, ParseOptions { max_records: 1000 });
    assert_eq!((res.records.len(), res.stop), (1000, Stop::Complete));
    let art = run(&g, &data[..5], "r");
    assert!(art.anomalies.is_empty());
    let parse = parse_binary(&g, &data, ParseOptions { max_records: 3 });
    let art = create_run_artifact("r", "v", &g, parse, "mem");
    assert_eq!(art.anomalies[0].kind, AnomalyKind::RecordLimit);
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A random grammar: mostly well-formed (types refer to later types, lengths to earlier
/// integers), with now and then a cycle, an unknown name or a bad reference.
fn random_spec(r: &mut Rng) -> spec::Spec {
    let ntypes = 1 + r.below(5) as usize;
    let mut spec = spec::Spec::default();
    spec.props.set("root", s("T0"));
    if r.below(2) == 0 {
        spec.props.set("endian", s("big"));
    }
    let odd = |r: &mut Rng| r.below(25) == 0;
    for t in 0..ntypes {
        let mut def = TypeDef::default();
        let mut ints: Vec<String> = Vec::new();
        for f in 0..1 + r.below(4) {
            let name = format!("f{f}");
            let mut p = props(&[("name", s(&name))]);
            let has_later = t + 1 < ntypes;
            let later = |r: &mut Rng| {
                if odd(r) || !has_later {
                    r.below(ntypes as u64 + 1) as usize
                } else {
                    t + 1 + r.below((ntypes - t - 1) as u64) as usize
                }
            };
            let length = |r: &mut Rng, ints: &[String]| match ints.len() {
                _ if odd(r) => s(&format!("f{}", r.below(5))),
                0 => i(r.below(6) as i128),
                n => s(&ints[r.below(n as u64) as usize]),
            };
            // The root's fields are records (types); other types refer to later types only.
            let pick = match (t, has_later) {
                (0, _) => 3 + r.below(4),
                (_, true) => r.below(7),
                (_, false) => r.below(3),
            };
            let mut single_int = false;
            match pick {
                0 | 1 => {
                    let ty =
                        ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"][r.below(8) as usize];
                    p.set("type", s(ty));
                    single_int = true;
                    if r.below(4) == 0 {
                        p.set("const", i(r.below(3) as i128));
                    }
                }
                2 => {
                    p.set("type", s("bytes"));
                    match r.below(3) {
                        0 => p.set("size", length(r, &ints)),
                        1 => p.set("size", i(1 + r.below(5) as i128)),
                        _ => p.set(
                            "prefix",
                            s(["u8", "u16", "u32", "u64"][r.below(4) as usize]),
                        ),
                    }
                }
                3 | 4 => p.set("type", s(&format!("T{}", later(r)))),
                _ => p.set(
                    "one_of",
                    Scalar::List(
                        (0..1 + r.below(3))
                            .map(|_| format!("T{}", later(r)))
                            .collect(),
                    ),
                ),
            }
            if p.get("const").is_none() {
                match r.below(6) {
                    0 => p.set("count", i(r.below(4) as i128)),
                    1 => p.set("count", length(r, &ints)),
                    2 if t == 0 => p.set("repeat", s("eof")),
                    _ => {}
                }
            }
            if single_int && p.get("count").is_none() {
                ints.push(name);
            }
            def.fields.push(p);
        }
        spec.types.push((format!("T{t}"), std::sync::Arc::new(def)));
    }
    spec
}

#[design(S4)]
fn random_grammars_over_random_bytes_never_panic() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut compiled, mut records) = (0, 0);
    for _ in 0..4000 {
        let spec = random_spec(&mut r);
        // Through the text too: rendering and reading back must agree.
        let (again, locs) = spec::load(&spec.to_yaml()).unwrap();
        assert_eq!(again, spec);
        let Ok(g) = hexmap::lint_spec(&spec, &locs) else {
            continue;
        };
        compiled += 1;
        for _ in 0..4 {
            let len = r.below(300) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| (r.below(4) * 60) as u8 ^ r.below(3) as u8)
                .collect();
            let max = r.below(40) as usize;
            let res = parse_binary(&g, &data, ParseOptions { max_records: max });
            assert!(res.records.len() <= max);
            assert!(res.end <= data.len() as u64);
            let mut at = 0;
            for rec in &res.records {
                assert_eq!(rec.span.offset, at, "records tile the parsed prefix");
                at = rec.span.end();
            }
            let spans = generate_spans(&g, &res);
            assert!(spans.iter().all(|e| e.span.end() <= data.len() as u64));
            let cov = analyze_coverage(&spans, &res);
            assert!(cov.percentage <= 100.0);
            records += res.records.len();
        }
    }
    assert!(
        compiled > 500,
        "only {compiled} of 4000 random grammars compiled"
    );
    assert!(records > 1000, "only {records} records parsed");

    // Mangled grammar text never panics the linter.
    let text = grammar_text("zip.yaml");
    let bytes = text.as_bytes();
    for _ in 0..2000 {
        let mut m = bytes.to_vec();
        for _ in 0..1 + r.below(4) {
            if m.is_empty() {
                break;
            }
            let at = r.below(m.len() as u64) as usize;
            match r.below(3) {
                0 => m[at] = b"{}[]:,-# \n\"'&*!|>0x"[r.below(19) as usize],
                1 => {
                    m.remove(at);
                }
                _ => m.truncate(at),
            }
        }
        let _ = lint_grammar(&String::from_utf8_lossy(&m));
    }
}

// ---------------------------------------------------------------------------------------------
// A and U: patches and versions

fn store_with(text: &str) -> (SpecStore, String) {
    let mut store = SpecStore::new();
    let v = store.create_initial(text, true).unwrap();
    (store, v.id.clone())
}

/// How many fields type `ty` has in version `id`.
fn field_count(store: &SpecStore, id: &str, ty: &str) -> usize {
    let v = store.get(id).unwrap();
    v.spec.type_def(ty).unwrap().fields.len()
}

fn insert(path: &str, field: Props) -> PatchOp {
    PatchOp::InsertField {
        path: path.into(),
        index: -1,
        field,
    }
}

#[design(A1)]
fn a_patch_applies_whole_or_not_at_all() {
    let (mut store, v1) = store_with(ITEMS);
    let before = store.get(&v1).unwrap();
    let patch = Patch::new(
        "three ops, the second fails",
        vec![
            insert(
                "types.Item",
                props(&[("name", s("crc")), ("type", s("u32"))]),
            ),
            PatchOp::UpdateField {
                path: "types.Item.fields[9]".into(),
                set: props(&[("type", s("u8"))]),
                unset: vec![],
                value: None,
            },
            PatchOp::DeleteField {
                path: "types.Item.fields[0]".into(),
            },
        ],
    );
    let err = store.apply_patch(&v1, &patch, true).unwrap_err();
    assert_eq!(
        err,
        PatchError::Op {
            op: 1,
            kind: "update_field",
            path: "types.Item.fields[9]".into(),
            message: "`Item` has 3 fields, no field 9".into()
        }
    );
    assert_eq!(store.len(), 1, "no version was made");
    assert_eq!(*store.get(&v1).unwrap(), *before, "the parent is untouched");

    // The same first op alone applies.
    let ok = Patch::new("crc", patch.ops[..1].to_vec());
    let v2 = store.apply_patch(&v1, &ok, true).unwrap();
    assert_eq!(field_count(&store, &v2.id, "Item"), 3);
    // Every op kind can fail on its own.
    let failing = [
        PatchOp::DeleteField {
            path: "types.Nope.fields[0]".into(),
        },
        PatchOp::AddType {
            path: "types.Item".into(),
            def: TypeDef::default(),
        },
        PatchOp::UpdateType {
            path: "types.Item".into(),
            set: Props::default(),
            unset: vec!["doc".into()],
        },
        insert(
            "types.Item",
            props(&[("name", s("len")), ("type", s("u8"))]),
        ),
        PatchOp::InsertField {
            path: "types.Item".into(),
            index: 7,
            field: props(&[("name", s("z")), ("type", s("u8"))]),
        },
    ];
    for op in failing {
        let e = store.apply_patch(&v2.id, &Patch::new("x", vec![op.clone()]), true);
        assert!(
            matches!(e, Err(PatchError::Op { op: 0, .. })),
            "{op:?}: {e:?}"
        );
    }
    assert_eq!(store.len(), 2);
}

#[design(A2)]
fn patches_that_break_the_grammar_or_are_malformed_are_refused() {
    let (mut store, v1) = store_with(ITEMS);
    let bad_type = Patch::new(
        "a field of a type that does not exist",
        vec![insert(
            "types.Item",
            props(&[("name", s("bad")), ("type", s("NonExistentType"))]),
        )],
    );
    match store.apply_patch(&v1, &bad_type, true) {
        Err(PatchError::Lint(ds)) => {
            assert_eq!(ds.len(), 1);
            assert!(ds[0].message.starts_with("unknown type `NonExistentType`"));
            assert_eq!(ds[0].path, "types.Item.fields[2].type");
            assert!(ds[0].pos.is_some());
        }
        other => panic!("{other:?}"),
    }
    let bad_ref = Patch::new(
        "size from a later field",
        vec![PatchOp::InsertField {
            path: "types.Item".into(),
            index: 0,
            field: props(&[("name", s("pre")), ("type", s("bytes")), ("size", s("len"))]),
        }],
    );
    assert!(
        matches!(store.apply_patch(&v1, &bad_ref, true), Err(PatchError::Lint(ds)) if ds[0].message.contains("bad length reference"))
    );
    // Without lint the version is made (and says so).
    let unlinted = store.apply_patch(&v1, &bad_ref, false).unwrap();
    assert!(!unlinted.linted);

    for (patch, needle) in [
        (Patch::new("nothing", vec![]), "no ops"),
        (
            Patch::new(
                "bad path",
                vec![PatchOp::DeleteField {
                    path: "types.Item.fields".into(),
                }],
            ),
            "not a path",
        ),
        (
            Patch::new(
                "wrong op for path",
                vec![PatchOp::DeleteField {
                    path: "types.Item".into(),
                }],
            ),
            "does not apply",
        ),
        (
            Patch::new(
                "no name",
                vec![insert("types.Item", props(&[("type", s("u8"))]))],
            ),
            "needs a `name`",
        ),
        (
            Patch::new(
                "no type",
                vec![insert("types.Item", props(&[("name", s("x"))]))],
            ),
            "needs a `type`",
        ),
    ] {
        match store.apply_patch(&v1, &patch, true) {
            Err(PatchError::Invalid(errs)) => assert!(errs[0].contains(needle), "{errs:?}"),
            other => panic!("{}: {other:?}", patch.description),
        }
    }
    assert!(matches!(
        store.apply_patch("v99", &bad_type, true),
        Err(PatchError::UnknownVersion(_))
    ));
    assert_eq!(store.len(), 2);

    // A patch file's ops read from YAML, as the hexmap command reads them.
    let yaml = "description: y\nops:\n  - { op: update_field, path: \"types.Item.fields[0].type\", value: u16 }\n  - { op: add_registry_entry, path: registries.k, value: 0x10, name: sixteen }\n";
    let p: Patch = serde_yaml::from_str(yaml).unwrap();
    let v = store.apply_patch(&v1, &p, true).unwrap();
    assert_eq!(
        v.spec.type_def("Item").unwrap().fields[0].get("type"),
        Some(&s("u16"))
    );
    assert_eq!(v.spec.registry("k").unwrap(), [(16, "sixteen".to_owned())]);
}

#[design(U1)]
fn versions_are_immutable_and_keep_their_lineage() {
    let (mut store, v1) = store_with(ITEMS);
    let add = |n: &str| {
        Patch::new(
            format!("add {n}"),
            vec![insert(
                "types.Item",
                props(&[("name", s(n)), ("type", s("u8"))]),
            )],
        )
    };
    let v2 = store.apply_patch(&v1, &add("a"), true).unwrap();
    let v3 = store.apply_patch(&v2.id, &add("b"), true).unwrap();
    let v4 = store.apply_patch(&v3.id, &add("c"), true).unwrap();
    let branch = store.apply_patch(&v2.id, &add("z"), true).unwrap();
    assert_eq!(store.get_lineage(&v4.id), ["v1", "v2", "v3", "v4"]);
    // A version shares the types its patch did not touch with its parent.
    let v1v = store.get(&v1).unwrap();
    assert!(std::sync::Arc::ptr_eq(
        &v1v.spec.types[0].1,
        &v4.spec.types[0].1
    ));
    assert!(!std::sync::Arc::ptr_eq(
        &v1v.spec.types[1].1,
        &v2.spec.types[1].1
    ));
    assert_eq!(store.get_lineage(&branch.id), ["v1", "v2", "v5"]);
    assert!(store.get_lineage("v42").is_empty());
    assert_eq!(v3.parent_id.as_deref(), Some("v2"));
    assert_eq!(v3.patch.as_ref().unwrap().description, "add b");
    assert_eq!(store.get("v1").unwrap().parent_id, None);
    // Later patches left earlier versions as they were.
    assert_eq!(field_count(&store, &v2.id, "Item"), 3);
    for v in store.versions() {
        assert_eq!(v.digest, blake3::hash(v.text.as_bytes()).to_hex()[..16]);
        assert_eq!(
            spec::load(&v.text).unwrap().0,
            v.spec,
            "the text is the spec"
        );
    }
    let texts: std::collections::HashSet<&str> =
        store.versions().map(|v| v.text.as_str()).collect();
    assert_eq!(texts.len(), 5);
}

#[design(U2)]
fn diff_specs_lists_every_change() {
    let (mut store, v1) = store_with(ITEMS);
    let patch = Patch::new(
        "one of each op",
        vec![
            PatchOp::AddType {
                path: "types.Tail".into(),
                def: TypeDef {
                    props: Props::default(),
                    fields: vec![props(&[("name", s("crc")), ("type", s("u32"))])],
                },
            },
            PatchOp::InsertField {
                path: "types.Item".into(),
                index: 0,
                field: props(&[
                    ("name", s("tag")),
                    ("type", s("u8")),
                    ("registry", s("tags")),
                ]),
            },
            PatchOp::UpdateField {
                path: "types.Item.fields[1]".into(),
                set: props(&[("type", s("u16"))]),
                unset: vec![],
                value: None,
            },
            PatchOp::UpdateType {
                path: "types.Item".into(),
                set: props(&[("endian", s("big"))]),
                unset: vec![],
            },
            PatchOp::AddRegistryEntry {
                path: "registries.tags".into(),
                value: 1,
                name: "one".into(),
            },
            PatchOp::DeleteField {
                path: "types.File.fields[0]".into(),
            },
            PatchOp::InsertField {
                path: "types.File".into(),
                index: -1,
                field: props(&[("name", s("items")), ("type", s("Item")), ("count", i(2))]),
            },
        ],
    );
    let v2 = store.apply_patch(&v1, &patch, true).unwrap();
    let diff = store.diff_specs(&v1, &v2.id).unwrap();
    let lines: Vec<String> = diff.changes.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        lines,
        [
            "- types.File.fields[0].repeat: \"eof\"",
            "+ types.File.fields[0].count: 2",
            "+ types.Item.endian: \"big\"",
            "~ types.Item.fields[1].type: \"u8\" → \"u16\"",
            "+ types.Item.fields[0]: { name: \"tag\", type: \"u8\", registry: \"tags\" }",
            "+ types.Tail: 1 fields: crc",
            "+ registries.tags.1: one",
        ]
    );
    assert!(store.diff_specs(&v2.id, &v2.id).unwrap().changes.is_empty());
    // Moving a field is a move, not a remove and an add; an insertion before a field is not a
    // move of it.
    let pad = Patch::new(
        "pad",
        vec![insert(
            "types.Tail",
            props(&[("name", s("pad")), ("type", s("u8"))]),
        )],
    );
    let v3 = store.apply_patch(&v2.id, &pad, true).unwrap();
    let swap = Patch::new(
        "crc last",
        vec![
            PatchOp::DeleteField {
                path: "types.Tail.fields[0]".into(),
            },
            insert(
                "types.Tail",
                props(&[("name", s("crc")), ("type", s("u32"))]),
            ),
        ],
    );
    let v4 = store.apply_patch(&v3.id, &swap, true).unwrap();
    let lines = |store: &SpecStore, a: &str, b: &str| -> Vec<String> {
        store
            .diff_specs(a, b)
            .unwrap()
            .changes
            .iter()
            .map(|c| c.to_string())
            .collect()
    };
    assert_eq!(
        lines(&store, &v3.id, &v4.id),
        [
            "↕ types.Tail.fields.crc: [0] → [1]",
            "↕ types.Tail.fields.pad: [1] → [0]"
        ]
    );
    let front = Patch::new(
        "tag first",
        vec![PatchOp::InsertField {
            path: "types.Tail".into(),
            index: 0,
            field: props(&[("name", s("tag")), ("type", s("u8"))]),
        }],
    );
    let v5 = store.apply_patch(&v4.id, &front, true).unwrap();
    assert_eq!(
        lines(&store, &v4.id, &v5.id),
        ["+ types.Tail.fields[0]: { name: \"tag\", type: \"u8\" }"]
    );
}

// ---------------------------------------------------------------------------------------------
// E and R: runs, diffs, scores, the loop

/// A ZIP archive of `n` small files written by Python's zipfile (`fixtures/make.py big`).
fn python_zip(n: usize) -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.zip");
    let status = Command::new("python3")
        .arg(root().join("fixtures/make.py"))
        .args(["big", path.to_str().unwrap(), &n.to_string()])
        .status()
        .expect("python3 writes the large ZIP archives (CI installs it)");
    assert!(status.success());
    let data = std::fs::read(&path).unwrap();
    (dir, data)
}

fn zip_loop(data: &[u8]) -> (SpecStore, hexmap::LoopOutcome) {
    let start = std::fs::read_to_string(root().join("iterate/zip-start.yaml")).unwrap();
    let cands = std::fs::read_to_string(root().join("iterate/zip-candidates.yaml")).unwrap();
    #[derive(serde::Deserialize)]
    struct File {
        candidates: Vec<Patch>,
    }
    let file: File = serde_yaml::from_str(&cands).unwrap();
    let mut store = SpecStore::new();
    let v1 = store.create_initial(&start, true).unwrap();
    let mut pool = CandidatePool {
        candidates: file.candidates,
    };
    let out = improve(
        &mut store,
        &v1.id,
        data,
        "deflated.zip",
        &mut pool,
        LoopOptions::default(),
    )
    .unwrap();
    (store, out)
}

#[design(E1)]
fn the_same_inputs_give_the_same_outputs() {
    let data = fixture("deflated.zip");
    let (s1, a) = zip_loop(&data);
    let (s2, b) = zip_loop(&data);
    assert_eq!(a.rounds, b.rounds);
    assert_eq!(a.best_run, b.best_run);
    assert_eq!(a.best_score, b.best_score);
    assert_eq!(a.lineage, b.lineage);
    let texts = |s: &SpecStore| {
        s.versions()
            .map(|v| (v.id.clone(), v.digest.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(texts(&s1), texts(&s2));
    // Ties go to the earlier candidate: two equal runs, the first wins both selections.
    let g = compile(ITEMS);
    let base = run(&g, &[], "base");
    let (x, y) = (run(&g, &[1, 2], "x"), run(&g, &[1, 2], "y"));
    let cands = [x, y];
    assert_eq!(find_best_run(&base, &cands).unwrap().0.run_id, "x");
    assert_eq!(find_best_scoring_run(&cands, None).unwrap().0.run_id, "x");
}

#[design(R1)]
fn each_anomaly_is_found_with_its_severity() {
    let wav = compile(&grammar_text("wav.yaml"));
    let good = fixture("tone-8k-mono-16bit.wav");
    let clean = run(&wav, &good, "clean");
    assert!(clean.anomalies.is_empty(), "{:?}", clean.anomalies);
    assert_eq!(clean.stats.record_count, 3);
    assert_eq!(clean.stats.coverage_percentage, 100.0);

    let kinds = |a: &RunArtifact| {
        a.anomalies
            .iter()
            .map(|x| (x.kind, x.severity))
            .collect::<Vec<_>>()
    };
    // A data chunk claiming more than the file holds.
    let mut absurd = good.clone();
    absurd[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        kinds(&run(&wav, &absurd, "a")),
        [(AnomalyKind::AbsurdLength, Severity::High)]
    );
    // A truncated format chunk.
    assert_eq!(
        kinds(&run(&wav, &good[..30], "o")),
        [(AnomalyKind::FieldOverflow, Severity::High)]
    );
    // Not a RIFF file at all.
    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    assert_eq!(
        kinds(&run(&wav, &bad_magic, "m")),
        [
            (AnomalyKind::ConstMismatch, Severity::Medium),
            (AnomalyKind::NoRecords, Severity::High)
        ]
    );
    // An unknown audio format code.
    let mut odd_format = good.clone();
    odd_format[20] = 0x55;
    let a = run(&wav, &odd_format, "u");
    assert_eq!(
        kinds(&a),
        [(AnomalyKind::UnknownRegistryValue, Severity::Low)]
    );
    assert_eq!(a.anomalies[0].path, "chunks[0].audio_format");
    // No alternative matches.
    let zip = compile(&grammar_text("zip.yaml"));
    let mut junk = fixture("stored.zip");
    junk.extend(b"JUNKJUNK");
    let a = run(&zip, &junk, "n");
    assert_eq!(kinds(&a), [(AnomalyKind::NoAlternative, Severity::Medium)]);
    assert_eq!(a.anomalies[0].offset, 1264);
    // The grammar ends before the file.
    let short = compile(
        "root: F\ntypes:\n  F:\n    fields: [{ name: h, type: H }]\n  H:\n    fields: [{ name: a, type: u32 }]\n",
    );
    let a = run(&short, &good, "t");
    assert_eq!(kinds(&a), [(AnomalyKind::TrailingData, Severity::Medium)]);
    assert_eq!(
        (
            a.stats.anomaly_count,
            a.stats.medium_severity_anomalies,
            a.stats.gap_count,
            a.stats.covered_bytes
        ),
        (1, 1, 1, 4)
    );
}

#[design(R2)]
fn run_diffs_say_what_improved() {
    let zip = compile(&grammar_text("zip.yaml"));
    let start = compile(&std::fs::read_to_string(root().join("iterate/zip-start.yaml")).unwrap());
    let data = fixture("stored.zip");
    let partial = run(&start, &data, "partial");
    let full = run(&zip, &data, "full");
    let d = diff_runs(&partial, &full);
    assert_eq!(d.error_delta, -1);
    assert_eq!(d.record_delta, 5);
    assert_eq!(
        d.covered_bytes_delta,
        (data.len() as u64 - partial.stats.covered_bytes) as i64
    );
    assert!(d.coverage_delta > 0.0);
    assert_eq!(d.resolved_anomalies, [AnomalyKind::NoAlternative]);
    assert!(d.is_improvement(), "{d}");
    let back = diff_runs(&full, &partial);
    assert!(!back.is_improvement());
    assert_eq!(back.new_anomalies, [AnomalyKind::NoAlternative]);
    assert!(
        !diff_runs(&full, &full).is_improvement(),
        "equal is not better"
    );
    // More coverage but a new high-severity anomaly is not an improvement.
    let mut absurd = data.clone();
    let eocd_comment = data.len() - 2;
    absurd[eocd_comment..].copy_from_slice(&[0xFF, 0xFF]);
    let risky = run(&zip, &absurd, "risky");
    let d = diff_runs(&partial, &risky);
    assert!(
        d.covered_bytes_delta > 0 && d.high_severity_delta == 1 && !d.is_improvement(),
        "{d}"
    );
    let cands = [risky.clone(), full.clone(), partial.clone()];
    assert_eq!(find_best_run(&partial, &cands).unwrap().0.run_id, "full");
    assert!(find_best_run(&full, &cands).is_none());
}

#[design(R3)]
fn scores_gate_first_then_weigh() {
    let zip = compile(&grammar_text("zip.yaml"));
    let start = compile(&std::fs::read_to_string(root().join("iterate/zip-start.yaml")).unwrap());
    let data = fixture("stored.zip");
    let full = run(&zip, &data, "full");
    let partial = run(&start, &data, "partial");
    let s = score_run(&full, None);
    assert!(s.passed_hard_gates);
    assert_eq!(s.total_score, 100.0);
    let s = score_run(&partial, None);
    // Coverage minus one error (25) and one medium anomaly (5).
    assert!(
        (s.total_score - (partial.stats.coverage_percentage - 30.0)).abs() < 1e-9,
        "{s:?}"
    );
    // Worse than the baseline: parse_advanced fails.
    let s = score_run(&partial, Some(&full));
    assert_eq!((s.passed_hard_gates, s.total_score), (false, 0.0));
    assert!(
        s.gates
            .iter()
            .any(|g| g.name == "parse_advanced" && !g.passed)
    );
    // A high-severity anomaly fails no_safety_violations.
    let mut absurd = data.clone();
    let n = absurd.len();
    absurd[n - 2..].copy_from_slice(&[0xFF, 0xFF]);
    let risky = run(&zip, &absurd, "risky");
    let s = score_run(&risky, None);
    assert_eq!(s.total_score, 0.0);
    assert!(
        s.gates
            .iter()
            .any(|g| g.name == "no_safety_violations" && !g.passed)
    );
    assert!(s.summary.contains("no_safety_violations"));
    let cands = [risky, partial, full];
    let (best, score) = find_best_scoring_run(&cands, None).unwrap();
    assert_eq!((best.run_id.as_str(), score.total_score), ("full", 100.0));
    assert!(find_best_scoring_run(&cands[..1], None).is_none());
}

#[design(R4)]
fn the_loop_completes_a_partial_zip_grammar() {
    let data = fixture("deflated.zip");
    let (store, out) = zip_loop(&data);
    assert_eq!(out.lineage, ["v1", "v2", "v4"]);
    assert_eq!(out.end, LoopEnd::NoImprovement);
    assert_eq!(out.best_score.total_score, 100.0);
    assert_eq!(out.best_run.stats.coverage_percentage, 100.0);
    // Round 1 tried the wrong end record (a gate failure) and the right one.
    let r1 = &out.rounds[1];
    assert_eq!(r1.chosen.as_deref(), Some("v4"));
    assert!(matches!(
        r1.candidates[0].outcome,
        hexmap::CandidateOutcome::Scored {
            passed_gates: false,
            ..
        }
    ));
    assert!(matches!(
        out.rounds[0].candidates[4].outcome,
        hexmap::CandidateOutcome::Rejected { .. }
    ));
    // The ZIP64 candidate scored as well as the end record alone: a tie is no improvement,
    // so the loop kept the earlier, smaller grammar.
    assert!(matches!(
        &r1.candidates[2].outcome,
        hexmap::CandidateOutcome::Scored { score, .. } if *score == 100.0
    ));
    assert_eq!(
        store.len(),
        5,
        "one version per candidate that applied and linted"
    );
    // The loop rebuilt the shipped grammar, less the ZIP64 records this archive does not have.
    let mut expected = spec::load(&grammar_text("zip.yaml")).unwrap().0;
    expected.types.retain(|(n, _)| !n.starts_with("Zip64"));
    std::sync::Arc::make_mut(&mut expected.types[0].1).fields[0].set(
        "one_of",
        Scalar::List(vec![
            "LocalFile".into(),
            "CentralDirectoryEntry".into(),
            "EndOfCentralDirectory".into(),
        ]),
    );
    assert_eq!(out.best_version.spec, expected);

    // On an archive of more than 65,535 entries, the ZIP64 candidate wins, and the loop
    // rebuilds the shipped grammar exactly.
    let (_dir, big) = python_zip(65_600);
    let (_, out) = zip_loop(&big);
    assert_eq!(out.lineage, ["v1", "v2", "v5"]);
    assert_eq!(out.best_score.total_score, 100.0);
    assert_eq!(
        out.best_version.spec,
        spec::load(&grammar_text("zip.yaml")).unwrap().0
    );

    // A proposer is any closure: one that proposes nothing ends the loop at once.
    let mut store = SpecStore::new();
    let v1 = store.create_initial(ITEMS, true).unwrap();
    let mut none = |_: &hexmap::ProposalContext<'_>| Vec::new();
    let out = improve(
        &mut store,
        &v1.id,
        &[1, 2],
        "m",
        &mut none,
        LoopOptions::default(),
    )
    .unwrap();
    assert_eq!((out.end, out.rounds.len()), (LoopEnd::NoCandidates, 0));
}

// ---------------------------------------------------------------------------------------------
// F: real formats and the command

/// (file, channels, sample rate, bits per sample), as `fixtures/make.py` wrote them.
const WAVS: &[(&str, u16, u32, u16)] = &[
    ("tone-8k-mono-16bit.wav", 1, 8000, 16),
    ("tone-11k-stereo-8bit.wav", 2, 11025, 8),
    ("tone-44k-stereo-16bit.wav", 2, 44100, 16),
];

#[design(F1)]
fn wav_files_from_python_parse_completely() {
    let g = compile(&grammar_text("wav.yaml"));
    for &(name, channels, rate, bits) in WAVS {
        let data = fixture(name);
        let a = run(&g, &data, name);
        assert_eq!(a.stats.coverage_percentage, 100.0, "{name}");
        assert!(a.anomalies.is_empty(), "{name}: {:?}", a.anomalies);
        let int = |p: &str| decode_field(&g, &a.parse, &data, p).unwrap().int.unwrap();
        assert_eq!(int("chunks[0].channels"), channels.into(), "{name}");
        assert_eq!(int("chunks[0].sample_rate"), rate.into(), "{name}");
        assert_eq!(int("chunks[0].bits_per_sample"), bits.into(), "{name}");
        assert_eq!(int("riff.size"), data.len() as i128 - 8, "{name}");
        assert_eq!(int("chunks[1].size"), data.len() as i128 - 44, "{name}");
        let fmt = decode_field(&g, &a.parse, &data, "chunks[0].audio_format").unwrap();
        assert_eq!(fmt.registry_name.as_deref(), Some("PCM"));
    }
}

#[design(F2)]
fn zip_archives_from_python_parse_completely() {
    let g = compile(&grammar_text("zip.yaml"));
    for (name, compression, comment) in [
        ("stored.zip", "0 (stored)", "(empty)"),
        ("deflated.zip", "8 (deflated)", "\"made by make.py\""),
    ] {
        let data = fixture(name);
        let a = run(&g, &data, name);
        assert_eq!(a.stats.coverage_percentage, 100.0, "{name}");
        assert!(a.anomalies.is_empty(), "{name}: {:?}", a.anomalies);
        let types: Vec<&str> = a
            .parse
            .records
            .iter()
            .map(|r| g.ty(r.ty).name.as_str())
            .collect();
        assert_eq!(types.iter().filter(|t| **t == "LocalFile").count(), 4);
        assert_eq!(
            types
                .iter()
                .filter(|t| **t == "CentralDirectoryEntry")
                .count(),
            4
        );
        assert_eq!(types.last(), Some(&"EndOfCentralDirectory"));
        let show = |p: &str| decode_field(&g, &a.parse, &data, p).unwrap().display;
        let names: Vec<String> = (0..4)
            .map(|i| show(&format!("entries[{i}].name")))
            .collect();
        assert_eq!(
            names,
            [
                "\"docs/\"",
                "\"docs/readme.txt\"",
                "\"empty\"",
                "\"data.bin\""
            ]
        );
        assert_eq!(show("entries[3].compression"), compression);
        assert_eq!(show("entries[8].comment"), comment);
        assert_eq!(show("entries[8].total_entries"), "4");
    }
}

#[design(F2)]
fn zip64_archives_from_python_parse_completely() {
    let g = compile(&grammar_text("zip.yaml"));
    let (_dir, data) = python_zip(65_600);
    let a = run(&g, &data, "zip64");
    assert_eq!(a.stats.coverage_percentage, 100.0);
    assert!(a.anomalies.is_empty(), "{:?}", a.anomalies);
    assert_eq!(a.stats.record_count, 2 * 65_600 + 3);
    let n = a.parse.records.len();
    let types: Vec<&str> = a.parse.records[n - 3..]
        .iter()
        .map(|r| g.ty(r.ty).name.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "Zip64EndOfCentralDirectory",
            "Zip64Locator",
            "EndOfCentralDirectory"
        ]
    );
    let int = |p: &str| decode_field(&g, &a.parse, &data, p).unwrap().int.unwrap();
    assert_eq!(int(&format!("entries[{}].total_entries", n - 3)), 65_600);
    assert_eq!(int(&format!("entries[{}].total_entries", n - 1)), 0xFFFF);
    assert_eq!(
        int(&format!("entries[{}].zip64_end_offset", n - 2)),
        a.parse.records[n - 3].span.offset as i128
    );
}

#[design(F4)]
fn elf_headers_of_the_systems_executables_decode() {
    let g = compile(&grammar_text("elf.yaml"));
    let machine = match std::env::consts::ARCH {
        "x86_64" => "X86_64",
        "aarch64" => "AARCH64",
        other => panic!("no registry entry expected for {other}"),
    };
    // Executables the system's toolchain wrote; `python3` resolves to the real file.
    let python = std::fs::canonicalize("/usr/bin/python3").unwrap();
    for path in [
        Path::new("/usr/bin/true"),
        Path::new("/usr/bin/env"),
        &python,
    ] {
        let data = std::fs::read(path).unwrap();
        let a = run(&g, &data, "elf");
        let kinds: Vec<AnomalyKind> = a.anomalies.iter().map(|x| x.kind).collect();
        assert_eq!(
            kinds,
            [AnomalyKind::TrailingData],
            "{path:?}: only the sections are left"
        );
        // Read the same values from the raw bytes, independently of the grammar.
        let u16_at = |o: usize| u16::from_le_bytes([data[o], data[o + 1]]) as i128;
        let u64_at = |o: usize| u64::from_le_bytes(data[o..o + 8].try_into().unwrap()) as i128;
        let phnum = u16_at(56);
        assert_eq!(
            a.parse.records[0].span.len as i128,
            64 + 56 * phnum,
            "{path:?}"
        );
        let d = |p: &str| decode_field(&g, &a.parse, &data, p).unwrap();
        assert_eq!(d("header.phnum").int, Some(phnum));
        assert_eq!(d("header.shoff").int, Some(u64_at(40)));
        assert_eq!(d("header.machine").registry_name.as_deref(), Some(machine));
        for i in 0..phnum as usize {
            let base = 64 + 56 * i;
            let p = format!("header.program_headers[{i}]");
            assert_eq!(
                d(&format!("{p}.offset")).int,
                Some(u64_at(base + 8)),
                "{path:?} {p}"
            );
            assert_eq!(
                d(&format!("{p}.filesz")).int,
                Some(u64_at(base + 32)),
                "{path:?} {p}"
            );
            assert_eq!(d(&format!("{p}.align")).span.end(), base as u64 + 56);
        }
        let records = query_records(&g, &a.parse, &data, &Query::default());
        assert_eq!(records.len(), 1, "one record: the headers");
    }
}

fn hexmap(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hexmap"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[design(F3)]
fn the_hexmap_command_lints_parses_measures_decodes_and_iterates() {
    let (code, out, _) = hexmap(&["lint", "grammars/wav.yaml"]);
    assert_eq!(
        (code, out.trim()),
        (
            0,
            "grammars/wav.yaml: ok: 5 types, 1 registries, root `Wave`"
        )
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "root: F\ntypes:\n  F:\n    fields:\n      - { name: x, type: Nope }\n",
    )
    .unwrap();
    let bad_s = bad.to_str().unwrap();
    let (code, _, err) = hexmap(&["lint", bad_s]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with(&format!("{bad_s}:5:26: unknown type `Nope`")),
        "{err}"
    );
    let (code, _, err) = hexmap(&["parse", bad_s, "fixtures/stored.zip"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("{bad_s}:5:26: unknown type `Nope`")),
        "{err}"
    );

    let (code, out, _) = hexmap(&[
        "parse",
        "grammars/wav.yaml",
        "fixtures/tone-8k-mono-16bit.wav",
        "--json",
    ]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["records"].as_array().unwrap().len(), 3);
    assert_eq!(doc["records"][1]["values"][2]["value"], "1 (PCM)");
    assert_eq!(doc["stop"], "complete");

    let (code, out, _) = hexmap(&[
        "parse",
        "grammars/zip.yaml",
        "fixtures/stored.zip",
        "--type",
        "LocalFile",
        "--where",
        "name=empty",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("entries[2].name") && !out.contains("entries[1]"),
        "{out}"
    );
    assert!(
        out.trim_end()
            .ends_with("1 of 9 records, 1264 of 1264 bytes, stopped: complete"),
        "{out}"
    );

    let (code, out, _) = hexmap(&["coverage", "iterate/zip-start.yaml", "fixtures/stored.zip"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("cli_coverage_partial_zip", out);
    assert!(
        out.contains("% covered") && out.contains("gap at "),
        "{out}"
    );

    let (code, out, _) = hexmap(&[
        "decode",
        "grammars/wav.yaml",
        "fixtures/tone-44k-stereo-16bit.wav",
        "chunks[0].sample_rate",
    ]);
    assert_eq!(
        (code, out.trim()),
        (0, "chunks[0].sample_rate (u32, 4 bytes at 24): 44100")
    );

    let (code, out, _) = hexmap(&[
        "parse",
        "grammars/wav.yaml",
        "fixtures/tone-11k-stereo-8bit.wav",
    ]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("cli_parse_wav", out);
    let (code, out, _) = hexmap(&[
        "parse",
        "grammars/zip.yaml",
        "fixtures/stored.zip",
        "--max-records",
        "2",
    ]);
    assert_eq!(code, 0, "a record limit is not an error");
    assert!(
        out.trim_end()
            .ends_with("2 of 2 records, 184 of 1264 bytes, stopped: record limit"),
        "{out}"
    );

    let best = dir.path().join("best.yaml");
    let (code, out, _) = hexmap(&[
        "iterate",
        "iterate/zip-start.yaml",
        "fixtures/deflated.zip",
        "--candidates",
        "iterate/zip-candidates.yaml",
        "--out",
        best.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("best: v4 (score 100.0, coverage 100.0%), lineage v1 → v2 → v4"),
        "{out}"
    );
    insta::assert_snapshot!("cli_iterate_zip", out);
    let (code, out, _) = hexmap(&[
        "iterate",
        "iterate/zip-start.yaml",
        "fixtures/deflated.zip",
        "--candidates",
        "iterate/zip-candidates.yaml",
        "--json",
    ]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["best_version"], "v4");
    assert_eq!(doc["lineage"], serde_json::json!(["v1", "v2", "v4"]));
    assert_eq!(doc["end"], "no_improvement");
    assert_eq!(doc["rounds"][1]["chosen"], "v4");
    assert_eq!(doc["diff"]["changes"].as_array().unwrap().len(), 3);
    assert_eq!(
        spec::load(doc["spec"].as_str().unwrap()).unwrap().0,
        spec::load(&std::fs::read_to_string(&best).unwrap())
            .unwrap()
            .0,
        "--json carries the grammar --out wrote"
    );
    let (code, _, _) = hexmap(&["lint", best.to_str().unwrap()]);
    assert_eq!(code, 0);

    // Clear errors for what cannot be read.
    let (code, _, err) = hexmap(&["parse", "grammars/wav.yaml", "fixtures/missing.wav"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read fixtures/missing.wav"), "{err}");
    let junk = dir.path().join("junk.yaml");
    std::fs::write(
        &junk,
        "candidates:\n  - { description: x, ops: [ { op: explode } ] }\n",
    )
    .unwrap();
    let (code, _, err) = hexmap(&[
        "iterate",
        "grammars/zip.yaml",
        "fixtures/stored.zip",
        "--candidates",
        junk.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("junk.yaml: not a list of patches") && err.contains("explode"),
        "{err}"
    );
    let (code, _, err) = hexmap(&["frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown command `frobnicate`"), "{err}");
    // A truncated file: the records before the damage and an error with its offset.
    let cut = dir.path().join("cut.wav");
    std::fs::write(&cut, &fixture("tone-8k-mono-16bit.wav")[..40]).unwrap();
    let (code, out, err) = hexmap(&["parse", "grammars/wav.yaml", cut.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains("2 of 2 records, 36 of 40 bytes, stopped: error"),
        "{out}"
    );
    assert!(
        err.contains("error: at offset 40 (chunks[1].size): needs 4 bytes, 0 left"),
        "{err}"
    );
}

exemplar::main!();
