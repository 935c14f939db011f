//! Which directives a test of another runner verifies: `@design(S1, S2)` markers.
//!
//! A marker sits in the test's docstring (Python), in the comments or attributes just above
//! its definition (`# @design(S1)`, `// @design(S1)`, `#[design(S1)]`, a `@design(S1)`
//! decorator), on the definition's own line, or in the test's name (a jest title such as
//! `"acks writes @design(S1)"`). Reports that carry no docstrings have their markers read from
//! the test's source file: at the line the report gives, else by the function's name — in the
//! file the report names, else anywhere under the source root, where a name defined in more
//! than one file is left unlinked (and said so), never guessed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The ids of the first `@design(...)` (or `#[design(...)]`) marker in `text`: ids separated
/// by commas or spaces, up to the first token that is not an id. `None` without a marker.
pub fn marker(text: &str) -> Option<Vec<String>> {
    let mut rest = text;
    while let Some(at) = rest.find("design(") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + "design(".len()..];
        rest = after;
        if !matches!(before, Some('@' | '[' | ':')) {
            continue;
        }
        let inner = &after[..after.find(')')?];
        // Ids up to the first `key = value` (the attribute's options) or anything else.
        let ids: Vec<String> = inner
            .split(',')
            .take_while(|part| !part.contains('='))
            .flat_map(|part| part.split_whitespace())
            .take_while(|t| is_id(t))
            .map(str::to_owned)
            .collect();
        return Some(ids);
    }
    None
}

/// The ids of a property's value (`S1, S2` or `S1 S2`).
pub fn id_list(value: &str) -> Vec<String> {
    value
        .split([',', ' ', '\t'])
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn is_id(t: &str) -> bool {
    let mut chars = t.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Where a test's definition was found, and the ids its marker names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The definition, and its marker's ids (`None`: no marker).
    At {
        /// The file, relative to the source root.
        file: String,
        /// 1-based line of the definition.
        line: u32,
        /// The marker's ids.
        ids: Option<Vec<String>>,
    },
    /// Defined in several files: which.
    Ambiguous(Vec<String>),
    /// Not found.
    Nowhere,
}

/// The source files under a root, read as needed, with an index of the functions they define
/// built the first time a test has to be found by name alone.
pub struct Sources {
    root: PathBuf,
    files: HashMap<String, Option<SourceFile>>,
    by_name: Option<HashMap<String, Vec<(String, u32)>>>,
}

/// A source file read: its lines, and where each function is first defined.
struct SourceFile {
    lines: Vec<String>,
    first: HashMap<String, usize>,
}

impl SourceFile {
    fn read(path: &Path) -> Option<SourceFile> {
        let text = std::fs::read_to_string(path).ok()?;
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut first = HashMap::new();
        for (i, line) in lines.iter().enumerate() {
            if let Some(name) = defines(line) {
                first.entry(name.to_owned()).or_insert(i);
            }
        }
        Some(SourceFile { lines, first })
    }

    /// The line index of the definition of `name`: near `line` (1-based) when given, else
    /// the first after `class` when given, else the first in the file.
    fn find(&self, line: Option<u32>, class: Option<&str>, name: &str) -> Option<usize> {
        let lines = &self.lines;
        let near = line.and_then(|l| {
            let l = l as usize;
            (l.saturating_sub(2)..(l + 2).min(lines.len()))
                .find(|&i| defines(&lines[i]) == Some(name))
        });
        let in_class = || {
            let class = class?;
            let start = lines.iter().position(|l| defines_class(l) == Some(class))?;
            (start + 1..lines.len()).find(|&i| defines(&lines[i]) == Some(name))
        };
        near.or_else(in_class)
            .or_else(|| self.first.get(name).copied())
    }
}

/// Extensions of the source files searched by name.
const SOURCE_EXTENSIONS: &[&str] = &["py", "go", "rs", "js", "mjs", "cjs", "ts", "jsx", "tsx"];
/// Folders never searched.
const SKIPPED_DIRS: &[&str] = &[
    "target",
    "node_modules",
    "__pycache__",
    "venv",
    "dist",
    "build",
    "vendor",
];

impl Sources {
    /// The sources under `root`.
    pub fn new(root: &Path) -> Sources {
        Sources {
            root: root.to_owned(),
            files: HashMap::new(),
            by_name: None,
        }
    }

    /// Whether `file` (relative to the root) exists.
    pub fn exists(&self, file: &str) -> bool {
        self.root.join(file).is_file()
    }

    /// The definition of function `name` in `file`, near `line` (1-based) when given, else in
    /// `class` when given, else the first in the file.
    pub fn in_file(
        &mut self,
        file: &str,
        line: Option<u32>,
        class: Option<&str>,
        name: &str,
    ) -> Found {
        let root = &self.root;
        let Some(source) = self
            .files
            .entry(file.to_owned())
            .or_insert_with(|| SourceFile::read(&root.join(file)))
        else {
            return Found::Nowhere;
        };
        match source.find(line, class, name) {
            Some(i) => Found::At {
                file: file.to_owned(),
                line: i as u32 + 1,
                ids: marker_near(&source.lines, i),
            },
            None => Found::Nowhere,
        }
    }

    /// The definition of function `name` anywhere under the root; `hint` (a JUnit classname
    /// or a package path) chooses among several.
    pub fn anywhere(&mut self, name: &str, hint: &str) -> Found {
        let index = self.by_name.get_or_insert_with(|| index(&self.root));
        let Some(places) = index.get(name) else {
            return Found::Nowhere;
        };
        let mut places = places.clone();
        if places.len() > 1 {
            let narrowed: Vec<(String, u32)> = places
                .iter()
                .filter(|(f, _)| matches_hint(f, hint))
                .cloned()
                .collect();
            if !narrowed.is_empty() {
                places = narrowed;
            }
        }
        let files: Vec<&String> = places.iter().map(|(f, _)| f).collect();
        if files.iter().any(|f| *f != files[0]) {
            let mut files: Vec<String> = files.into_iter().cloned().collect();
            files.dedup();
            return Found::Ambiguous(files);
        }
        let (file, line) = places[0].clone();
        self.in_file(&file, Some(line), None, name)
    }
}

/// The name of the Python class `line` defines, if it defines one.
fn defines_class(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("class ")?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let next = rest[end..].trim_start().chars().next();
    (end > 0 && matches!(next, Some('(' | ':'))).then_some(&rest[..end])
}

/// Whether `file` fits a JUnit classname or package path: `tests.test_kv` fits
/// `tests/test_kv.py`; `example.com/kv/store` fits `store/kv_test.go`.
fn matches_hint(file: &str, hint: &str) -> bool {
    if hint.is_empty() {
        return false;
    }
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let dotted = stem.replace('/', ".");
    let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
    hint.starts_with(&dotted)
        || dotted.ends_with(hint)
        || (!dir.is_empty() && (hint.ends_with(dir) || hint.ends_with(&dir.replace('/', "."))))
}

/// The name of the function `line` defines, if it defines one: `def name(`, `async def`,
/// `fn name(` (with `pub` and `async`), `func name(` and `func (r *T) name(`.
pub fn defines(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    for prefix in ["pub(crate) ", "pub(super) ", "pub ", "async ", "unsafe "] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest).trim_start();
    }
    rest = ["def ", "fn ", "func "]
        .iter()
        .find_map(|k| rest.strip_prefix(k))?
        .trim_start();
    if rest.starts_with('(') {
        // A Go method: skip its receiver.
        rest = rest[rest.find(')')? + 1..].trim_start();
    }
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    let next = rest[end..].trim_start().chars().next();
    (!name.is_empty() && matches!(next, Some('(' | '<' | '['))).then_some(name)
}

