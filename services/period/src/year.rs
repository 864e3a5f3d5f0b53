//! The academic year (1 September to 31 August) and its three terms.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use crate::month::Month;
use crate::{serde_as_text, ParseError};

/// An academic year, written `2025-26`: 1 September 2025 to 31 August 2026.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AcademicYear {
    /// The calendar year of its September.
    start: i32,
}

const FIRST: i32 = 2000;
const LAST: i32 = 2099;

impl AcademicYear {
    /// The year starting in September of `start` (2000 to 2099).
    pub fn starting(start: i32) -> Option<AcademicYear> {
        (FIRST..=LAST).contains(&start).then_some(AcademicYear { start })
    }

    /// The academic year a date falls in.
    pub fn of(date: NaiveDate) -> AcademicYear {
        let start = if date.month() >= 9 { date.year() } else { date.year() - 1 };
        AcademicYear { start: start.clamp(FIRST, LAST) }
    }

    /// The calendar year of its September.
    pub fn start_year(self) -> i32 {
        self.start
    }

    /// 1 September, its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start, 9, 1).expect("1 September exists")
    }

    /// 1 September of the next year: the first day after it.
    pub fn end(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start + 1, 9, 1).expect("1 September exists")
    }

    /// The year before (`2025-26` → `2024-25`); the first year has none.
    pub fn previous(self) -> Option<AcademicYear> {
        AcademicYear::starting(self.start - 1)
    }

    /// Its months, September to August.
    pub fn months(self) -> impl Iterator<Item = Month> {
        let first = Month::of(self.first_day());
        std::iter::successors(Some(first), |m| Some(m.next())).take(12)
    }
}

impl fmt::Display for AcademicYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.start, (self.start + 1) % 100)
    }
}

impl FromStr for AcademicYear {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<AcademicYear, ParseError> {
        let bad = || ParseError::new(text, "an academic year", "like 2025-26 (two consecutive years)");
        let (start, end) = text.split_once('-').ok_or_else(bad)?;
        if start.len() != 4 || end.len() != 2 || !(start.bytes().chain(end.bytes())).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year = start.parse().ok().and_then(AcademicYear::starting).ok_or_else(bad)?;
        let end: i32 = end.parse().map_err(|_| bad())?;
        if end != (year.start + 1) % 100 {
            return Err(bad());
        }
        Ok(year)
    }
}

serde_as_text!(AcademicYear);

/// A term as whole months, so that terms tile the year and a term's figures are as safe
/// to show as a month's: autumn is September to December, spring January to March, and
/// summer April to August (the summer holiday with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Term {
    Autumn,
    Spring,
    Summer,
}

impl Term {
    pub const ALL: [Term; 3] = [Term::Autumn, Term::Spring, Term::Summer];

    pub fn as_str(self) -> &'static str {
        match self {
            Term::Autumn => "autumn",
            Term::Spring => "spring",
            Term::Summer => "summer",
        }
    }

    /// "Autumn term".
    pub fn title(self) -> &'static str {
        match self {
            Term::Autumn => "Autumn term",
            Term::Spring => "Spring term",
            Term::Summer => "Summer term",
        }
    }

    /// `[first day, first day after)` of this term in `year`.
    pub fn within(self, year: AcademicYear) -> (NaiveDate, NaiveDate) {
        let date = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).expect("the 1st of a month exists");
        let y = year.start_year();
        match self {
            Term::Autumn => (date(y, 9), date(y + 1, 1)),
            Term::Spring => (date(y + 1, 1), date(y + 1, 4)),
            Term::Summer => (date(y + 1, 4), date(y + 1, 9)),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Term {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Term, ParseError> {
        Term::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| ParseError::new(text, "a term", "autumn, spring or summer"))
    }
}

serde_as_text!(Term);

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn years_start_in_september_and_read_as_written() {
        assert_eq!(AcademicYear::of(d("2025-09-01")).to_string(), "2025-26");
        assert_eq!(AcademicYear::of(d("2025-08-31")).to_string(), "2024-25");
        assert_eq!(AcademicYear::of(d("2099-12-01")).to_string(), "2099-00");
        let year: AcademicYear = "2025-26".parse().unwrap();
        assert_eq!((year.first_day(), year.end()), (d("2025-09-01"), d("2026-09-01")));
        assert_eq!(year.previous().unwrap().to_string(), "2024-25");
        assert_eq!("2000-01".parse::<AcademicYear>().unwrap().previous(), None);
        let months: Vec<String> = year.months().map(|m| m.to_string()).collect();
        assert_eq!(months.first().map(String::as_str), Some("2025-09"));
        assert_eq!(months.last().map(String::as_str), Some("2026-08"));
    }

    #[test]
    fn a_year_written_otherwise_says_how_to_write_it() {
        for bad in ["2025-27", "2025", "25-26", "2025-2026", "1999-00", "2025-+6", " 2025-26", "abcd-ef"] {
            let error = bad.parse::<AcademicYear>().unwrap_err().to_string();
            assert!(error.contains("like 2025-26"), "{bad}: {error}");
        }
    }

    #[test]
    fn terms_tile_the_year_in_whole_months() {
        let year: AcademicYear = "2025-26".parse().unwrap();
        let spans: Vec<_> = Term::ALL.iter().map(|t| t.within(year)).collect();
        assert_eq!(spans[0].0, year.first_day());
        assert_eq!(spans[0].1, spans[1].0);
        assert_eq!(spans[1].1, spans[2].0);
        assert_eq!(spans[2].1, year.end());
        assert_eq!("Spring".parse::<Term>().unwrap(), Term::Spring);
        assert!("winter".parse::<Term>().unwrap_err().to_string().contains("autumn, spring or summer"));
    }

    #[test]
    fn years_travel_as_their_text() {
        let year: AcademicYear = serde_json::from_str("\"2024-25\"").unwrap();
        assert_eq!(serde_json::to_string(&year).unwrap(), "\"2024-25\"");
        assert!(serde_json::from_str::<AcademicYear>("\"2024-26\"").is_err());
    }
}
