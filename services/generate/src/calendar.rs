//! The English school calendar and UK clock time.
//!
//! Dashboards show activity by term, week and hour, so synthetic events must fall where
//! real ones do: on school days (terms, half terms, Easter and the May bank holiday
//! observed), in school hours as the UK clock reads them (GMT or BST), with the DfE
//! census days giving the pupil numbers. Events are stored in UTC, so local times are
//! converted here and nowhere else.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Timelike, Utc, Weekday};
use safelake_period::AcademicYear;

/// One academic year, 1 September to 31 August, as the generator uses it: its school
/// days, census days and training days.
#[derive(Debug, Clone)]
pub struct YearCalendar {
    /// As written in events, e.g. `2025-26`.
    pub label: String,
    /// Index among the generated years.
    pub position: usize,
    /// Years since the first generated year: pupils move up this many year groups.
    pub offset: i16,
    pub start: NaiveDate,
    /// The day after 31 August: the first day of the next academic year.
    pub next_start: NaiveDate,
    /// Autumn (first Thursday of October), spring and summer (third Thursdays of
    /// January and May) census days.
    pub census: [NaiveDate; 3],
    /// The days pupils are in school, in order.
    pub school_days: Vec<NaiveDate>,
    /// Staff training days at the start of September, before pupils return.
    pub inset_days: Vec<NaiveDate>,
}

impl YearCalendar {
    /// `year`, the `position`th of the generated years, the first of which starts in
    /// September of `first_start`.
    pub fn new(year: AcademicYear, position: usize, first_start: i32) -> YearCalendar {
        let y = year.start_year();
        let date = |year, month, day| NaiveDate::from_ymd_opt(year, month, day).expect("a calendar date");
        let easter = easter_sunday(y + 1);
        let terms = [
            // Autumn: early September to the last Friday before 21 December.
            (
                weekday_on_or_after(date(y, 9, 3)),
                friday_on_or_before(date(y, 12, 20)),
                monday_on_or_before(date(y, 10, 28)),
            ),
            // Spring: the first Monday from 5 January to the Friday before Holy Week.
            (monday_on_or_after(date(y + 1, 1, 5)), easter - Days::new(9), monday_on_or_before(date(y + 1, 2, 17))),
            // Summer: after the two Easter weeks to late July; half term is the week of
            // the late May bank holiday.
            (easter + Days::new(8), friday_on_or_before(date(y + 1, 7, 22)), monday_on_or_before(date(y + 1, 5, 31))),
        ];
        let early_may = monday_on_or_after(date(y + 1, 5, 1));
        let mut school_days = Vec::new();
        for (start, end, half_term) in terms {
            let mut d = start;
            while d <= end {
                let in_half_term = d >= half_term && d < half_term + Days::new(5);
                if is_weekday(d) && !in_half_term && d != early_may {
                    school_days.push(d);
                }
                d = d + Days::new(1);
            }
        }
        let inset_days = (1..=5).map(|day| date(y, 9, day)).filter(|&d| is_weekday(d) && d < school_days[0]).collect();
        YearCalendar {
            label: year.to_string(),
            position,
            offset: (y - first_start) as i16,
            start: year.first_day(),
            next_start: year.end(),
            census: [nth_thursday(y, 10, 1), nth_thursday(y + 1, 1, 3), nth_thursday(y + 1, 5, 3)],
            school_days,
            inset_days,
        }
    }

    pub fn start_time(&self) -> DateTime<Utc> {
        midnight(self.start)
    }

    pub fn end_time(&self) -> DateTime<Utc> {
        midnight(self.next_start)
    }

    pub fn is_school_day(&self, d: NaiveDate) -> bool {
        self.school_days.binary_search(&d).is_ok()
    }

    /// The first school day on or after `d`, if the year has one left.
    pub fn school_day_from(&self, d: NaiveDate) -> Option<NaiveDate> {
        self.school_days.get(self.school_days.partition_point(|&s| s < d)).copied()
    }
}

pub fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

pub fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

/// Whether UK clocks show BST on `d`: from the last Sunday of March to the day before
/// the last Sunday of October. The hour around each change on those two Sundays is
/// treated as the rest of the day; nothing at school happens then.
pub fn is_bst(d: NaiveDate) -> bool {
    let march = last_sunday(d.year(), 3);
    let october = last_sunday(d.year(), 10);
    d >= march && d < october
}

