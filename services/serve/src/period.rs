//! Periods as people say them: academic years (`2025-26`), the years the lake holds, and
//! a window written for a chart's subtitle.

use std::path::Path;

use chrono::{Datelike, NaiveDate, Utc};
use safelake_query::reports::{EARLIEST, LATEST};
use safelake_schemas::FAMILIES;

/// The academic year (1 September to 31 August) a date falls in, written `2025-26`.
pub fn academic_year_of(date: NaiveDate) -> String {
    let start = if date.month() >= 9 { date.year() } else { date.year() - 1 };
    format!("{start}-{:02}", (start + 1) % 100)
}

/// The academic year before `year` (`2025-26` → `2024-25`), if `year` is one.
pub fn previous_year(year: &str) -> Option<String> {
    let start: i32 = year.split_once('-')?.0.parse().ok()?;
    Some(format!("{}-{:02}", start - 1, start % 100))
}

/// The first and last months (`YYYY-MM`) the lake holds events for, from its partition
/// directories: no file is opened.
pub fn lake_months(lake: &Path) -> Option<(String, String)> {
    let mut months = Vec::new();
    for family in FAMILIES {
        let Ok(schools) = std::fs::read_dir(lake.join(family.table())) else { continue };
        for school in schools.flatten() {
            let Ok(parts) = std::fs::read_dir(school.path()) else { continue };
            months.extend(
                parts
                    .flatten()
                    .filter_map(|p| p.file_name().to_str().and_then(|n| n.strip_prefix("month=")).map(str::to_string)),
            );
        }
    }
    Some((months.iter().min()?.clone(), months.iter().max()?.clone()))
}

fn month_start(month: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()
}

/// The academic years the lake has events in, newest first; this year when it is empty.
pub fn years(lake: &Path) -> Vec<String> {
    let today = Utc::now().date_naive();
    let (first, last) =
        lake_months(lake).and_then(|(a, b)| Some((month_start(&a)?, month_start(&b)?))).unwrap_or((today, today));
    let first = academic_year_of(first);
    let mut years = vec![academic_year_of(last)];
    while years.last() != Some(&first) && years.len() < 50 {
        let Some(before) = previous_year(years.last().expect("never empty")) else { break };
        years.push(before);
    }
    years
}

/// The year a dashboard shows when none is asked for: the latest one with data, so a page
/// opened in September shows last year rather than an empty one.
pub fn default_year(lake: &Path) -> String {
    years(lake).remove(0)
}

/// `[from, to)` in words: "September 2025 to August 2026", "3 Oct 2025 to 19 Oct 2025",
/// or "all time".
pub fn describe(from: NaiveDate, to: NaiveDate) -> String {
    let last = to.pred_opt().unwrap_or(to);
    match (from == EARLIEST, to == LATEST) {
        (true, true) => "all time".to_string(),
        (true, false) => format!("until {}", last.format("%-d %b %Y")),
        (false, true) => format!("since {}", from.format("%-d %b %Y")),
        _ if from.day() == 1 && to.day() == 1 => {
            if last.year() == from.year() && last.month() == from.month() {
                from.format("%B %Y").to_string()
            } else {
                format!("{} to {}", from.format("%B %Y"), last.format("%B %Y"))
            }
        }
        _ => format!("{} to {}", from.format("%-d %b %Y"), last.format("%-d %b %Y")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn academic_years_start_in_september() {
        assert_eq!(academic_year_of(d("2025-09-01")), "2025-26");
        assert_eq!(academic_year_of(d("2025-08-31")), "2024-25");
        assert_eq!(academic_year_of(d("2099-12-01")), "2099-00");
        assert_eq!(previous_year("2025-26").as_deref(), Some("2024-25"));
        assert_eq!(previous_year("2000-01").as_deref(), Some("1999-00"));
    }

    #[test]
    fn windows_read_as_people_say_them() {
        assert_eq!(describe(d("2025-09-01"), d("2026-09-01")), "September 2025 to August 2026");
        assert_eq!(describe(d("2025-10-01"), d("2025-11-01")), "October 2025");
        assert_eq!(describe(d("2025-10-03"), d("2025-10-20")), "3 Oct 2025 to 19 Oct 2025");
        assert_eq!(describe(EARLIEST, LATEST), "all time");
        assert_eq!(describe(d("2025-10-03"), LATEST), "since 3 Oct 2025");
    }

    #[test]
    fn the_lake_tells_which_years_it_holds() {
        let lake = tempfile::tempdir().unwrap();
        for month in ["2024-10", "2026-02"] {
            std::fs::create_dir_all(lake.path().join(format!("incident_events/school_id=sch01/month={month}")))
                .unwrap();
        }
        assert_eq!(years(lake.path()), ["2025-26", "2024-25"]);
        assert_eq!(default_year(lake.path()), "2025-26");
    }
}
