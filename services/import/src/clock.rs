//! The school's wall clock: filter logs and spreadsheets write local time, the contract UTC.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A time as a source wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoggedTime {
    /// With an offset or in UTC: no reading needed.
    Utc(DateTime<Utc>),
    /// The school's local time, as most filters and every spreadsheet write it.
    Local(NaiveDateTime),
}

/// The time zone the school's sources write local times in (`Europe/London` unless told).
#[derive(Debug, Clone, Copy)]
pub struct SchoolClock(Tz);

impl Default for SchoolClock {
    fn default() -> Self {
        SchoolClock(chrono_tz::Europe::London)
    }
}

impl std::str::FromStr for SchoolClock {
    type Err = String;
    fn from_str(name: &str) -> Result<Self, String> {
        name.parse::<Tz>()
            .map(SchoolClock)
            .map_err(|_| format!("{name:?} is not an IANA time zone (e.g. Europe/London)"))
    }
}

impl SchoolClock {
    /// In UTC. The hour that happens twice when clocks go back is read as its first time;
    /// the hour skipped when they go forward did not happen, so a time in it is refused.
    pub fn utc(&self, time: LoggedTime) -> Result<DateTime<Utc>, String> {
        match time {
            LoggedTime::Utc(t) => Ok(t),
            LoggedTime::Local(t) => match self.0.from_local_datetime(&t) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
                LocalResult::None => Err(format!("{t} did not happen in {} (the clocks went forward)", self.0)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str) -> LoggedTime {
        LoggedTime::Local(NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap())
    }

    #[test]
    fn british_summer_time_and_its_edges() {
        let clock = SchoolClock::default();
        assert_eq!(clock.utc(local("2026-07-01 10:00:00")).unwrap().to_rfc3339(), "2026-07-01T09:00:00+00:00");
        assert_eq!(clock.utc(local("2026-01-15 10:00:00")).unwrap().to_rfc3339(), "2026-01-15T10:00:00+00:00");
        assert_eq!(clock.utc(local("2026-10-25 01:30:00")).unwrap().to_rfc3339(), "2026-10-25T00:30:00+00:00");
        assert!(clock.utc(local("2026-03-29 01:30:00")).unwrap_err().contains("did not happen"));
        assert!("Mars/Olympus".parse::<SchoolClock>().is_err());
    }
}
