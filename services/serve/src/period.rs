//! The periods the lake holds, for a page's pickers and its default: read from the
//! partition directories, so no file is opened.

use std::path::Path;

use chrono::Utc;
use safelake_period::{AcademicYear, Month};
use safelake_schemas::FAMILIES;

/// The first and last months the lake holds events for.
pub fn lake_months(lake: &Path) -> Option<(Month, Month)> {
    let mut months: Vec<Month> = Vec::new();
    for family in FAMILIES {
        let Ok(schools) = std::fs::read_dir(lake.join(family.table())) else { continue };
        for school in schools.flatten() {
            let Ok(parts) = std::fs::read_dir(school.path()) else { continue };
            months.extend(parts.flatten().filter_map(|p| {
                p.file_name().to_str().and_then(|n| n.strip_prefix("month=")).and_then(|m| m.parse::<Month>().ok())
            }));
        }
    }
    Some((*months.iter().min()?, *months.iter().max()?))
}

/// Every month from the lake's first to its last, oldest first (this month when it is
/// empty): the choices of a month picker.
pub fn months(lake: &Path) -> Vec<Month> {
    let this = Month::of(Utc::now().date_naive());
    let (first, last) = lake_months(lake).unwrap_or((this, this));
    let mut months = vec![first];
    while let Some(&month) = months.last().filter(|m| **m < last && months.len() < 1200) {
        months.push(month.next());
    }
    months
}

/// The academic years the lake has events in, newest first; this year when it is empty.
pub fn years(lake: &Path) -> Vec<AcademicYear> {
    let today = Utc::now().date_naive();
    let (first, last) = lake_months(lake).map_or((today, today), |(a, b)| (a.first_day(), b.first_day()));
    let first = AcademicYear::of(first);
    let mut years = vec![AcademicYear::of(last)];
    while let Some(before) = years.last().filter(|y| **y > first).and_then(|y| y.previous()) {
        years.push(before);
    }
    years
}

/// The year a dashboard shows when none is asked for: the latest one with data, so a page
/// opened in September shows last year rather than an empty one.
pub fn default_year(lake: &Path) -> AcademicYear {
    years(lake)[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lake_tells_which_years_and_months_it_holds() {
        let lake = tempfile::tempdir().unwrap();
        for month in ["2024-10", "2026-02"] {
            std::fs::create_dir_all(lake.path().join(format!("incident_events/school_id=sch01/month={month}")))
                .unwrap();
        }
        let years: Vec<String> = years(lake.path()).iter().map(ToString::to_string).collect();
        assert_eq!(years, ["2025-26", "2024-25"]);
        assert_eq!(default_year(lake.path()).to_string(), "2025-26");
        let months = months(lake.path());
        assert_eq!((months[0].to_string(), months.len()), ("2024-10".to_string(), 17));
        assert_eq!(months.last().unwrap().to_string(), "2026-02");
    }
}