/// The marker of the definition at `lines[at]`: on its line, in the comments, decorators and
/// attributes just above it, or in the docstring just below it.
fn marker_near(lines: &[String], at: usize) -> Option<Vec<String>> {
    if let Some(ids) = marker(&lines[at]) {
        return Some(ids);
    }
    for line in lines[..at].iter().rev() {
        let t = line.trim_start();
        let annotation = ["#", "//", "/*", "*", "@"].iter().any(|p| t.starts_with(p));
        if !annotation {
            break;
        }
        if let Some(ids) = marker(t) {
            return Some(ids);
        }
    }
    docstring_marker(lines, at)
}

/// The marker in the docstring of the Python function defined at `lines[at]`.
fn docstring_marker(lines: &[String], at: usize) -> Option<Vec<String>> {
    // The signature may span lines: the body starts after the line that ends with `:`.
    let body = (at..lines.len().min(at + 20)).find(|&i| {
        let code = lines[i].split('#').next().unwrap_or("").trim_end();
        code.ends_with(':')
    })? + 1;
    let first = lines
        .get(body..)?
        .iter()
        .position(|l| !l.trim().is_empty())?
        + body;
    let opening = lines[first].trim_start();
    let opening = opening.trim_start_matches(['r', 'R', 'u', 'U']);
    let quote = ["\"\"\"", "'''"]
        .into_iter()
        .find(|q| opening.starts_with(q))?;
    let mut text = String::new();
    for (n, line) in lines[first..].iter().enumerate() {
        text.push_str(line);
        text.push('\n');
        let closes = if n == 0 {
            opening[3..].contains(quote)
        } else {
            line.contains(quote)
        };
        if closes {
            break;
        }
    }
    marker(&text)
}

