//! hexmap benchmark (`cargo bench -p hexmap`): parse throughput on a large ZIP archive and a
//! large WAV file written by Python, patch apply + lint latency, and the memory a spec store
//! holds per version over 1,000 versions.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use hexmap::patch::PatchOp;
use hexmap::spec::{Props, Scalar};
use hexmap::{
    ParseOptions, Patch, SpecStore, analyze_coverage, generate_spans, lint_grammar, parse_binary,
};

/// Live heap bytes, for the per-version memory figure.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - layout.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..n {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.expect("n > 0"))
}

fn python(args: &[&str]) -> bool {
    Command::new("python3")
        .args(args)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn throughput(name: &str, grammar: &str, file: &Path) {
    let g = lint_grammar(grammar).expect("the shipped grammar lints");
    let data = std::fs::read(file).expect("the generated file");
    let options = ParseOptions {
        max_records: usize::MAX,
    };
    let (t, res) = best_of(5, || parse_binary(&g, &data, options));
    assert!(res.errors.is_empty(), "{:?}", res.errors);
    let mb = data.len() as f64 / 1e6;
    if res.records.len() < 100 {
        // A few records over a large span: the parser never reads the spanned bytes.
        println!(
            "parse_binary, {name}: {mb:.1} MB, {} records: {:.1} µs (byte strings are spans, not reads)",
            res.records.len(),
            t.as_secs_f64() * 1e6
        );
        return;
    }
    println!(
        "parse_binary, {name}: {:.1} MB, {} records: {:.1} ms → {:.0} MB/s, {:.2} M records/s",
        mb,
        res.records.len(),
        t.as_secs_f64() * 1e3,
        mb / t.as_secs_f64(),
        res.records.len() as f64 / t.as_secs_f64() / 1e6
    );
    let (t, cov) = best_of(3, || analyze_coverage(&generate_spans(&g, &res), &res));
    println!(
        "  generate_spans + analyze_coverage: {:.1} ms for {} values ({:.1}% covered)",
        t.as_secs_f64() * 1e3,
        cov.values,
        cov.percentage
    );
}

fn doc_patch(i: usize) -> Patch {
    Patch::new(
        format!("note {i}"),
        vec![PatchOp::UpdateField {
            path: format!("types.LocalFile.fields[{}]", i % 14),
            set: Props(vec![("doc".into(), Scalar::Str(format!("note {i}")))]),
            unset: vec![],
            value: None,
        }],
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let zip_grammar = std::fs::read_to_string(root.join("grammars/zip.yaml")).unwrap();
    let wav_grammar = std::fs::read_to_string(root.join("grammars/wav.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let zip = dir.path().join("big.zip");
    let wav = dir.path().join("big.wav");
    let make = root.join("fixtures/make.py");
    let make = make.to_str().unwrap();
    let wav_script = format!(
        "import wave\nw = wave.open({:?}, 'wb')\nw.setnchannels(2); w.setsampwidth(2); w.setframerate(44100)\nw.writeframes(bytes(range(256)) * 400000)\nw.close()",
        wav.to_str().unwrap()
    );
    if !python(&[make, "big", zip.to_str().unwrap(), "100000"]) || !python(&["-c", &wav_script]) {
        eprintln!("python3 is needed to write the large files; skipping the parse benchmark");
    } else {
        throughput("ZIP of 100,000 files (Python zipfile)", &zip_grammar, &zip);
        throughput("WAV, 102 MB of samples (Python wave)", &wav_grammar, &wav);
    }

    // Patch apply + lint: one op on the ZIP grammar, each making a new version.
    let mut store = SpecStore::new();
    let v1 = store.create_initial(&zip_grammar, true).unwrap();
    let n = 2000;
    let mut with_lint = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        store.apply_patch(&v1.id, &doc_patch(i), true).unwrap();
        with_lint.push(t.elapsed());
    }
    let mut without = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        store.apply_patch(&v1.id, &doc_patch(i), false).unwrap();
        without.push(t.elapsed());
    }
    let (t_lint, _) = best_of(200, || lint_grammar(&zip_grammar).unwrap());
    let pct = |v: &mut Vec<Duration>, p: f64| {
        v.sort();
        v[((v.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e6
    };
    println!(
        "apply_patch + lint (ZIP grammar, {} bytes of text): p50 {:.0} µs, p99 {:.0} µs; without lint p50 {:.0} µs; lint_grammar alone {:.0} µs",
        v1.text.len(),
        pct(&mut with_lint, 0.5),
        pct(&mut with_lint, 0.99),
        pct(&mut without, 0.5),
        t_lint.as_secs_f64() * 1e6
    );
    drop(store);

    // Memory per version: 1,000 versions, each a patch of the previous one.
    let before = LIVE.load(Ordering::Relaxed);
    let mut store = SpecStore::new();
    let mut cur = store.create_initial(&zip_grammar, true).unwrap().id.clone();
    for i in 0..1000 {
        cur = store
            .apply_patch(&cur, &doc_patch(i), true)
            .unwrap()
            .id
            .clone();
    }
    let live = LIVE.load(Ordering::Relaxed) - before;
    let text: usize = store.versions().map(|v| v.text.len()).sum();
    println!(
        "spec store, 1,001 versions of the ZIP grammar: {:.1} MiB live, {:.1} KiB per version ({:.1} KiB of it canonical text)",
        live as f64 / (1024.0 * 1024.0),
        live as f64 / 1001.0 / 1024.0,
        text as f64 / 1001.0 / 1024.0
    );
    assert_eq!(store.get_lineage(&cur).len(), 1001);
}
