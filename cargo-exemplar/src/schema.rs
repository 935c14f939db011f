//! The JSON Schema of a mission file (draft 2020-12), for editors and agents: generated from the
//! parser's own lists of keys ([`exemplar_mission::parse::keys`]), statuses and outcomes, so the
//! two cannot drift apart. `cargo exemplar schema` prints it; `new` and `init` write it beside
//! the mission file as [`SCHEMA_FILE`], with a [`modeline`] that points YAML editors at it.
//!
//! It describes what the parser accepts, not more: what only the parser can check (that ids
//! are unique, that a parent exists, that the tree has no cycle) it leaves to `cargo exemplar`.

use exemplar_formats::Outcome;
use exemplar_formats::design::Status;
use exemplar_mission::parse::keys;
use serde_json::{Map, Value, json};

/// The schema's file name, beside the mission file.
pub const SCHEMA_FILE: &str = "mission.schema.json";

/// The first line of a mission file that tells yaml-language-server (VS Code's YAML extension,
/// Helix, Neovim, Zed...) where its schema is, relative to the file.
pub fn modeline() -> String {
    format!("# yaml-language-server: $schema=./{SCHEMA_FILE}")
}

/// `text` with the modeline first, unless it has one already.
pub fn with_modeline(text: &str) -> String {
    if text
        .lines()
        .any(|l| l.starts_with("# yaml-language-server:"))
    {
        return text.to_owned();
    }
    format!("{}\n{text}", modeline())
}

/// A mapping of `keys` (each described by `describe`), plus the user's `x-` keys, nothing else.
fn object(keys: &[&str], required: &[&str], describe: impl Fn(&str) -> Value) -> Value {
    let properties: Map<String, Value> = keys
        .iter()
        .map(|k| ((*k).to_owned(), describe(k)))
        .collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "patternProperties": { format!("^{}", keys::EXTENSION_PREFIX): {} },
        "additionalProperties": false
    })
}

fn text() -> Value {
    json!({ "type": ["string", "number", "boolean"] })
}

fn text_or_null() -> Value {
    json!({ "type": ["string", "number", "boolean", "null"] })
}

fn number_or_null() -> Value {
    json!({ "type": ["number", "null"] })
}

/// A list of scalars, or null (the parser reads null as an empty list).
fn scalars_or_null() -> Value {
    json!({ "type": ["array", "null"], "items": text() })
}

/// `cargo exemplar schema`: the schema on stdout.
pub fn command() -> Result<crate::ExitCode, crate::Error> {
    let text = serde_json::to_string_pretty(&mission_schema()).expect("the schema serializes");
    println!("{text}");
    Ok(crate::ExitCode::Ok)
}

/// The schema.
pub fn mission_schema() -> Value {
    let statuses: Vec<&str> = [Status::Proposed, Status::Active, Status::Retired]
        .map(Status::as_str)
        .to_vec();
    let outcomes: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
    let node = object(keys::NODE, &["id", "name"], |k| match k {
        "aspect_id" => {
            json!({ "type": ["string", "null"], "description": "the parent's id; null for an idea" })
        }
        "status" => json!({ "enum": statuses, "default": "active" }),
        "detail" => {
            let known: Map<String, Value> = keys::DETAIL
                .iter()
                .map(|d| ((*d).to_owned(), text()))
                .collect();
            json!({ "type": ["object", "null"], "properties": known, "additionalProperties": true, "description": "invariant and constraint for a directive; type and content for an idea; any other key is kept" })
        }
        _ => text(),
    });
    let result = object(keys::RESULT, &["outcome", "timestamp"], |k| match k {
        "outcome" => json!({ "enum": outcomes }),
        "duration" => json!({ "type": "number", "minimum": 0 }),
        _ => json!({ "type": "string", "description": "RFC 3339" }),
    });
    let signal = object(keys::SIGNAL, &["id", "ref"], |k| match k {
        "spec_ids" => scalars_or_null(),
        "result" => json!({ "anyOf": [result, { "type": "null" }] }),
        _ => text(),
    });
    let delta = object(keys::DELTA, &[], |_| scalars_or_null());
    let history = object(
        keys::HISTORY,
        &["iteration", "timestamp", "loss"],
        |k| match k {
            "iteration" | "next_test_id" => json!({ "type": "integer", "minimum": 0 }),
            "timestamp" => json!({ "type": "string", "description": "RFC 3339" }),
            "loss" => json!({ "type": "number" }),
            "delta" => number_or_null(),
            "directives" => {
                json!({ "type": ["object", "null"], "additionalProperties": { "type": "number" } })
            }
            "design" => delta.clone(),
            "fingerprints" => {
                json!({ "type": ["object", "null"], "additionalProperties": text() })
            }
            _ => text_or_null(),
        },
    );
    let top = object(keys::TOP, &["id", "name", "design"], |k| match k {
        "design" => json!({ "type": ["array", "null"], "items": node }),
        "signal" => {
            json!({ "type": ["array", "null"], "items": signal, "description": "written by cargo exemplar run" })
        }
        "history" => {
            json!({ "type": ["array", "null"], "items": history, "description": "written by cargo exemplar run" })
        }
        "lang" => text_or_null(),
        _ => text(),
    });
    let mut schema = Map::new();
    schema.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    schema.insert("title".into(), json!("cargo exemplar mission file"));
    schema.insert(
        "description".into(),
        json!("A design as a tree of ideas and directives, with the signal and history cargo exemplar writes."),
    );
    if let Value::Object(fields) = top {
        schema.extend(fields);
    }
    Value::Object(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_names_every_key_the_parser_accepts_and_no_other() {
        let s = mission_schema();
        let props = |v: &Value| -> Vec<String> {
            let mut k: Vec<String> = v["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            k.sort();
            k
        };
        let sorted = |l: &[&str]| -> Vec<String> {
            let mut k: Vec<String> = l.iter().map(|s| s.to_string()).collect();
            k.sort();
            k
        };
        assert_eq!(props(&s), sorted(keys::TOP));
        assert_eq!(
            props(&s["properties"]["design"]["items"]),
            sorted(keys::NODE)
        );
        let signal = &s["properties"]["signal"]["items"];
        assert_eq!(props(signal), sorted(keys::SIGNAL));
        assert_eq!(
            props(&signal["properties"]["result"]["anyOf"][0]),
            sorted(keys::RESULT)
        );
        let history = &s["properties"]["history"]["items"];
        assert_eq!(props(history), sorted(keys::HISTORY));
        assert_eq!(props(&history["properties"]["design"]), sorted(keys::DELTA));
        assert_eq!(
            with_modeline("id: x\n"),
            "# yaml-language-server: $schema=./mission.schema.json\nid: x\n"
        );
        assert_eq!(
            with_modeline(&with_modeline("id: x\n")),
            with_modeline("id: x\n")
        );
    }
}
