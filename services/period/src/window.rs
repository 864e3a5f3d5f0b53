//! The window a report covers, `[from, to)`: asked for as an academic year, a term of
//! one, and bounds that narrow it, checked once when it is made.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};

use crate::month::Bound;
use crate::year::{AcademicYear, Term};

/// The window when a report is given no dates: all of the lake.
pub const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
pub const LATEST: NaiveDate = NaiveDate::from_ymd_opt(2200, 1, 1).expect("a valid date");

/// A window that is exactly a year or a term, which it is then called by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Year(AcademicYear),
    Term(AcademicYear, Term),
}

/// `[from, to)`, from before to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    from: NaiveDate,
    to: NaiveDate,
    named: Option<Named>,
}

/// Why the parts of a window do not make one: each says what to give instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("term={term} needs the year it is in, e.g. year=2025-26&term={term}")]
    TermWithoutYear { term: Term },
    #[error("{bound} is outside {within}: give from and to within it, or leave out year and term")]
    Outside { bound: String, within: String },
    #[error("from ({from}) must be before to ({to}); to is the first day after the window")]
    Empty { from: NaiveDate, to: NaiveDate },
}

impl Default for Window {
    fn default() -> Window {
        Window::ALL
    }
}

impl Window {
    /// All of the lake.
    pub const ALL: Window = Window { from: EARLIEST, to: LATEST, named: None };

    pub fn year(year: AcademicYear) -> Window {
        Window { from: year.first_day(), to: year.end(), named: Some(Named::Year(year)) }
    }

    pub fn term(year: AcademicYear, term: Term) -> Window {
        let (from, to) = term.within(year);
        Window { from, to, named: Some(Named::Term(year, term)) }
    }

    /// `[from, to)` between two dates.
    pub fn between(from: NaiveDate, to: NaiveDate) -> Result<Window, WindowError> {
        if from >= to {
            return Err(WindowError::Empty { from, to });
        }
        Ok(Window { from, to, named: None })
    }

    /// The window a caller asks for: the year, narrowed to the term, narrowed by `from`
    /// and `to` (each optional; with none of them, all of the lake). Bounds outside the
    /// year or term are a mistake to report rather than a window to widen silently.
    pub fn ask(
        year: Option<AcademicYear>,
        term: Option<Term>,
        from: Option<Bound>,
        to: Option<Bound>,
    ) -> Result<Window, WindowError> {
        let base = match (year, term) {
            (Some(year), Some(term)) => Window::term(year, term),
            (Some(year), None) => Window::year(year),
            (None, Some(term)) => return Err(WindowError::TermWithoutYear { term }),
            (None, None) => Window::ALL,
        };
        let start = from.map_or(base.from, Bound::as_start);
        let end = to.map_or(base.to, Bound::as_end);
        if let Some(named) = base.named {
            let outside = |bound: String| WindowError::Outside { bound, within: named.to_string() };
            if let Some(from) = from.filter(|_| start < base.from || start >= base.to) {
                return Err(outside(format!("from={from}")));
            }
            if let Some(to) = to.filter(|_| end > base.to || end <= base.from) {
                return Err(outside(format!("to={to}")));
            }
        }
        let window = Window::between(start, end)?;
        Ok(if (start, end) == (base.from, base.to) { base } else { window })
    }

    /// The first day.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// The first day after.
    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// The year or term it is, if it is exactly one.
    pub fn named(&self) -> Option<Named> {
        self.named
    }

    /// Whether it starts and ends on the 1st of a month: a window of whole months cannot
    /// be set a day apart from another to give back, by subtraction, one day's figures.
    pub fn whole_months(&self) -> bool {
        self.from.day() == 1 && self.to.day() == 1
    }

    /// Whether it has no start or no end (all of the lake on that side).
    pub fn open(&self) -> bool {
        self.from == EARLIEST || self.to == LATEST
    }

