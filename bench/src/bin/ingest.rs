//! Ingest benchmark (`cargo run --release -p exemplar-bench --bin ingest`; it builds the release
//! `cargo-exemplar` first): a JUnit XML file of 100,000 test cases in pytest's shape (100
//! modules × 1,000 tests, 1 % failing with a message, 2 % skipped) against a Python mission of
//! 50 directives, ingested as a new run and again over the signal the first one wrote — once
//! with the directives in `design` properties, once with `@design` markers in the tests'
//! docstrings, read from 100 generated source files. Python's `xml.etree.ElementTree` reading
//! the same file is printed beside it, as the floor of any JUnit consumer.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use exemplar_bench::{release_cli, repo, time, write};

const MODULES: usize = 100;
const PER_MODULE: usize = 1_000;
const DIRECTIVES: usize = 50;

fn main() {
    let repo = repo();
    let cx = release_cli();
    for (label, with_properties) in [("design properties", true), ("docstring markers", false)] {
        let dir = tempfile::Builder::new()
            .prefix("exemplar-bench-ingest-")
            .tempdir_in(repo.join("target"))
            .unwrap();
        let root = dir.path();
        project(root, !with_properties);
        let xml = junit(with_properties);
        write(&root.join("junit.xml"), &xml);
        let ingest = || {
            let out = Command::new(&cx)
                .args([
                    "exemplar",
                    "ingest",
                    "--junit",
                    "junit.xml",
                    "--mission",
                    "mission.yaml",
                ])
                .current_dir(root)
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(1),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let (_, first) = time(ingest);
        let (_, again) = time(ingest);
        let mb = xml.len() as f64 / 1e6;
        println!(
            "ingest of {} cases ({mb:.1} MB of JUnit XML, {label}): {:.2}s as a new run, {:.2}s over the signal it wrote",
            MODULES * PER_MODULE,
            first.as_secs_f64(),
            again.as_secs_f64()
        );
        if with_properties {
            python_floor(root);
        }
    }
}

/// A mission of `DIRECTIVES` directives under one idea; with `sources`, the test modules
/// with a `@design` marker in each test's docstring.
fn project(root: &Path, sources: bool) {
    let mut m = String::from("id: bench\nname: Ingest bench\nlang: Py\n\ndesign:\n");
    m.push_str("  - id: S0\n    name: Root\n    aspect_id: null\n    detail: { type: tenet, content: c }\n");
    for d in 1..=DIRECTIVES {
        let _ = writeln!(
            m,
            "  - id: S{d}\n    name: Directive {d}\n    aspect_id: S0\n    detail: {{ invariant: i{d} }}"
        );
    }
    m.push_str("\nsignal: []\n");
    write(&root.join("mission.yaml"), &m);
    if !sources {
        return;
    }
    std::fs::create_dir_all(root.join("tests")).unwrap();
    for i in 0..MODULES {
        let mut py = String::new();
        for j in 0..PER_MODULE {
            let d = 1 + (i * PER_MODULE + j) % DIRECTIVES;
            let _ = writeln!(
                py,
                "def test_{j}():\n    \"\"\"Case {j}.\n\n    @design(S{d})\n    \"\"\"\n\n"
            );
        }
        write(&root.join(format!("tests/test_mod{i}.py")), &py);
    }
}

/// The JUnit XML of pytest (xunit1: file and line), every case once.
fn junit(with_properties: bool) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites><testsuite name=\"pytest\">\n",
    );
    for i in 0..MODULES {
        for j in 0..PER_MODULE {
            let n = i * PER_MODULE + j;
            let d = 1 + n % DIRECTIVES;
            let _ = write!(
                x,
                "<testcase classname=\"tests.test_mod{i}\" name=\"test_{j}\" file=\"tests/test_mod{i}.py\" line=\"{}\" time=\"0.001\">",
                j * 7
            );
            if with_properties {
                let _ = write!(
                    x,
                    "<properties><property name=\"design\" value=\"S{d}\"/></properties>"
                );
            }
            if n % 100 == 7 {
                let _ = write!(
                    x,
                    "<failure message=\"assert {n} == 0\">def test_{j}():&#10;&gt;   assert {n} == 0&#10;E   assert {n} == 0</failure>"
                );
            } else if n % 50 == 11 {
                x.push_str("<skipped message=\"not today\"/>");
            }
            x.push_str("</testcase>\n");
        }
    }
    x.push_str("</testsuite></testsuites>\n");
    x
}

/// Python's ElementTree reading the same file, when python3 is there.
fn python_floor(root: &Path) {
    let script = "import sys, time, xml.etree.ElementTree as ET\nt = time.perf_counter()\nn = sum(1 for _ in ET.parse(sys.argv[1]).getroot().iter('testcase'))\nprint(f'{n} {time.perf_counter() - t:.2f}')";
    let Ok(out) = Command::new("python3")
        .args(["-c", script])
        .arg(root.join("junit.xml"))
        .output()
    else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    if let Some((n, s)) = text.trim().split_once(' ') {
        println!("python3 xml.etree.ElementTree reading the same file ({n} cases): {s}s");
    }
}
