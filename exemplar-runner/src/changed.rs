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

/// The ids of the directives (and ideas) of the selected missions that changed since `rev`.
pub fn changed_since(discovery: &Discovery, rev: &str) -> Result<Vec<String>, Error> {
    if git(
        &discovery.root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .is_none()
    {
        return Err(Error::Revision {
            rev: rev.to_owned(),
        });
    }
    let mut out = Vec::new();
    for p in &discovery.packages {
        let old = at_revision(&p.mission.path, rev);
        out.extend(changed_nodes(&p.mission, old.as_ref()));
    }
    Ok(out)
}

/// The mission file at `path` as it was at `rev` (`None`: not there, or not a mission then).
fn at_revision(path: &Path, rev: &str) -> Option<Mission> {
    let dir = path.parent()?;
    let name = path.file_name()?.to_string_lossy();
    let text = git(dir, &["show", &format!("{rev}:./{name}")])?;
    exemplar_mission::parse_str(path, &text).ok()
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