    /// The same window a year earlier: the year before, the same term of it, or the dates
    /// twelve months back. An open window has none.
    pub fn year_before(&self) -> Option<Window> {
        match self.named {
            Some(Named::Year(year)) => year.previous().map(Window::year),
            Some(Named::Term(year, term)) => year.previous().map(|y| Window::term(y, term)),
            None if self.open() => None,
            None => {
                let back = |d: NaiveDate| d.checked_sub_months(Months::new(12));
                Window::between(back(self.from)?, back(self.to)?).ok()
            }
        }
    }

    /// The query string keys that ask for it again: `year` (and `term`), or `from` and
    /// `to` as dates.
    pub fn query(&self) -> Vec<(&'static str, String)> {
        match self.named {
            Some(Named::Year(year)) => vec![("year", year.to_string())],
            Some(Named::Term(year, term)) => vec![("year", year.to_string()), ("term", term.to_string())],
            None => {
                let mut pairs = Vec::new();
                if self.from != EARLIEST {
                    pairs.push(("from", self.from.to_string()));
                }
                if self.to != LATEST {
                    pairs.push(("to", self.to.to_string()));
                }
                pairs
            }
        }
    }

    /// The window in words: "2025-26 (September 2025 to August 2026)", "Autumn term
    /// 2025-26", "October 2025", "3 Oct 2025 to 19 Oct 2025", or "all time".
    pub fn describe(&self) -> String {
        let last = self.to.pred_opt().unwrap_or(self.to);
        match (self.named, self.from == EARLIEST, self.to == LATEST) {
            (Some(Named::Year(year)), _, _) => {
                format!("{year} (September {} to August {})", year.start_year(), last.year())
            }
            (Some(Named::Term(year, term)), _, _) => {
                format!("{} {year} ({} to {})", term.title(), self.from.format("%B %Y"), last.format("%B %Y"))
            }
            (None, true, true) => "all time".to_string(),
            (None, true, false) => format!("until {}", last.format("%-d %b %Y")),
            (None, false, true) => format!("since {}", self.from.format("%-d %b %Y")),
            _ if self.whole_months() => {
                if (last.year(), last.month()) == (self.from.year(), self.from.month()) {
                    self.from.format("%B %Y").to_string()
                } else {
                    format!("{} to {}", self.from.format("%B %Y"), last.format("%B %Y"))
                }
            }
            _ => format!("{} to {}", self.from.format("%-d %b %Y"), last.format("%-d %b %Y")),
        }
    }
}

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Named::Year(year) => write!(f, "year={year}"),
            Named::Term(year, term) => write!(f, "the {term} term of {year}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn ask(
        year: Option<&str>,
        term: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Window, WindowError> {
        Window::ask(
            year.map(|y| y.parse().unwrap()),
            term.map(|t| t.parse().unwrap()),
            from.map(|b| b.parse().unwrap()),
            to.map(|b| b.parse().unwrap()),
        )
    }

    fn span(window: &Window) -> (String, String) {
        (window.from().to_string(), window.to().to_string())
    }

    #[test]
    fn year_term_and_bounds_each_narrow_the_window() {
        let year = ask(Some("2025-26"), None, None, None).unwrap();
        assert_eq!(span(&year), ("2025-09-01".into(), "2026-09-01".into()));
        assert_eq!(year.query(), [("year", "2025-26".to_string())]);
        let autumn = ask(Some("2025-26"), Some("autumn"), None, None).unwrap();
        assert_eq!(span(&autumn), ("2025-09-01".into(), "2026-01-01".into()));
        assert_eq!(autumn.query(), [("year", "2025-26".to_string()), ("term", "autumn".to_string())]);
        // Months are whole, the last included; a date `to` is the first day after.
        let months = ask(None, None, Some("2025-10"), Some("2025-12")).unwrap();
        assert_eq!(span(&months), ("2025-10-01".into(), "2026-01-01".into()));
        assert_eq!(months.query(), [("from", "2025-10-01".to_string()), ("to", "2026-01-01".to_string())]);
        let dates = ask(None, None, Some("2025-10-03"), Some("2025-10-20")).unwrap();
        assert_eq!(span(&dates), ("2025-10-03".into(), "2025-10-20".into()));
        // A bound within the year narrows it; the year's own bounds keep its name.
        let from_october = ask(Some("2025-26"), None, Some("2025-10"), None).unwrap();
        assert_eq!(span(&from_october), ("2025-10-01".into(), "2026-09-01".into()));
        assert_eq!(from_october.named(), None);
        assert_eq!(ask(Some("2025-26"), None, Some("2025-09-01"), None).unwrap(), year);
        assert_eq!(ask(None, None, None, None).unwrap(), Window::ALL);
    }

    #[test]
    fn parts_that_do_not_make_a_window_say_what_to_give() {
        let outside = ask(Some("2025-26"), None, Some("2024-10"), None).unwrap_err().to_string();
        assert!(outside.contains("from=2024-10 is outside year=2025-26"), "{outside}");
        let after_term = ask(Some("2025-26"), Some("autumn"), None, Some("2026-02")).unwrap_err();
        assert!(matches!(after_term, WindowError::Outside { .. }), "{after_term}");
        assert!(matches!(ask(None, Some("spring"), None, None), Err(WindowError::TermWithoutYear { .. })));
        let backwards = ask(None, None, Some("2026-01-01"), Some("2025-01-01")).unwrap_err().to_string();
        assert!(backwards.contains("must be before"), "{backwards}");
        assert!(ask(None, None, Some("2025-10-05"), Some("2025-10-05")).is_err());
    }

    #[test]
    fn whole_months_are_told_from_days() {
        assert!(ask(Some("2025-26"), Some("summer"), None, None).unwrap().whole_months());
        assert!(ask(None, None, Some("2025-10"), Some("2025-10")).unwrap().whole_months());
        assert!(ask(None, None, Some("2025-10-01"), Some("2025-11-01")).unwrap().whole_months());
        assert!(Window::ALL.whole_months());
        assert!(!ask(None, None, Some("2025-10-02"), Some("2025-11-01")).unwrap().whole_months());
        assert!(!ask(None, None, None, Some("2025-11-24")).unwrap().whole_months());
    }

    #[test]
    fn the_year_before_is_the_same_kind_of_window() {
        let before = |w: Window| w.year_before().map(|b| (span(&b), b.named()));
        let year: AcademicYear = "2025-26".parse().unwrap();
        let last: AcademicYear = "2024-25".parse().unwrap();
        assert_eq!(before(Window::year(year)).unwrap().1, Some(Named::Year(last)));
        assert_eq!(before(Window::term(year, Term::Spring)).unwrap().1, Some(Named::Term(last, Term::Spring)));
        let dates = Window::between(d("2025-10-01"), d("2025-12-01")).unwrap();
        assert_eq!(before(dates).unwrap().0, ("2024-10-01".into(), "2024-12-01".into()));
        assert_eq!(Window::ALL.year_before(), None);
    }

    #[test]
    fn windows_read_as_people_say_them() {
        let describe = |from: &str, to: &str| Window::between(d(from), d(to)).unwrap().describe();
        assert_eq!(describe("2025-09-01", "2026-09-01"), "September 2025 to August 2026");
        assert_eq!(describe("2025-10-01", "2025-11-01"), "October 2025");
        assert_eq!(describe("2025-10-03", "2025-10-20"), "3 Oct 2025 to 19 Oct 2025");
        assert_eq!(Window::ALL.describe(), "all time");
        assert_eq!(Window::between(d("2025-10-03"), LATEST).unwrap().describe(), "since 3 Oct 2025");
        let year: AcademicYear = "2025-26".parse().unwrap();
        assert_eq!(Window::year(year).describe(), "2025-26 (September 2025 to August 2026)");
        assert_eq!(
            Window::term(year, Term::Autumn).describe(),
            "Autumn term 2025-26 (September 2025 to December 2025)"
        );
    }
}
