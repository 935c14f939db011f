//! Upcasters: lift legacy events to the current shape on read, without rewriting history.
//!
//! The registry is immutable once built: [`Upcasters::current`] names the event types of
//! today, [`Upcasters::register`] adds a pure `event -> event` step from an old type. Reading
//! through it applies steps until the event is of a current type; an event of a type that is
//! neither current nor upcastable is [`PersistError::UnknownEventType`], never silently passed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use crate::errors::{PersistError, Result};
use crate::model::Event;

type Step = Arc<dyn Fn(Event) -> Event + Send + Sync>;

/// An immutable registry of upcasters.
#[derive(Clone, Default)]
pub struct Upcasters {
    current: HashSet<String>,
    steps: HashMap<String, Step>,
}

impl Upcasters {
    /// An empty registry.
    pub fn new() -> Upcasters {
        Upcasters::default()
    }

    /// A registry that also accepts `kind` as current.
    pub fn current(mut self, kind: &str) -> Upcasters {
        self.current.insert(kind.to_owned());
        self
    }

    /// A registry that also lifts events of type `from` with `step`.
    pub fn register(
        mut self,
        from: &str,
        step: impl Fn(Event) -> Event + Send + Sync + 'static,
    ) -> Upcasters {
        self.steps.insert(from.to_owned(), Arc::new(step));
        self
    }

    /// Lift one event to a current type.
    pub fn upcast(&self, mut e: Event) -> Result<Event> {
        for _ in 0..64 {
            if self.current.contains(&e.kind) {
                return Ok(e);
            }
            match self.steps.get(&e.kind) {
                Some(step) => e = step(e),
                None => break,
            }
        }
        Err(PersistError::UnknownEventType {
            stream: e.stream,
            seq: e.seq,
            kind: e.kind,
        })
    }
}

/// A new shape of `e`: type `kind`, with `fields` merged into its data (existing fields kept
/// unless `fields` overrides them).
pub fn upcast_data(mut e: Event, kind: &str, fields: Value) -> Event {
    e.kind = kind.to_owned();
    if let (Value::Object(data), Value::Object(new)) = (&mut e.data, fields) {
        for (k, v) in new {
            data.insert(k, v);
        }
    }
    e
}
