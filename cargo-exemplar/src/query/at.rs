//! `--at`: a run, a commit or a time, in the forms people type.

use exemplar_store::{At, Index};

use crate::errors::Error;

/// Parse `--at`: a run, a commit, or a time.
pub fn parse_at(ix: &Index, spec: &str) -> Result<At, Error> {
    if ix.find_run(spec).is_ok() {
        return Ok(At::Run(spec.to_owned()));
    }
    let hex = spec.len() >= 4 && spec.chars().all(|c| c.is_ascii_hexdigit());
    if hex && ix.resolve_at(&At::Commit(spec.to_owned())).is_ok() {
        return Ok(At::Commit(spec.to_owned()));
    }
    parse_time(spec)
        .map(At::Time)
        .ok_or_else(|| Error::Usage(format!(
            "--at {spec}: not a run id, a commit of a recorded run, or a time (2025-12-01T21:00:00Z, 2025-12-01 21:00, 21:00, 9pm)"
        )))
}

/// A time in the forms people type, local time unless a zone is given.
pub fn parse_time(spec: &str) -> Option<i64> {
    use jiff::civil::{Date, DateTime, Time};
    use jiff::tz::TimeZone;
    if let Ok(ts) = spec.parse::<jiff::Timestamp>() {
        return Some(ts.as_second());
    }
    let tz = TimeZone::system();
    let normalized = spec.trim().replace(' ', "T");
    if let Ok(dt) = normalized.parse::<DateTime>() {
        return dt.to_zoned(tz).ok().map(|z| z.timestamp().as_second());
    }
    if let Ok(d) = spec.trim().parse::<Date>() {
        return d
            .at(23, 59, 59, 0)
            .to_zoned(tz)
            .ok()
            .map(|z| z.timestamp().as_second());
    }
    // 21:00, 9pm, 9:30pm: the last such moment (today, or yesterday if that is still ahead).
    let s = spec.trim().to_ascii_lowercase();
    let (body, pm) = if let Some(b) = s.strip_suffix("pm") {
        (b.trim().to_owned(), Some(true))
    } else if let Some(b) = s.strip_suffix("am") {
        (b.trim().to_owned(), Some(false))
    } else {
        (s.clone(), None)
    };
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?),
        None => (body.parse::<i8>().ok()?, 0),
    };
    let h = match pm {
        Some(true) if (1..=11).contains(&h) => h + 12,
        Some(false) if h == 12 => 0,
        Some(_) if !(1..=12).contains(&h) => return None,
        _ => h,
    };
    let t = Time::new(h, m, 0, 0).ok()?;
    let now = jiff::Zoned::now().with_time_zone(tz);
    let today = now
        .date()
        .to_datetime(t)
        .to_zoned(now.time_zone().clone())
        .ok()?;
    let at = if today.timestamp() > now.timestamp() {
        today.checked_sub(jiff::Span::new().days(1)).ok()?
    } else {
        today
    };
    Some(at.timestamp().as_second())
}
