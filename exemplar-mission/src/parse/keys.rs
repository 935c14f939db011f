//! The keys each mapping of a mission file may have: what the parser accepts, and what the
//! JSON Schema of the file (`cargo exemplar schema`) is generated from. Any mapping may also
//! have keys that begin with `x-`, for tools of the user's own.

/// The top-level mapping.
pub const TOP: &[&str] = &["id", "name", "lang", "design", "signal", "history"];
/// A design node.
pub const NODE: &[&str] = &["id", "name", "aspect_id", "status", "detail"];
/// The `detail:` keys the tool reads (any other key is kept and shown).
pub const DETAIL: &[&str] = &["invariant", "constraint", "tradeoff", "type", "content"];
/// A signal entry.
pub const SIGNAL: &[&str] = &["id", "ref", "spec_ids", "result"];
/// A signal entry's `result:`.
pub const RESULT: &[&str] = &["outcome", "duration", "timestamp"];
/// A history entry.
pub const HISTORY: &[&str] = &[
    "iteration",
    "timestamp",
    "commit",
    "loss",
    "delta",
    "directives",
    "design",
    "note",
    "fingerprints",
    "next_test_id",
];
/// A history entry's `design:` delta.
pub const DELTA: &[&str] = &["added", "changed", "removed"];

/// Keys that begin with this are the user's: accepted anywhere, never read.
pub const EXTENSION_PREFIX: &str = "x-";

// The lists as the parser's messages name them.
pub(super) const TOP_KEYS: &str = "id, name, lang, design, signal, history";
pub(super) const NODE_KEYS: &str = "id, name, aspect_id, status, detail";
pub(super) const SIGNAL_KEYS: &str = "id, ref, spec_ids, result";
pub(super) const RESULT_KEYS: &str = "outcome, duration, timestamp";
pub(super) const HISTORY_KEYS: &str = "iteration, timestamp, commit, loss, delta, directives, design, note, fingerprints, next_test_id";
pub(super) const DELTA_KEYS: &str = "added, changed, removed";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_messages_name_the_keys_accepted() {
        for (list, text) in [
            (TOP, TOP_KEYS),
            (NODE, NODE_KEYS),
            (SIGNAL, SIGNAL_KEYS),
            (RESULT, RESULT_KEYS),
            (HISTORY, HISTORY_KEYS),
            (DELTA, DELTA_KEYS),
        ] {
            assert_eq!(list.join(", "), text);
        }
    }
}
