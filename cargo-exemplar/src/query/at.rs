//! `--at`: a run, a commit or a time, in the forms people type.
//!
//! A time is RFC 3339 (`2026-12-01T21:00:00Z`), a local date and time (`2026-12-01 21:00`), a
//! date (the end of that day, or now for today), or a time of today (`21:00`, `21:00:30`,
//! `9pm`). A time still to come is refused rather than guessed at: `--at 07:47` before 07:47
//! is an error, not yesterday morning.

use exemplar_store::{At, Index};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

use crate::errors::Error;

/// Parse `--at`: a run (`latest`, `latest~N`, an id or a unique prefix), a commit, or a time.
pub fn parse_at(ix: &Index, spec: &str) -> Result<At, Error> {
    if ix.find_run(spec).is_ok() {
        return Ok(At::Run(spec.to_owned()));
    }
    let hex = spec.len() >= 4 && spec.chars().all(|c| c.is_ascii_hexdigit());
    if hex && ix.resolve_at(&At::Commit(spec.to_owned())).is_ok() {
        return Ok(At::Commit(spec.to_owned()));
    }
    match parse_time(spec, &Zoned::now()) {
        Ok(t) => Ok(At::Time(t)),
        Err(TimeError::Future(when)) => Err(Error::Usage(format!(
            "--at {spec}: {when} has not come yet; give a time in the past"
        ))),
        Err(TimeError::Unreadable) => Err(Error::Usage(format!(
            "--at {spec}: not a run (an id, `latest`, `latest~N`), a commit of a recorded run, or a time (2026-12-01T21:00:00Z, 2026-12-01 21:00, 2026-12-01, 21:00, 21:00:30, 9pm)"
        ))),
    }
}

/// Why a time was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum TimeError {
    /// None of the forms.
    Unreadable,
    /// It is later than now (the time, in words).
    Future(String),
}

/// A time in the forms people type, as unix seconds; local time unless a zone is given.
/// `now` is the present (and its time zone).
pub fn parse_time(spec: &str, now: &Zoned) -> Result<i64, TimeError> {
    let tz = now.time_zone().clone();
    let spec = spec.trim();
    let date_only = spec.len() == 10 && spec.parse::<Date>().is_ok();
    let at: Timestamp = if let Ok(ts) = spec.parse::<Timestamp>() {
        ts
    } else if date_only {
        let d: Date = spec.parse().map_err(|_| TimeError::Unreadable)?;
        if d == now.date() {
            return Ok(now.timestamp().as_second());
        }
        zoned(d.at(23, 59, 59, 0), &tz)?
    } else if let Ok(dt) = spec.replace(' ', "T").parse::<DateTime>() {
        zoned(dt, &tz)?
    } else {
        zoned(now.date().to_datetime(time_of_day(spec)?), &tz)?
    };
    if at > now.timestamp() {
        return Err(TimeError::Future(at.to_string()));
    }
    Ok(at.as_second())
}

fn zoned(dt: DateTime, tz: &TimeZone) -> Result<Timestamp, TimeError> {
    dt.to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|_| TimeError::Unreadable)
}

/// `21:00`, `21:00:30`, `9pm`, `9:30am`.
fn time_of_day(spec: &str) -> Result<Time, TimeError> {
    let s = spec.to_ascii_lowercase();
    let (body, pm) = match (s.strip_suffix("pm"), s.strip_suffix("am")) {
        (Some(b), _) => (b.trim(), Some(true)),
        (_, Some(b)) => (b.trim(), Some(false)),
        _ => (s.as_str(), None),
    };
    let parts: Vec<i8> = body
        .split(':')
        .map(|p| p.parse::<i8>().map_err(|_| TimeError::Unreadable))
        .collect::<Result<_, _>>()?;
    let (h, m, sec) = match parts.as_slice() {
        [h] if pm.is_some() => (*h, 0, 0),
        [h, m] => (*h, *m, 0),
        [h, m, s] => (*h, *m, *s),
        _ => return Err(TimeError::Unreadable),
    };
    let h = match pm {
        Some(true) if (1..=11).contains(&h) => h + 12,
        Some(false) if h == 12 => 0,
        Some(_) if !(1..=12).contains(&h) => return Err(TimeError::Unreadable),
        _ => h,
    };
    Time::new(h, m, sec, 0).map_err(|_| TimeError::Unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Zoned {
        "2026-12-01T14:00:00+00:00[UTC]".parse().unwrap()
    }

    fn at(spec: &str) -> Result<String, TimeError> {
        parse_time(spec, &now()).map(|s| Timestamp::from_second(s).unwrap().to_string())
    }

    #[test]
    fn every_form_people_type() {
        let cases = [
            ("2026-12-01T09:30:00Z", "2026-12-01T09:30:00Z"),
            ("2026-12-01T10:30:00+01:00", "2026-12-01T09:30:00Z"),
            ("2026-12-01 09:30", "2026-12-01T09:30:00Z"),
            ("2026-11-30", "2026-11-30T23:59:59Z"),
            ("2026-12-01", "2026-12-01T14:00:00Z"),
            ("07:47", "2026-12-01T07:47:00Z"),
            ("07:47:30", "2026-12-01T07:47:30Z"),
            ("9am", "2026-12-01T09:00:00Z"),
            ("1:30pm", "2026-12-01T13:30:00Z"),
        ];
        for (spec, want) in cases {
            assert_eq!(at(spec).as_deref(), Ok(want), "{spec}");
        }
    }

    #[test]
    fn a_time_still_to_come_is_refused_not_guessed() {
        for spec in ["15:00", "9pm", "2026-12-02", "2026-12-01T15:00:00Z"] {
            assert!(
                matches!(at(spec), Err(TimeError::Future(_))),
                "{spec}: {:?}",
                at(spec)
            );
        }
        for spec in ["25:00", "yesterday", "9", "7:61"] {
            assert_eq!(at(spec), Err(TimeError::Unreadable), "{spec}");
        }
    }
}
