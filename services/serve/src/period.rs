//! The periods the lake holds, for a page's pickers and its default: read from the
//! partition directories once per page, so no file is opened and no directory listed
//! twice.

use std::path::Path;

use chrono::Utc;
use safelake_period::{AcademicYear, Month};
use safelake_schemas::FAMILIES;

/// The first and last months the lake holds events for (this month, both, when it is
/// empty).
#[derive(Debug, Clone, Copy)]
pub struct Held {
    first: Month,
    last: Month,
}

impl Held {
    pub fn of(lake: &Path) -> Held {
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
        let this = Month::of(Utc::now().date_naive());
        match (months.iter().min(), months.iter().max()) {
            (Some(&first), Some(&last)) => Held { first, last },
            _ => Held { first: this, last: this },
        }
    }

    /// Every month from the first to the last, oldest first: a month picker's choices.
    pub fn months(&self) -> Vec<Month> {
        let mut months = vec![self.first];
        while let Some(&month) = months.last().filter(|m| **m < self.last && months.len() < 1200) {
            months.push(month.next());
        }
        months
    }

    /// The academic years it spans, newest first.
    pub fn years(&self) -> Vec<AcademicYear> {
        let first = AcademicYear::of(self.first.first_day());
        let mut years = vec![AcademicYear::of(self.last.first_day())];
        while let Some(before) = years.last().filter(|y| **y > first).and_then(|y| y.previous()) {
            years.push(before);
        }
        years
    }

    /// The year a dashboard shows when none is asked for: the latest one with data, so a
    /// page opened in September shows last year rather than an empty one.
    pub fn default_year(&self) -> AcademicYear {
        AcademicYear::of(self.last.first_day())
    }
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
        let held = Held::of(lake.path());
        let years: Vec<String> = held.years().iter().map(ToString::to_string).collect();
        assert_eq!(years, ["2025-26", "2024-25"]);
        assert_eq!(held.default_year().to_string(), "2025-26");
        let months = held.months();
        assert_eq!((months[0].to_string(), months.len()), ("2024-10".to_string(), 17));
        assert_eq!(months.last().unwrap().to_string(), "2026-02");
    }
}
