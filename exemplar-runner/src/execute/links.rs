//! Reading the link records a test binary carries (see [`exemplar_formats::links`]): which of
//! its tests verify which directives, read from the executable file without running it.
//!
//! The file is read lazily through `object`'s read cache: only its headers and the link
//! section are read, however large the binary.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::Path;

use exemplar_formats::events::TestInfo;
use exemplar_formats::links::{self, Link};
use object::read::ReadCache;
use object::{Object, ObjectSection};

use super::strays;
use crate::errors::Error;

/// The section's names: `__DATA,__exemplar` on ELF (`exemplar_links` before), `__exemplar` on
/// Mach-O (which names the section without its segment), `.exlinks` on PE.
const SECTION_NAMES: &[&str] = &[
    "__DATA,__exemplar",
    "exemplar_links",
    "__exemplar",
    ".exlinks",
];

/// Every link record of `exe`, in section order; none for a binary without the section.
pub fn read_links(exe: &Path) -> Result<Vec<Link>, Error> {
    let bad = |problem: String| Error::BadLinks {
        binary: exe.to_owned(),
        problem,
    };
    let file = File::open(exe).map_err(|source| Error::Io {
        action: "open",
        path: exe.to_owned(),
        source,
    })?;
    let cache = ReadCache::new(file);
    let object = object::File::parse(&cache).map_err(|e| bad(e.to_string()))?;
    let mut found = Vec::new();
    for section in object.sections() {
        let Ok(name) = section.name() else { continue };
        if !SECTION_NAMES.contains(&name) {
            continue;
        }
        let data = section.data().map_err(|e| bad(e.to_string()))?;
        found.extend(links::parse_section(data).map_err(|e| bad(e.to_string()))?);
    }
    Ok(found)
}

/// Give every link record that does not carry its module path (`links::MAGIC_V2`) the path of
/// the test it names among `names`, the tests the binary lists; `located` are those of them
/// whose harness says where they are (the exemplar harness does, libtest does not); `krate`
/// is the crate's name, which starts every module path, and `root` the target's root source
/// file.
///
/// A record names its function, file and line. A located test of that function, file and
/// line is its test. Else a record of a function without a test attribute (`plain`) is placed
/// where the crate's source defines that `#[design]` function, if it does: the module it
/// stands in, found by its file and line (`mod` files and `#[path]` followed). Else, among the
/// binary's tests not claimed by another record, the one whose name ends with that function
/// (for a parameterised test, the path its cases are under); where several fit, the source
/// says which. Records that still fit several tests are told apart only when they link the
/// same ids (macro-made tests); any other is removed, and a message says which record and
/// which tests.
pub fn resolve(
    links: &mut Vec<Link>,
    names: &[String],
    located: &[TestInfo],
    krate: &str,
    root: &Path,
) -> Vec<String> {
    if links.iter().all(|l| l.module_path.is_some()) {
        return Vec::new();
    }
    for l in links.iter_mut().filter(|l| l.module_path.is_none()) {
        if let Some(t) = located
            .iter()
            .find(|t| t.line == l.line && t.file == l.file && last_segment(&t.name) == l.function)
        {
            l.module_path = Some(module_path(krate, &t.name));
        }
    }
    let mut tagged: Option<Vec<strays::StrayTest>> = None;
    if links.iter().any(|l| l.plain && l.module_path.is_none()) {
        let tagged = tagged.get_or_insert_with(|| strays::find_tagged(root));
        for l in links
            .iter_mut()
            .filter(|l| l.plain && l.module_path.is_none())
        {
            if let Some(path) = locate(l, tagged) {
                l.module_path = Some(module_path(krate, path));
            }
        }
    }
    let fits = Fits::new(links, names);
    let mut groups: BTreeMap<(String, bool), Vec<usize>> = BTreeMap::new();
    for (i, l) in links.iter().enumerate() {
        if l.module_path.is_none() {
            groups
                .entry((l.function.clone(), l.cases))
                .or_default()
                .push(i);
        }
    }
    // Where each record's test is; a record not in `paths` keeps no module path.
    let mut paths: Vec<(usize, String)> = Vec::new();
    let mut drop = Vec::new();
    let mut problems = Vec::new();
    for ((function, cases), group) in groups {
        let candidates = fits.paths(&function, cases);
        if candidates.is_empty() {
            // No test runs it (stranded): named by where the source has it, if it says.
            let tagged = tagged.get_or_insert_with(|| strays::find_tagged(root));
            for i in group {
                if let Some(path) = locate(&links[i], tagged) {
                    paths.push((i, path.to_owned()));
                }
            }
            continue;
        }
        if let ([one_link], [one_test]) = (group.as_slice(), candidates.as_slice()) {
            paths.push((*one_link, one_test.clone()));
            continue;
        }
        let tagged = tagged.get_or_insert_with(|| strays::find_tagged(root));
        let placed = place(links, &group, &candidates, tagged);
        for (i, path) in placed {
            if let Some(path) = path {
                paths.push((i, path));
            } else {
                let l = &links[i];
                problems.push(format!(
                    "the link record of `{function}` ({}:{}) fits {} tests ({}) and the source \
                     does not say which: it is left out, and they run as untagged",
                    l.file,
                    l.line,
                    candidates.len(),
                    candidates.join(", ")
                ));
                drop.push(i);
            }
        }
    }
    for (i, path) in paths {
        links[i].module_path = Some(module_path(krate, &path));
    }
    let mut i = 0;
    links.retain(|_| {
        i += 1;
        !drop.contains(&(i - 1))
    });
    problems
}

