//! Instants as the mission file writes them: RFC 3339, read to the second or millisecond
//! without a date library (the macro shares this crate, so it stays lean).

/// Milliseconds since 1970 of an RFC 3339 timestamp (digits past the millisecond dropped), or
/// `None` if malformed. Evidence and eras compare at this precision: a run never shares its
/// millisecond with the run before it (the runner sees to that), so a directive edited in the
/// same second as the last run still makes that run's evidence stale.
pub fn epoch_millis(t: &str) -> Option<i64> {
    let secs = epoch_seconds(t)?;
    let fraction = t.get(19..).filter(|f| f.starts_with('.')).map(|f| {
        f[1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .chain(std::iter::repeat('0'))
            .take(3)
            .collect::<String>()
    });
    let ms: i64 = fraction.map(|f| f.parse().unwrap_or(0)).unwrap_or(0);
    Some(secs * 1000 + ms)
}

/// Seconds since 1970 of an RFC 3339 timestamp (fractions dropped), or `None` if malformed.
pub fn epoch_seconds(t: &str) -> Option<i64> {
    if !crate::parse::is_rfc3339(t) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut secs = days * 86_400 + h * 3600 + mi * 60 + s;
    // `is_rfc3339` guarantees the zone is `Z` or `±HH:MM`.
    if !(t.ends_with('Z') || t.ends_with('z')) {
        let off = &t[t.len() - 6..];
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let oh: i64 = off[1..3].parse().ok()?;
        let om: i64 = off[4..6].parse().ok()?;
        secs -= sign * (oh * 3600 + om * 60);
    }
    Some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_of_known_instants() {
        assert_eq!(epoch_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch_seconds("2025-12-01T13:00:00Z"), Some(1_764_594_000));
        assert_eq!(
            epoch_seconds("2025-12-01T14:00:00+01:00"),
            Some(1_764_594_000)
        );
        assert_eq!(
            epoch_seconds("2025-12-01T12:30:00.250-00:30"),
            Some(1_764_594_000)
        );
        assert_eq!(epoch_seconds("2025-13-01T00:00:00Z"), None);
        assert_eq!(epoch_seconds("yesterday"), None);
        assert_eq!(epoch_millis("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(epoch_millis("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(epoch_millis("1970-01-01T00:00:01.0429+00:00"), Some(1042));
        assert_eq!(
            epoch_millis("2025-12-01T12:30:00.250-00:30"),
            Some(1_764_594_000_250)
        );
    }
}