/// The UTC instant at `seconds` past local midnight on `d` (UK time).
pub fn local(d: NaiveDate, seconds: u32) -> DateTime<Utc> {
    let offset = if is_bst(d) { 3600 } else { 0 };
    midnight(d) + TimeDelta::seconds(i64::from(seconds) - offset)
}

/// The local (UK) date and seconds past midnight of a UTC instant.
pub fn to_local(t: DateTime<Utc>) -> (NaiveDate, u32) {
    let guess = t + TimeDelta::hours(1);
    let shifted = if is_bst(guess.date_naive()) { guess } else { t };
    (shifted.date_naive(), shifted.num_seconds_from_midnight())
}

/// `t` if it falls in office hours (weekdays 07:30-18:00 UK time), else the next
/// weekday at 08:00 plus `jitter` seconds: school staff record and decide things at work.
pub fn office_time(t: DateTime<Utc>, jitter: u32) -> DateTime<Utc> {
    let (date, secs) = to_local(t);
    if is_weekday(date) && (27_000..64_800).contains(&secs) {
        return t;
    }
    let mut d = if secs < 27_000 { date } else { date + Days::new(1) };
    while !is_weekday(d) {
        d = d + Days::new(1);
    }
    local(d, 28_800 + jitter)
}

/// Easter Sunday (the anonymous Gregorian algorithm); it moves the spring term's end.
fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let h = (19 * a + b - b / 4 - (b - (b + 8) / 25 + 1) / 3 + 15) % 30;
    let l = (32 + 2 * (b % 4) + 2 * (c / 4) - h - c % 4) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a date")
}

fn weekday_on_or_after(mut d: NaiveDate) -> NaiveDate {
    while !is_weekday(d) {
        d = d + Days::new(1);
    }
    d
}

fn monday_on_or_after(d: NaiveDate) -> NaiveDate {
    d + Days::new(u64::from((7 - d.weekday().num_days_from_monday()) % 7))
}

fn monday_on_or_before(d: NaiveDate) -> NaiveDate {
    d - Days::new(u64::from(d.weekday().num_days_from_monday()))
}

fn friday_on_or_before(d: NaiveDate) -> NaiveDate {
    d - Days::new(u64::from((d.weekday().num_days_from_monday() + 3) % 7))
}

fn nth_thursday(year: i32, month: u32, n: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Thu, n as u8).expect("a Thursday")
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let last = NaiveDate::from_ymd_opt(year, month + 1, 1).expect("a month") - Days::new(1);
    last - Days::new(u64::from(last.weekday().num_days_from_sunday()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn year(text: &str) -> AcademicYear {
        text.parse().unwrap()
    }

    #[test]
    fn census_days_are_the_dfe_ones() {
        let year = YearCalendar::new(year("2024-25"), 0, 2024);
        assert_eq!(year.census, [date(2024, 10, 3), date(2025, 1, 16), date(2025, 5, 15)]);
        assert_eq!(easter_sunday(2025), date(2025, 4, 20));
        assert_eq!(easter_sunday(2024), date(2024, 3, 31));
    }

    #[test]
    fn a_school_year_has_about_190_days_on_weekdays_in_term() {
        for label in ["2024-25", "2025-26", "2030-31"] {
            let year = YearCalendar::new(year(label), 0, 2024);
            let n = year.school_days.len();
            assert!((180..=196).contains(&n), "{label}: {n} days");
            assert!(year.school_days.iter().all(|&d| is_weekday(d)));
            assert!(!year.is_school_day(date(year.start.year(), 12, 25)));
            assert!(!year.inset_days.is_empty() || year.school_days[0].day() <= 3);
        }
    }

    #[test]
    fn local_times_follow_british_summer_time() {
        assert_eq!(local(date(2025, 7, 1), 9 * 3600).to_rfc3339(), "2025-07-01T08:00:00+00:00");
        assert_eq!(local(date(2025, 1, 10), 9 * 3600).to_rfc3339(), "2025-01-10T09:00:00+00:00");
        assert_eq!(to_local(local(date(2025, 7, 1), 600)), (date(2025, 7, 1), 600));
        // Saturday evening: the next office time is Monday morning.
        let t = office_time(local(date(2025, 10, 4), 20 * 3600), 0);
        assert_eq!(to_local(t), (date(2025, 10, 6), 8 * 3600));
    }
}
