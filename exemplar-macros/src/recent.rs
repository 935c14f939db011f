//! The last answer of a lookup, reused for a second for the same key before the files behind
//! it are looked at again. The compiler calls `#[design]` once per tag: a `stat` per tag was a
//! tenth of what the macro cost, while a long-lived proc-macro server (rust-analyzer) still
//! sees an edit within a second.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an answer is reused.
const REUSE: Duration = Duration::from_secs(1);

/// The last answer, its key, and when it was made.
pub(crate) struct Recent<K, V> {
    last: Mutex<Option<(K, Instant, V)>>,
}

impl<K: PartialEq, V: Clone> Recent<K, V> {
    /// Nothing yet.
    pub(crate) const fn new() -> Self {
        Recent {
            last: Mutex::new(None),
        }
    }

    /// The answer for `key`: the last one if it is for `key` and under a second old, else
    /// `make(&key)`, kept.
    pub(crate) fn get(&self, key: K, make: impl FnOnce(&K) -> V) -> V {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((k, at, value)) = last.as_ref()
            && *k == key
            && at.elapsed() < REUSE
        {
            return value.clone();
        }
        let value = make(&key);
        *last = Some((key, Instant::now(), value.clone()));
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_reused_for_its_key_only() {
        let recent: Recent<&str, u32> = Recent::new();
        let mut made = 0;
        let mut get = |key| {
            recent.get(key, |_| {
                made += 1;
                made
            })
        };
        assert_eq!(get("a"), 1);
        assert_eq!(get("a"), 1, "reused");
        assert_eq!(get("b"), 2, "another key is made");
        assert_eq!(get("a"), 3, "only the last answer is kept");
    }
}
