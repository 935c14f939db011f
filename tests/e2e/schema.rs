//! The mission file's JSON Schema, read by a real validator (Python's `jsonschema`, from PyPI,
//! over YAML loaded as yaml-language-server reads it: timestamps are strings): every mission
//! file the parser accepts here (templates and fixtures) is valid, and files the parser refuses
//! for their shape are refused by the schema too. `new` writes the schema and points the
//! mission at it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Fixture, python_venv, repo_root, stderr, stdout};

const VALIDATE: &str = r#"
import json, sys, yaml
from jsonschema import Draft202012Validator

class Loader(yaml.SafeLoader):
    pass
# YAML 1.2, as editors read it: a timestamp is a string.
Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
for path in sys.argv[2:]:
    errors = sorted(validator.iter_errors(yaml.load(open(path, encoding="utf-8-sig"), Loader)), key=str)
    print(("valid " if not errors else "invalid ") + path + (": " + errors[0].message if errors else ""))
"#;

/// `path` → whether the schema at `schema` finds it valid (and its first complaint).
fn validate(schema: &Path, files: &[PathBuf]) -> Vec<(PathBuf, bool, String)> {
    let python = python_venv("schema-venv", &["jsonschema==4.23.0", "PyYAML==6.0.2"]);
    let out = Command::new(python)
        .args(["-c", VALIDATE])
        .arg(schema)
        .args(files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| {
            let (word, rest) = l.split_once(' ').unwrap();
            let (path, why) = rest.split_once(": ").unwrap_or((rest, ""));
            (PathBuf::from(path), word == "valid", why.to_owned())
        })
        .collect()
}

#[test]
fn every_mission_the_parser_accepts_is_valid_and_bad_shapes_are_refused_by_both() {
    let fx = Fixture::new("basic");
    let schema = fx.path().join("mission.schema.json");
    let out = fx.exemplar(&["schema"]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(&schema, &out.stdout).unwrap();

    let root = repo_root();
    let mut good: Vec<PathBuf> = ["kv", "persist", "hexmap"]
        .iter()
        .map(|t| root.join("templates").join(t).join("mission.yaml"))
        .collect();
    for entry in std::fs::read_dir(root.join("tests/fixtures")).unwrap() {
        let path = entry.unwrap().path().join("mission.yaml");
        if path.exists() {
            good.push(path);
        }
    }
    for path in &good {
        let text = std::fs::read_to_string(path).unwrap();
        exemplar_mission::parse_str(path, &text).unwrap_or_else(|e| panic!("{e}"));
    }
    // Shapes the parser refuses, each a change to the basic fixture's mission.
    let base = fx.read("mission.yaml");
    let bad = [
        (
            "unknown-key",
            base.replacen("name: Passing", "name: Passing\n    owner: me", 1),
        ),
        (
            "bad-status",
            base.replacen("status: proposed", "status: maybe", 1),
        ),
        ("no-name", base.replacen("    name: Passing\n", "", 1)),
        ("top-key", format!("{base}\nextra: 1\n")),
        (
            "bad-outcome",
            format!(
                "{base}\nsignal:\n  - id: T0\n    ref: tests/a.rs::t\n    spec_ids: [S1]\n    result: {{ outcome: great, duration: 0.1, timestamp: 2026-01-01T00:00:00Z }}\n"
            ),
        ),
    ];
    let mut files = good.clone();
    for (name, text) in &bad {
        let path = fx.path().join(format!("{name}.yaml"));
        std::fs::write(&path, text).unwrap();
        assert!(
            exemplar_mission::parse_str(&path, text).is_err(),
            "the parser accepts {name}"
        );
        files.push(path);
    }
    // And shapes the parser accepts though an editor may not expect them: an `x-` key, null
    // lists, a result without a duration, detail values that are not text.
    let extension = fx.path().join("extension.yaml");
    let text = base
        .replacen("name: Passing", "name: Passing\n    x-owner: me", 1)
        .replacen(
            "      invariant: a passing test gives loss 0\n",
            "      invariant: a passing test gives loss 0\n      examples: [1, { a: b }]\n",
            1,
        )
        + "\nsignal:\n  - id: T0\n    ref: tests/a.rs::t\n    spec_ids: ~\n    result: { outcome: passed, timestamp: 2026-01-01T00:00:00Z }\nhistory:\n  - iteration: 1\n    timestamp: 2026-01-01T00:00:00Z\n    loss: 0.5\n    directives: ~\n    design: { added: ~, changed: [S1], removed: [] }\n";
    exemplar_mission::parse_str(&extension, &text).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&extension, &text).unwrap();
    files.push(extension.clone());
    for (name, text) in [
        (
            "result-without-timestamp",
            format!(
                "{base}\nsignal:\n  - id: T0\n    ref: tests/a.rs::t\n    result: {{ outcome: passed }}\n"
            ),
        ),
        (
            "null-history-design",
            format!(
                "{base}\nhistory:\n  - iteration: 1\n    timestamp: 2026-01-01T00:00:00Z\n    loss: 0.5\n    design: ~\n"
            ),
        ),
    ] {
        let path = fx.path().join(format!("{name}.yaml"));
        assert!(
            exemplar_mission::parse_str(&path, &text).is_err(),
            "the parser accepts {name}"
        );
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }

    for (path, valid, why) in validate(&schema, &files) {
        let expected = good.contains(&path) || path == extension;
        assert_eq!(valid, expected, "{}: {why}", path.display());
    }
}

#[test]
fn new_writes_the_schema_beside_the_mission_and_points_editors_at_it() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .args(["exemplar", "new", "--template", "kv"])
        .arg(&project)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mission = std::fs::read_to_string(project.join("mission.yaml")).unwrap();
    assert!(
        mission.starts_with("# yaml-language-server: $schema=./mission.schema.json\n"),
        "{mission}"
    );
    let written = std::fs::read_to_string(project.join("mission.schema.json")).unwrap();
    let printed = Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .args(["exemplar", "schema"])
        .output()
        .unwrap();
    assert_eq!(written, stdout(&printed));
    let results = validate(
        &project.join("mission.schema.json"),
        &[project.join("mission.yaml")],
    );
    assert!(results[0].1, "{}", results[0].2);
}
