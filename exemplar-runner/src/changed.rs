//! `run --changed REV`: the directives whose text changed since a git revision.
//!
//! Each selected mission file is read as it was at `REV` (`git show REV:./FILE` in its
//! folder) and its nodes compared by [`Fingerprint`] (name and detail) with the file as it is:
//! a node that is new, or whose fingerprint differs, changed. A mission file that did not
//! exist at `REV` is new in full. Retired nodes are left out: no test may link to them.

use std::path::Path;

use exemplar_mission::{Fingerprint, Mission, Status};

use crate::discover::Discovery;
use crate::errors::Error;
use crate::git::git;

/// What changed since a revision.
#[derive(Debug, Default)]
pub struct Changed {
    /// The ids of the nodes that changed, mission by mission.
    pub ids: Vec<String>,
    /// Mission files that were not a valid mission at the revision (counted as new in full).
    pub notes: Vec<String>,
}

/// The ids of the directives (and ideas) of the selected missions that changed since `rev`.
pub fn changed_since(discovery: &Discovery, rev: &str) -> Result<Changed, Error> {
    let root = &discovery.root;
    let refuse = |problem: String| Error::Revision {
        rev: rev.to_owned(),
        problem,
    };
    if git(root, &["rev-parse", "--is-inside-work-tree"]).is_none() {
        let where_ = root.display();
        return Err(refuse(format!(
            "{where_} is not in a git repository (or git is missing)"
        )));
    }
    let commit = format!("{rev}^{{commit}}");
    if git(root, &["rev-parse", "--verify", "--quiet", &commit]).is_none() {
        return Err(refuse("not a commit of this repository".into()));
    }
    let mut out = Changed::default();
    for p in &discovery.packages {
        let old = at_revision(&p.mission.path, rev).unwrap_or_else(|problem| {
            out.notes.push(format!(
                "{} at {rev} is not a valid mission ({problem}); all its directives count as changed",
                p.display.display()
            ));
            None
        });
        out.ids.extend(changed_nodes(&p.mission, old.as_ref()));
    }
    Ok(out)
}

/// The mission file at `path` as it was at `rev`: `None` when the file was not there; an
/// error saying why when it was but is no mission.
fn at_revision(path: &Path, rev: &str) -> Result<Option<Mission>, String> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok(None);
    };
    let name = name.to_string_lossy();
    let Some(text) = git(dir, &["show", &format!("{rev}:./{name}")]) else {
        return Ok(None);
    };
    exemplar_mission::parse_str(path, &text)
        .map(Some)
        .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_owned())
}

/// The nodes of `now` that are new since `then`, or whose fingerprint changed.
fn changed_nodes(now: &Mission, then: Option<&Mission>) -> Vec<String> {
    now.design
        .iter()
        .filter(|n| n.status != Status::Retired)
        .filter(|n| {
            let before = then.and_then(|m| m.design.iter().find(|o| o.id == n.id));
            before.is_none_or(|o| Fingerprint::of(o) != Fingerprint::of(n))
        })
        .map(|n| n.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = "id: m\nname: M\ndesign:\n  - id: S0\n    name: T\n    aspect_id: null\n    detail: { type: tenet, content: c }\n  - id: S1\n    name: A\n    aspect_id: S0\n    detail: { invariant: i }\n  - id: S2\n    name: B\n    aspect_id: S0\n    detail: { invariant: j }\n";

    #[test]
    fn new_and_edited_nodes_changed_and_nothing_else() {
        let path = Path::new("mission.yaml");
        let then = exemplar_mission::parse_str(path, BEFORE).unwrap();
        let edited = BEFORE.replace("invariant: j", "invariant: k")
            + "  - id: S3\n    name: C\n    aspect_id: S0\n    detail: { invariant: l }\n  - id: S4\n    name: D\n    aspect_id: S0\n    status: retired\n    detail: { invariant: m }\n";
        let now = exemplar_mission::parse_str(path, &edited).unwrap();
        assert_eq!(changed_nodes(&now, Some(&then)), ["S2", "S3"]);
        assert_eq!(changed_nodes(&then, Some(&then)), Vec::<String>::new());
        assert_eq!(changed_nodes(&then, None), ["S0", "S1", "S2"]);
    }
}