/// Every function defined under `root`, by name, with its file (relative, `/`-separated) and
/// 1-based line.
fn index(root: &Path) -> HashMap<String, Vec<(String, u32)>> {
    let mut out: HashMap<String, Vec<(String, u32)>> = HashMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()) {
                    stack.push(path);
                }
                continue;
            }
            let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
            if !SOURCE_EXTENSIONS.contains(&ext) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            for (i, line) in text.lines().enumerate() {
                if let Some(f) = defines(line) {
                    out.entry(f.to_owned())
                        .or_default()
                        .push((rel.clone(), i as u32 + 1));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_in_every_spelling() {
        let ids = |t: &str| marker(t).map(|v| v.join(","));
        assert_eq!(ids("    @design(S1)").as_deref(), Some("S1"));
        assert_eq!(ids("# @design(S1, S3)").as_deref(), Some("S1,S3"));
        assert_eq!(ids("#[design(S2 S4)]").as_deref(), Some("S2,S4"));
        assert_eq!(ids("#[exemplar::design(S2)]").as_deref(), Some("S2"));
        assert_eq!(ids("#[design(S1, cases = 3)]").as_deref(), Some("S1"));
        assert_eq!(ids("acks writes @design(S1)").as_deref(), Some("S1"));
        assert_eq!(ids("redesign(S1)"), None);
        assert_eq!(ids("no marker"), None);
    }

    #[test]
    fn definitions_in_python_go_and_rust() {
        assert_eq!(defines("def test_wal(store):"), Some("test_wal"));
        assert_eq!(defines("    async def test_io() -> None:"), Some("test_io"));
        assert_eq!(defines("func TestWAL(t *testing.T) {"), Some("TestWAL"));
        assert_eq!(
            defines("func (s *Suite) TestRecover() {"),
            Some("TestRecover")
        );
        assert_eq!(defines("pub async fn recovers<T>() {"), Some("recovers"));
        assert_eq!(defines("fn parse_case[T any]()"), Some("parse_case"));
        assert_eq!(defines("define(x)"), None);
        assert_eq!(defines("# def commented(): nothing"), None);
    }

    #[test]
    fn a_marker_above_on_or_below_a_definition() {
        let dir = tempfile::tempdir().unwrap();
        let py = "import os\n\n\n@pytest.mark.slow\ndef test_wal(\n    tmp_path,\n):\n    \"\"\"Order.\n\n    @design(S1)\n    \"\"\"\n    pass\n\n\ndef test_plain():\n    '''No marker here.'''\n\n\ndef test_one_line():\n    \"\"\"@design(S2)\"\"\"\n";
        std::fs::write(dir.path().join("test_kv.py"), py).unwrap();
        std::fs::create_dir(dir.path().join("store")).unwrap();
        let go = "package store\n\n// TestWAL checks the log.\n// @design(S1, S3)\nfunc TestWAL(t *testing.T) {}\n";
        std::fs::write(dir.path().join("store/kv_test.go"), go).unwrap();
        std::fs::write(
            dir.path().join("store/other_test.go"),
            "func TestPlain(t *T) {} // @design(S4)\nfunc test_plain() {}\n",
        )
        .unwrap();
        let mut src = Sources::new(dir.path());
        let ids = |f: Found| match f {
            Found::At { ids, .. } => ids,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            ids(src.in_file("test_kv.py", Some(5), None, "test_wal")),
            Some(vec!["S1".into()])
        );
        assert_eq!(
            ids(src.in_file("test_kv.py", None, None, "test_plain")),
            None
        );
        assert_eq!(
            ids(src.in_file("test_kv.py", None, None, "test_one_line")),
            Some(vec!["S2".into()])
        );
        assert_eq!(
            ids(src.anywhere("TestWAL", "")),
            Some(vec!["S1".into(), "S3".into()])
        );
        assert_eq!(ids(src.anywhere("TestPlain", "")), Some(vec!["S4".into()]));
        // Defined in two files: the hint decides, else nothing is guessed.
        assert!(matches!(src.anywhere("test_plain", ""), Found::Ambiguous(f) if f.len() == 2));
        assert!(
            matches!(src.anywhere("test_plain", "test_kv"), Found::At { ref file, .. } if file == "test_kv.py")
        );
        assert_eq!(src.anywhere("test_missing", ""), Found::Nowhere);
        // The same method name in two classes of one file: the class decides.
        let classes = "class TestA:\n    def test_x(self):\n        \"\"\"@design(S1)\"\"\"\n\n\nclass TestB(Base):\n    def test_x(self):\n        \"\"\"@design(S2)\"\"\"\n";
        std::fs::write(dir.path().join("test_cls.py"), classes).unwrap();
        assert_eq!(
            ids(src.in_file("test_cls.py", None, Some("TestB"), "test_x")),
            Some(vec!["S2".into()])
        );
        assert_eq!(
            ids(src.in_file("test_cls.py", None, Some("TestA"), "test_x")),
            Some(vec!["S1".into()])
        );
    }
}
