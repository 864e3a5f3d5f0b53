//! Dates, times and offsets as the filters write them, read strictly and refused in one
//! set of words: a time that is read wrongly puts a block on the wrong day of a report.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::clock::LoggedTime;

/// `YYYY-MM-DD`.
pub fn date(field: &str, text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| format!("{field} {text:?} is not YYYY-MM-DD"))
}

/// `HH:MM:SS`.
pub fn time(field: &str, text: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M:%S").map_err(|_| format!("{field} {text:?} is not HH:MM:SS"))
}

/// An offset from UTC as `+0100`, `-0500` or `+01:00`.
pub fn offset(field: &str, text: &str) -> Result<FixedOffset, String> {
    let bad = || format!("{field} {text:?} is not an offset from UTC such as +0100");
    let t = text.trim();
    let (sign, rest) = if let Some(rest) = t.strip_prefix('+') {
        (1, rest)
    } else if let Some(rest) = t.strip_prefix('-') {
        (-1, rest)
    } else {
        return Err(bad());
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let hours: i32 = digits[..2].parse().map_err(|_| bad())?;
    let minutes: i32 = digits[2..].parse().map_err(|_| bad())?;
    if hours > 23 || minutes > 59 {
        return Err(bad());
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(bad)
}

/// A wall-clock time whose offset the line gives: no reading by the school's clock needed.
pub fn at_offset(local: NaiveDateTime, offset: FixedOffset) -> Result<LoggedTime, String> {
    offset
        .from_local_datetime(&local)
        .single()
        .map(|t| LoggedTime::Utc(t.with_timezone(&Utc)))
        .ok_or_else(|| format!("{local} at {offset} is not a time"))
}

/// Seconds, milliseconds, microseconds or nanoseconds since 1970, told apart by their size
/// (FortiOS has written `eventtime` in each of these across versions).
pub fn epoch_any(field: &str, text: &str) -> Result<LoggedTime, String> {
    let bad = || format!("{field} {text:?} is not a time since 1970");
    let n: i64 = text.trim().parse().map_err(|_| bad())?;
    let nanos = match n.unsigned_abs() {
        0..100_000_000_000 => n.checked_mul(1_000_000_000),
        100_000_000_000..100_000_000_000_000 => n.checked_mul(1_000_000),
        100_000_000_000_000..100_000_000_000_000_000 => n.checked_mul(1_000),
        _ => Some(n),
    };
    nanos.map(|ns| LoggedTime::Utc(DateTime::from_timestamp_nanos(ns))).ok_or_else(bad)
}

/// Milliseconds since 1970 (CEF's `rt`).
pub fn epoch_millis(field: &str, text: &str) -> Result<LoggedTime, String> {
    text.trim()
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .map(LoggedTime::Utc)
        .ok_or_else(|| format!("{field} {text:?} is not milliseconds since 1970"))
}

/// An ISO 8601 time with its offset (`2026-03-12T10:15:00+0000`, `...+00:00`, `...Z`).
pub fn iso_with_offset(field: &str, text: &str) -> Result<LoggedTime, String> {
    let t = text.trim();
    DateTime::parse_from_rfc3339(t)
        .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z"))
        .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| LoggedTime::Utc(t.with_timezone(&Utc)))
        .map_err(|_| format!("{field} {text:?} is not a time with an offset such as 2026-03-12T10:15:00+0000"))
}

/// The first of `formats` that reads the whole of `text`.
pub fn local_in(text: &str, formats: &[&str]) -> Option<NaiveDateTime> {
    formats.iter().find_map(|format| NaiveDateTime::parse_from_str(text.trim(), format).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(time: LoggedTime) -> String {
        match time {
            LoggedTime::Utc(t) => t.to_rfc3339(),
            LoggedTime::Local(t) => format!("local {t}"),
        }
    }

    #[test]
    fn offsets_as_filters_write_them() {
        assert_eq!(offset("tz", "+0100").unwrap().local_minus_utc(), 3600);
        assert_eq!(offset("tz", "-05:00").unwrap().local_minus_utc(), -5 * 3600);
        assert_eq!(offset("tz", "+0000").unwrap().local_minus_utc(), 0);
        for bad in ["", "0100", "+1", "+2500", "+01:60", "+01000", "GMT"] {
            assert!(offset("tz", bad).is_err(), "{bad}");
        }
        let local = NaiveDateTime::parse_from_str("2026-03-12 10:15:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(utc(at_offset(local, offset("tz", "+0100").unwrap()).unwrap()), "2026-03-12T09:15:00+00:00");
        for (edge, tz) in [(NaiveDateTime::MAX, "-2359"), (NaiveDateTime::MIN, "+2359")] {
            assert!(at_offset(edge, offset("tz", tz).unwrap()).is_err(), "{edge} {tz}");
        }
        assert!(epoch_any("eventtime", &i64::MIN.to_string()).is_ok());
    }

    #[test]
    fn epochs_in_every_unit_are_one_time() {
        for text in ["1773310500", "1773310500000", "1773310500000000", "1773310500000000000"] {
            assert_eq!(utc(epoch_any("eventtime", text).unwrap()), "2026-03-12T10:15:00+00:00", "{text}");
        }
        assert_eq!(utc(epoch_millis("rt", "1773310500000").unwrap()), "2026-03-12T10:15:00+00:00");
        assert!(epoch_any("eventtime", "soon").is_err());
        assert!(epoch_millis("rt", "-").is_err());
        assert!(epoch_millis("rt", &i64::MAX.to_string()).is_err());
    }

    #[test]
    fn times_with_offsets() {
        for text in ["2026-03-12T11:15:00+0100", "2026-03-12T11:15:00+01:00", "2026-03-12T10:15:00Z"] {
            assert_eq!(utc(iso_with_offset("timestamp", text).unwrap()), "2026-03-12T10:15:00+00:00", "{text}");
        }
        assert!(iso_with_offset("timestamp", "2026-03-12 10:15:00").is_err());
        assert_eq!(time("time", "25:99:00").unwrap_err(), "time \"25:99:00\" is not HH:MM:SS");
        assert_eq!(date("date", "2026-13-01").unwrap_err(), "date \"2026-13-01\" is not YYYY-MM-DD");
    }
}