/// The last segment of a path: the function of a test's name.
fn last_segment(path: &str) -> &str {
    path.rsplit_once("::").map_or(path, |(_, last)| last)
}

/// The module path of the test at `path` (`tests::appends` in crate `kv`: `kv::tests`).
fn module_path(krate: &str, path: &str) -> String {
    match path.rsplit_once("::") {
        Some((modules, _)) => format!("{krate}::{modules}"),
        None => krate.to_owned(),
    }
}

/// The binary's tests that a record without a module path may name.
struct Fits<'a> {
    /// Tests and the paths that enclose tests, by their last segment.
    by_function: HashMap<&'a str, Vec<&'a str>>,
    tests: HashSet<&'a str>,
    enclosing: HashSet<&'a str>,
}

impl<'a> Fits<'a> {
    fn new(links: &[Link], names: &'a [String]) -> Fits<'a> {
        let claimed: HashSet<String> = links
            .iter()
            .filter(|l| l.module_path.is_some())
            .map(Link::test_name)
            .collect();
        let mut fits = Fits {
            by_function: HashMap::new(),
            tests: HashSet::new(),
            enclosing: HashSet::new(),
        };
        let last = |p: &'a str| p.rsplit_once("::").map_or(p, |(_, l)| l);
        for name in names.iter().filter(|n| !claimed.contains(*n)) {
            fits.tests.insert(name);
            fits.by_function.entry(last(name)).or_default().push(name);
            let mut path = name.as_str();
            while let Some((parent, _)) = path.rsplit_once("::") {
                if fits.enclosing.insert(parent) && !fits.tests.contains(parent) {
                    fits.by_function
                        .entry(last(parent))
                        .or_default()
                        .push(parent);
                }
                path = parent;
            }
        }
        fits
    }

    /// The paths a record of `function` may name: tests, and for a parameterised test also
    /// the paths its cases are under; sorted, each once.
    fn paths(&self, function: &str, cases: bool) -> Vec<String> {
        let mut out: Vec<String> = self
            .by_function
            .get(function)
            .into_iter()
            .flatten()
            .filter(|p| self.tests.contains(*p) || (cases && self.enclosing.contains(*p)))
            .map(|p| (*p).to_owned())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The path of the `#[design]` function that `link` was made for, as the crate's source has
/// it: the function of that name at that file and line.
fn locate<'t>(link: &Link, tagged: &'t [strays::StrayTest]) -> Option<&'t str> {
    tagged
        .iter()
        .find(|t| {
            t.line == link.line
                && t.file.ends_with(&link.file)
                && last_segment(&t.name) == link.function
        })
        .map(|t| t.name.as_str())
}

/// The test each record of `group` (one function name) names among `candidates`: by where
/// the source defines the `#[design]` function of that file and line; then, for records the
/// source does not place, in order when they all link the same ids. `None` for the rest.
fn place(
    links: &[Link],
    group: &[usize],
    candidates: &[String],
    tagged: &[strays::StrayTest],
) -> Vec<(usize, Option<String>)> {
    let mut free: Vec<&String> = candidates.iter().collect();
    let mut out = Vec::new();
    let mut unplaced = Vec::new();
    for &i in group {
        match locate(&links[i], tagged) {
            // A record the source places outside the candidates names a test nothing runs.
            Some(path) => {
                free.retain(|c| c.as_str() != path);
                out.push((i, Some(path.to_owned())));
            }
            None => unplaced.push(i),
        }
    }
    let same = unplaced
        .windows(2)
        .all(|w| links[w[0]].ids == links[w[1]].ids);
    if same && unplaced.len() == free.len() {
        out.extend(
            unplaced
                .into_iter()
                .zip(free)
                .map(|(i, c)| (i, Some(c.clone()))),
        );
    } else {
        out.extend(unplaced.into_iter().map(|i| (i, None)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(function: &str, file: &str, line: u32, ids: &[&str]) -> Link {
        Link {
            module_path: None,
            function: function.into(),
            file: file.into(),
            line,
            ids: ids.iter().map(|i| (*i).into()).collect(),
            cases: false,
            plain: false,
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| (*n).into()).collect()
    }

    #[test]
    fn a_record_finds_its_test_by_name_and_by_source_where_names_repeat() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        let lib = "mod a;\nmod b {\n    #[design(S1)]\n    #[test]\n    fn works() {}\n}\n";
        std::fs::write(src.join("lib.rs"), lib).unwrap();
        std::fs::write(src.join("a.rs"), "#[design(S2)]\n#[test]\nfn works() {}\n").unwrap();
        let mut links = vec![
            v2("works", "src/a.rs", 3, &["S2"]),
            v2("works", "src/lib.rs", 5, &["S1"]),
            v2("alone", "src/lib.rs", 9, &["S3"]),
            v2("nowhere", "src/lib.rs", 12, &["S3"]),
        ];
        let all = names(&["a::works", "b::works", "c::works", "deep::alone"]);
        let problems = resolve(&mut links, &all, &[], "kv", &src.join("lib.rs"));
        assert!(problems.is_empty(), "{problems:?}");
        let named: Vec<String> = links.iter().map(Link::test_name).collect();
        assert_eq!(named, ["a::works", "b::works", "deep::alone", "nowhere"]);
        assert_eq!(links[2].module_path.as_deref(), Some("kv::deep"));
        assert_eq!(links[3].module_path, None, "no test: stranded");
    }

    #[test]
    fn a_record_the_source_cannot_place_is_told_and_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("lib.rs");
        std::fs::write(&root, "").unwrap();
        // The same ids: tests a macro made, placed in order.
        let mut same = vec![
            v2("divides", "src/m.rs", 4, &["S2"]),
            v2("divides", "src/m.rs", 4, &["S2"]),
        ];
        let all = names(&["x::divides", "y::divides"]);
        assert!(resolve(&mut same, &all, &[], "kv", &root).is_empty());
        assert_eq!(
            same.iter().map(Link::test_name).collect::<Vec<_>>(),
            ["x::divides", "y::divides"]
        );
        // Different ids: which is which cannot be told.
        let mut differ = vec![
            v2("divides", "src/m.rs", 4, &["S2"]),
            v2("divides", "src/m.rs", 4, &["S3"]),
        ];
        let problems = resolve(&mut differ, &all, &[], "kv", &root);
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0].contains("`divides` (src/m.rs:4) fits 2 tests (x::divides, y::divides)"),
            "{problems:?}"
        );
        assert!(differ.is_empty());
        // A test that a record with its module path claims is no other record's.
        let mut claimed = vec![
            Link {
                module_path: Some("kv::x".into()),
                ..v2("divides", "src/m.rs", 4, &["S2"])
            },
            v2("divides", "src/n.rs", 8, &["S3"]),
        ];
        assert!(resolve(&mut claimed, &all, &[], "kv", &root).is_empty());
        assert_eq!(claimed[1].test_name(), "y::divides");
    }

