//! A moment the lake is read as it stood at (`as_at=2026-03-12T18:00:00Z`): the events
//! ingested by then, corrections included only if they were, so that the figures a board
//! was given can be produced again, exactly, later.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Timelike, Utc};

use crate::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AsAt(DateTime<Utc>);

impl AsAt {
    pub fn new(at: DateTime<Utc>) -> AsAt {
        AsAt(at)
    }

    pub fn instant(self) -> DateTime<Utc> {
        self.0
    }

    /// Whether it falls on a day's boundary (00:00:00 UTC): the only moments the
    /// governance roles may ask for, since two answers a second apart would give back the
    /// few events ingested between them.
    pub fn is_midnight(self) -> bool {
        self.0.num_seconds_from_midnight() == 0 && self.0.nanosecond() == 0
    }

    /// The start of its day, UTC.
    pub fn midnight(self) -> AsAt {
        AsAt(self.0.date_naive().and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
    }
}

impl FromStr for AsAt {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<AsAt, ParseError> {
        DateTime::parse_from_rfc3339(text.trim()).map(|t| AsAt(t.with_timezone(&Utc))).map_err(|_| {
            ParseError::new(text, "a moment", "as an RFC 3339 date-time with an offset, e.g. 2026-03-12T18:00:00Z")
        })
    }
}

impl fmt::Display for AsAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

crate::serde_as_text!(AsAt);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_rfc_3339_in_any_offset_and_print_in_utc() {
        let at: AsAt = "2026-03-12T19:00:00+01:00".parse().unwrap();
        assert_eq!(at.to_string(), "2026-03-12T18:00:00Z");
        assert!(!at.is_midnight());
        assert_eq!(at.midnight().to_string(), "2026-03-12T00:00:00Z");
        assert!(at.midnight().is_midnight());
        let error = "2026-03-12".parse::<AsAt>().unwrap_err().to_string();
        assert!(error.contains("RFC 3339") && error.contains("2026-03-12T18:00:00Z"), "{error}");
    }
}
