//! Tests that are compiled but that nothing runs: *stranded*.
//!
//! - A link record (see [`links`](super::links)) that names no test of its binary's harness:
//!   a `#[design]` function without a test attribute in a default-harness target, or with a
//!   `#[test]` (compiled out) in an `exemplar::main!()` one.
//! - A `#[test]` function in a `harness = false` target, found in the source as follows.
//!
//! Cargo builds a `harness = false` target without `--test`, so the built-in `#[test]`
//! removes its function: the compiled binary carries no trace of it, and the only place it
//! can be seen is the source. The target's files are read as Rust (the crate root, then every
//! `mod name;` it declares, `#[path]` included) and every function with a test attribute is
//! reported with its file and line. A function that also carries `#[design]` is left out: its
//! link record already reports it.

use exemplar_formats::links::TEST_ATTRIBUTES;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use exemplar_formats::events::{Plan, TestInfo};
use exemplar_formats::links::Link;
use syn::{Attribute, Item};

/// A test function that no harness runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrayTest {
    /// Its path in the crate (`module::function`, without the crate).
    pub name: String,
    /// Its file, as given (absolute when the crate root's path was).
    pub file: PathBuf,
    /// The line of its name.
    pub line: u32,
}

/// Every test function in the crate whose root file is `root`. Files that cannot be read or
/// parsed are skipped: the compiler reports those.
pub fn find(root: &Path) -> Vec<StrayTest> {
    scan_crate(root, untagged_test)
}

/// Every `#[design]` function in the crate whose root file is `root`, with its path in the
/// crate: where a link record that does not carry its module path stands (see
/// [`resolve`](super::links::resolve)).
pub fn find_tagged(root: &Path) -> Vec<StrayTest> {
    scan_crate(root, tagged)
}

fn scan_crate(root: &Path, pick: fn(&[Attribute]) -> bool) -> Vec<StrayTest> {
    let mut out = Vec::new();
    let dir = root.parent().unwrap_or(Path::new(".")).to_owned();
    scan_file(root, &dir, "", pick, &mut out, 0);
    out
}

/// Scan `file`, whose `mod name;` children live in `child_dir`.
fn scan_file(
    file: &Path,
    child_dir: &Path,
    prefix: &str,
    pick: fn(&[Attribute]) -> bool,
    out: &mut Vec<StrayTest>,
    depth: u32,
) {
    if depth > 32 {
        return;
    }
    let Ok(text) = std::fs::read_to_string(file) else {
        return;
    };
    let Ok(parsed) = syn::parse_file(&text) else {
        return;
    };
    let here = Place {
        file,
        child_dir,
        prefix,
        pick,
        depth,
    };
    scan_items(&parsed.items, &here, out);
}

/// Where items being scanned are.
struct Place<'a> {
    file: &'a Path,
    child_dir: &'a Path,
    prefix: &'a str,
    /// Which functions are wanted, by their attributes.
    pick: fn(&[Attribute]) -> bool,
    depth: u32,
}

