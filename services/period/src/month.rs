//! Calendar months, and the bounds of a window as a caller writes them: a date, or a
//! whole month.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use crate::{serde_as_text, ParseError};

/// A calendar month, written `2025-10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    /// 1 to 12.
    month: u32,
}

impl Month {
    pub fn of(date: NaiveDate) -> Month {
        Month { year: date.year(), month: date.month() }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("the 1st of a month exists")
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }

    /// "October 2025".
    pub fn title(self) -> String {
        self.first_day().format("%B %Y").to_string()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Month, ParseError> {
        let bad = || ParseError::new(text, "a month", "YYYY-MM, e.g. 2025-10");
        if text.len() != 7 {
            return Err(bad());
        }
        let date = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| bad())?;
        Ok(Month::of(date))
    }
}

serde_as_text!(Month);

/// One end of a window as written: a date (`2025-10-01`) or a month (`2025-10`). As the
/// start, a month means its first day; as the end, a month is included whole, while a date
/// is the first day after the window (as everywhere in safelake: `[from, to)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Date(NaiveDate),
    Month(Month),
}

impl Bound {
    /// The window's first day when it starts here.
    pub fn as_start(self) -> NaiveDate {
        match self {
            Bound::Date(date) => date,
            Bound::Month(month) => month.first_day(),
        }
    }

    /// The first day after the window when it ends here.
    pub fn as_end(self) -> NaiveDate {
        match self {
            Bound::Date(date) => date,
            Bound::Month(month) => month.next().first_day(),
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Date(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            Bound::Month(month) => month.fmt(f),
        }
    }
}

impl FromStr for Bound {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Bound, ParseError> {
        if text.len() == 7 {
            return text.parse().map(Bound::Month);
        }
        let bad = || ParseError::new(text, "a date", "YYYY-MM-DD (or a whole month, YYYY-MM)");
        if text.len() != 10 {
            return Err(bad());
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map(Bound::Date).map_err(|_| bad())
    }
}

serde_as_text!(Bound);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_ends_after_its_last_day_and_a_date_before_itself() {
        let december: Bound = "2025-12".parse().unwrap();
        assert_eq!(december.as_start().to_string(), "2025-12-01");
        assert_eq!(december.as_end().to_string(), "2026-01-01");
        let day: Bound = "2025-12-15".parse().unwrap();
        assert_eq!((day.as_start(), day.as_end()), (day.as_start(), day.as_start()));
        assert_eq!(day.to_string(), "2025-12-15");
        assert_eq!("2025-10".parse::<Month>().unwrap().title(), "October 2025");
    }

    #[test]
    fn a_bound_written_otherwise_says_how_to_write_it() {
        for bad in ["2025-13", "2025-13-01", "2025-1-1", "yesterday", "2025-02-30", "2025-10-1x"] {
            let error = bad.parse::<Bound>().unwrap_err().to_string();
            assert!(error.contains("YYYY-MM"), "{bad}: {error}");
        }
    }
}