    #[test]
    fn a_parameterised_record_names_the_path_its_cases_are_under() {
        let mut links = vec![Link {
            cases: true,
            ..v2("adds", "tests/t.rs", 3, &["S1"])
        }];
        let all = names(&["adds::case_1", "adds::case_2", "other"]);
        assert!(resolve(&mut links, &all, &[], "t", Path::new("tests/t.rs")).is_empty());
        assert_eq!(links[0].module_path.as_deref(), Some("t"));
        assert_eq!(links[0].test_name(), "adds");
    }

    #[test]
    fn a_plain_record_is_placed_by_its_harness_or_its_source_never_by_a_namesake() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("lib.rs");
        let lib = "mod b {\n    #[design(S1)]\n    fn stray() {}\n}\n";
        std::fs::write(&root, lib).unwrap();
        let plain = |function: &str, line: u32| Link {
            plain: true,
            ..v2(function, "lib.rs", line, &["S1"])
        };
        // `c::stray` is an untagged test of the same name: the source puts the record in `b`,
        // where nothing runs it.
        let mut links = vec![plain("stray", 3), plain("registered", 9)];
        let all = names(&["c::stray", "a::registered", "z::registered"]);
        let located = [TestInfo {
            name: "z::registered".into(),
            ids: vec!["S1".into()],
            module_path: "kv::z".into(),
            file: "lib.rs".into(),
            line: 9,
            ignored: false,
            ignore_reason: None,
            should_panic: false,
            plan: exemplar_formats::events::Plan::Run,
        }];
        assert!(resolve(&mut links, &all, &located, "kv", &root).is_empty());
        assert_eq!(links[0].test_name(), "b::stray");
        assert_eq!(links[1].test_name(), "z::registered");
    }
}