fn scan_items(items: &[Item], at: &Place<'_>, out: &mut Vec<StrayTest>) {
    for item in items {
        match item {
            Item::Fn(f) if (at.pick)(&f.attrs) => out.push(StrayTest {
                name: format!("{}{}", at.prefix, f.sig.ident),
                file: at.file.to_owned(),
                line: f.sig.ident.span().start().line as u32,
            }),
            Item::Mod(m) => {
                let name = m.ident.to_string();
                let prefix = format!("{}{name}::", at.prefix);
                let child_dir = at.child_dir.join(&name);
                match &m.content {
                    Some((_, items)) => {
                        let inner = Place {
                            file: at.file,
                            child_dir: &child_dir,
                            prefix: &prefix,
                            pick: at.pick,
                            depth: at.depth + 1,
                        };
                        scan_items(items, &inner, out);
                    }
                    None => {
                        let file_dir = at.file.parent().unwrap_or(Path::new("."));
                        let file = module_file(&m.attrs, file_dir, at.child_dir, &name);
                        let dir = file.with_extension("");
                        let dir = if file.file_name().is_some_and(|f| f == "mod.rs") {
                            file.parent().unwrap_or(Path::new(".")).to_owned()
                        } else {
                            dir
                        };
                        scan_file(&file, &dir, &prefix, at.pick, out, at.depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The file of `mod name;`: its `#[path]` (relative to the declaring file's folder), else
/// `name.rs`, else `name/mod.rs` in the folder of the declaring module's children.
fn module_file(attrs: &[Attribute], file_dir: &Path, dir: &Path, name: &str) -> PathBuf {
    for a in attrs.iter().filter(|a| a.path().is_ident("path")) {
        if let syn::Meta::NameValue(nv) = &a.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            return file_dir.join(s.value());
        }
    }
    let flat = dir.join(format!("{name}.rs"));
    if flat.exists() {
        flat
    } else {
        dir.join(name).join("mod.rs")
    }
}

fn last_segment(a: &Attribute) -> Option<String> {
    a.path().segments.last().map(|s| s.ident.to_string())
}

/// A test attribute, and no `#[design]` (whose link record reports it).
fn untagged_test(attrs: &[Attribute]) -> bool {
    !tagged(attrs)
        && attrs
            .iter()
            .any(|a| last_segment(a).is_some_and(|l| TEST_ATTRIBUTES.contains(&l.as_str())))
}

/// A `#[design]` attribute (by its last segment: `exemplar::design` too).
fn tagged(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| last_segment(a).as_deref() == Some("design"))
}

/// The links that cover none of `tests`, as tests that nothing runs; planned to run (to be
/// recorded `stranded`) unless the run's filters or `--design` leave them out.
pub(crate) fn stranded(
    links: &[Link],
    tests: &[TestInfo],
    selecting: &[String],
    design: Option<&[String]>,
) -> Vec<TestInfo> {
    // The names of the tests, and every path that encloses one (a parameterised test's cases).
    let names: HashSet<&str> = tests.iter().map(|t| t.name.as_str()).collect();
    let mut enclosing: HashSet<&str> = HashSet::new();
    for t in tests {
        let mut path = t.name.as_str();
        while let Some((parent, _)) = path.rsplit_once("::") {
            enclosing.insert(parent);
            path = parent;
        }
    }
    links
        .iter()
        .filter(|l| {
            let own = l.test_name();
            !(names.contains(own.as_str()) || (l.cases && enclosing.contains(own.as_str())))
        })
        .map(|l| {
            let in_design = design.is_none_or(|d| l.ids.iter().any(|i| d.contains(i)));
            let plan = if in_design && filters_select(&l.test_name(), selecting) {
                Plan::Run
            } else {
                Plan::Filtered
            };
            (l, plan)
        })
        .map(|(l, plan)| TestInfo {
            name: l.test_name(),
            ids: l.ids.clone(),
            module_path: l.module_path.clone().unwrap_or_default(),
            file: l.file.clone(),
            line: l.line,
            ignored: false,
            ignore_reason: None,
            should_panic: false,
            plan,
        })
        .collect()
}

/// The `#[test]` functions in the source of a `harness = false` target, untagged, as tests
/// that nothing runs (see [`find`]).
pub(crate) fn untagged_strays(src_path: &Path, selecting: &[String]) -> Vec<TestInfo> {
    super::strays::find(src_path)
        .into_iter()
        .map(|s| TestInfo {
            plan: if filters_select(&s.name, selecting) {
                Plan::Run
            } else {
                Plan::Filtered
            },
            name: s.name,
            ids: Vec::new(),
            module_path: String::new(),
            file: s.file.to_string_lossy().into_owned(),
            line: s.line,
            ignored: false,
            ignore_reason: None,
            should_panic: false,
        })
        .collect()
}

/// Whether libtest's selecting arguments would select a (not ignored) test named `name`:
/// it contains one of the filters (equals one, with `--exact`), or there are none; it matches
/// no `--skip`; and `--ignored` (only ignored tests) is not given.
fn filters_select(name: &str, selecting: &[String]) -> bool {
    let exact = selecting.iter().any(|a| a == "--exact");
    let matches = |f: &str| if exact { name == f } else { name.contains(f) };
    let mut filters = Vec::new();
    let mut it = selecting.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--ignored" => return false,
            "--skip" => {
                if it.next().is_some_and(|s| matches(s)) {
                    return false;
                }
            }
            _ if a.starts_with("--skip=") => {
                if matches(&a["--skip=".len()..]) {
                    return false;
                }
            }
            "-Z" | "--shuffle-seed" => {
                it.next();
            }
            _ if a.starts_with('-') => {}
            _ => filters.push(a.as_str()),
        }
    }
    filters.is_empty() || filters.iter().any(|f| matches(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_functions_are_found_in_the_root_inline_modules_and_module_files() {
        let dir = tempfile::tempdir().unwrap();
        let tests = dir.path().join("tests");
        std::fs::create_dir_all(tests.join("helpers")).unwrap();
        std::fs::write(
            tests.join("it.rs"),
            "use exemplar::design;\n\n#[test]\nfn stray() {}\n\n#[design(S1)]\nfn plain() {}\n\n#[design(S1)]\n#[test]\nfn linked() {}\n\nmod inner {\n    #[tokio::test]\n    async fn also() {}\n}\n\nmod helpers;\n\nexemplar::main!();\n",
        )
        .unwrap();
        std::fs::write(
            tests.join("helpers.rs"),
            "#[rstest::rstest]\nfn param() {}\nfn helper() {}\nmod deeper;\n",
        )
        .unwrap();
        std::fs::write(
            tests.join("helpers/deeper.rs"),
            "#[test]\nfn deepest() {}\n",
        )
        .unwrap();
        let found = find(&tests.join("it.rs"));
        let got: Vec<(&str, u32)> = found.iter().map(|s| (s.name.as_str(), s.line)).collect();
        assert_eq!(
            got,
            [
                ("stray", 4),
                ("inner::also", 15),
                ("helpers::param", 2),
                ("helpers::deeper::deepest", 2)
            ]
        );
        assert_eq!(found[2].file, tests.join("helpers.rs"));
        assert_eq!(found[3].file, tests.join("helpers/deeper.rs"));
    }
}
