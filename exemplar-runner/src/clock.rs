//! The one clock of a run: a wall-clock start and the monotonic time since it.
//!
//! Every time a run writes (its start, each result's timestamp, its end) comes from here, so
//! the end never precedes the start however the system clock moves. The start is also later,
//! by at least a millisecond, than every time the selected missions already hold, so evidence
//! of this run never shares its instant with evidence of an earlier one: a directive edited in
//! the same second as the last run still finds that run's evidence older than its change.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

use crate::discover::MissionPackage;

/// A run's clock.
#[derive(Debug, Clone)]
pub struct RunClock {
    start: Timestamp,
    instant: Instant,
}

impl RunClock {
    /// Start now, or just after the latest time `packages`' missions record.
    pub fn start(packages: &[MissionPackage]) -> RunClock {
        let ms = |t: Timestamp| t.round(jiff::Unit::Millisecond).unwrap_or(t);
        let now = ms(Timestamp::now());
        let latest = packages
            .iter()
            .flat_map(|p| {
                let history = p.mission.history.iter().map(|h| h.timestamp.as_str());
                let signal = p
                    .mission
                    .signal
                    .iter()
                    .filter_map(|s| s.result.as_ref().map(|r| r.timestamp.as_str()));
                history.chain(signal)
            })
            .filter_map(|t| t.parse::<Timestamp>().ok())
            .map(ms)
            .max();
        // Compared at the precision written, so the start never shares a stored millisecond.
        let start = match latest {
            Some(t) if t >= now => t.checked_add(SignedDuration::from_millis(1)).unwrap_or(t),
            _ => now,
        };
        RunClock {
            start,
            instant: Instant::now(),
        }
    }

    /// When the run started.
    pub fn started(&self) -> Timestamp {
        self.start
    }

    /// The start as RFC 3339 UTC with milliseconds (`2026-12-01T13:06:40.123Z`).
    pub fn started_text(&self) -> String {
        rfc3339(self.start)
    }

    /// The monotonic time since the start.
    pub fn elapsed(&self) -> std::time::Duration {
        self.instant.elapsed()
    }

    /// Now, on this run's clock: the start plus the monotonic time elapsed.
    pub fn now(&self) -> Timestamp {
        SignedDuration::try_from(self.instant.elapsed())
            .ok()
            .and_then(|d| self.start.checked_add(d).ok())
            .unwrap_or(self.start)
    }
}

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339(t: Timestamp) -> String {
    format!("{:.3}", t.round(jiff::Unit::Millisecond).unwrap_or(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_never_precedes_the_start_and_text_is_rfc3339() {
        let clock = RunClock::start(&[]);
        let text = clock.started_text();
        assert_eq!(text.len(), "2026-12-01T13:06:40.123Z".len(), "{text}");
        assert_eq!(&text[10..11], "T");
        assert!(clock.now() >= clock.started());
        assert_eq!(text.parse::<Timestamp>().unwrap().as_millisecond(), {
            clock
                .started()
                .round(jiff::Unit::Millisecond)
                .unwrap()
                .as_millisecond()
        });
    }
}
