//! The periods the lake holds, for a page's pickers and its default: the months of the
//! raw event tables' partitions, read once per page from the tables' logs (no data file
//! is opened).

use chrono::Utc;
use safelake_period::{AcademicYear, Month};
use safelake_query::Engine;
use safelake_schemas::FAMILIES;

/// The first and last months the lake holds events for (this month, both, when it is
/// empty).
#[derive(Debug, Clone, Copy)]
pub struct Held {
    first: Month,
    last: Month,
}

impl Held {
    /// The months the engine's raw tables hold now.
    pub async fn of(engine: &Engine) -> anyhow::Result<Held> {
        let mut months: Vec<Month> = Vec::new();
        for family in FAMILIES {
            let table = engine.snapshots().now(family.table()).await?;
            months.extend(table.files().iter().filter_map(|f| f.partition.month.parse::<Month>().ok()));
        }
        Ok(Held::spanning(months))
    }

    /// The span of `months` (this month alone when there are none).
    pub fn spanning(months: impl IntoIterator<Item = Month>) -> Held {
        let months: Vec<Month> = months.into_iter().collect();
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
    fn the_months_held_tell_the_years_and_months_to_offer() {
        let held = Held::spanning(["2024-10", "2026-02"].map(|m| m.parse::<Month>().unwrap()));
        let years: Vec<String> = held.years().iter().map(ToString::to_string).collect();
        assert_eq!(years, ["2025-26", "2024-25"]);
        assert_eq!(held.default_year().to_string(), "2025-26");
        let months = held.months();
        assert_eq!((months[0].to_string(), months.len()), ("2024-10".to_string(), 17));
        assert_eq!(months.last().unwrap().to_string(), "2026-02");
    }
}
