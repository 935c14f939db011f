//! Materialized views: a stream, a fold and a snapshot name, kept current.
//!
//! A [`View`] starts from its snapshot (or nothing) and folds the tail. Registered with a
//! [`Hub`], it is refreshed incrementally after every publish, so [`View::peek`] is an O(1)
//! read of the current state; [`View::value`] additionally folds whatever tail exists (events
//! appended behind the hub's back), so it is never stale.

use std::sync::{Arc, Mutex};

use crate::backend::Backend;
use crate::errors::Result;
use crate::model::{Event, NewEvent, State};
use crate::store::Store;

/// A materialized view.
pub struct View<T> {
    stream: String,
    step: fn(T, &Event) -> T,
    state: Mutex<State<T>>,
}

impl<T: Clone + serde::Serialize + serde::de::DeserializeOwned> View<T> {
    /// The view of `stream` folded with `step`, starting from snapshot `snapshot` if any.
    pub fn new<B: Backend>(
        store: &Store<B>,
        stream: &str,
        snapshot: &str,
        init: T,
        step: fn(T, &Event) -> T,
    ) -> Result<View<T>> {
        let state = store.replay(snapshot, stream, init, step)?;
        Ok(View {
            stream: stream.to_owned(),
            step,
            state: Mutex::new(state),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state as of the last refresh: O(1).
    pub fn peek(&self) -> State<T> {
        self.lock().clone()
    }

    /// Fold the events appended since the last refresh.
    pub fn refresh<B: Backend>(&self, store: &Store<B>) -> Result<()> {
        let mut s = self.lock();
        let cur = State {
            value: s.value.clone(),
            seq: s.seq,
        };
        *s = store.project_resume(&self.stream, cur, self.step)?;
        Ok(())
    }

    /// The current state, including any tail: never stale.
    pub fn value<B: Backend>(&self, store: &Store<B>) -> Result<State<T>> {
        self.refresh(store)?;
        Ok(self.peek())
    }

    /// The stream it folds.
    pub fn stream(&self) -> &str {
        &self.stream
    }
}

/// Something a hub can refresh.
pub trait Refresh<B: Backend>: Send + Sync {
    /// The stream it follows.
    fn follows(&self) -> &str;
    /// Bring it up to date.
    fn refresh_from(&self, store: &Store<B>) -> Result<()>;
}

impl<B: Backend, T> Refresh<B> for View<T>
where
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned,
{
    fn follows(&self) -> &str {
        &self.stream
    }
    fn refresh_from(&self, store: &Store<B>) -> Result<()> {
        self.refresh(store)
    }
}

/// A store with views attached: publishing appends and refreshes the views of that stream.
pub struct Hub<B: Backend> {
    store: Arc<Store<B>>,
    views: Mutex<Vec<Arc<dyn Refresh<B>>>>,
}

impl<B: Backend> Hub<B> {
    /// A hub over a store.
    pub fn new(store: Arc<Store<B>>) -> Hub<B> {
        Hub {
            store,
            views: Mutex::new(Vec::new()),
        }
    }

    /// Attach a view.
    pub fn attach(&self, view: Arc<dyn Refresh<B>>) {
        self.views
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(view);
    }

    /// Append (in the global order) and refresh the views following the stream.
    pub fn publish(&self, stream: &str, events: Vec<NewEvent>) -> Result<Vec<Event>> {
        let written = self.store.gappend(stream, events)?;
        for v in self.views.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            if v.follows() == stream {
                v.refresh_from(&self.store)?;
            }
        }
        Ok(written)
    }

    /// The store.
    pub fn store(&self) -> &Store<B> {
        &self.store
    }
}
