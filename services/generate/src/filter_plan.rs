//! How many `filter.blocked` events fall on each school on each school day.
//!
//! The exact number asked for is shared out over every (school day, school) pair in
//! proportion to a weight (school size and phase, how strict its filter is, weekday,
//! start and end of year, noise and the odd spike), by cumulative rounding, so the total
//! is exact while the log itself is drawn one day at a time.

use chrono::{Datelike, Weekday};
use rand::Rng as _;
use safelake_schemas::events::{ContractEnum, WebCategory};
use safelake_schemas::trust::Phase;

use crate::rng::{self, Part, Table};
use crate::vocab;
use crate::world::World;

/// How the requested total is shared out over (year, school day, school) cells.
pub struct FilterPlan {
    events: u128,
    total: u128,
    /// Cell weights in order of year, then day, then school.
    pub weights: Vec<u64>,
    /// Index of each year's first cell in `weights`.
    pub year_starts: Vec<usize>,
    pub domains: Vec<Table<u8>>,
    pub rule_ids: Vec<String>,
}

impl FilterPlan {
    pub fn new(world: &World, events: u64) -> FilterPlan {
        let mut weights = Vec::new();
        let mut year_starts = Vec::new();
        for year in &world.years {
            year_starts.push(weights.len());
            let mut rng = rng::stream(world.seed, Part::FilterPlan, year.position as u64, 0);
            let bases: Vec<f64> = world
                .schools
                .iter()
                .map(|s| {
                    let pupils = s.people.pupils.iter().filter(|p| p.on_roll_in(year)).count() as f64;
                    let phase = match s.plan.school.phase {
                        Phase::Primary => 0.3,
                        Phase::Secondary => 1.0,
                        Phase::AllThrough => 0.75,
                        _ => 0.35,
                    };
                    pupils * phase * s.traits.filter_strictness * (1.0 + 0.1 * f64::from(year.offset))
                })
                .collect();
            let days = year.school_days.len();
            for (d, day) in year.school_days.iter().enumerate() {
                let weekday = match day.weekday() {
                    Weekday::Mon => 1.08,
                    Weekday::Tue => 1.05,
                    Weekday::Fri => 0.85,
                    _ => 1.0,
                };
                // Accounts and devices are still being set up in the first week; the
                // last fortnight of July is films and sports days.
                let season = if d < 5 {
                    0.8
                } else if d + 10 >= days {
                    0.7
                } else {
                    1.0
                };
                for base in &bases {
                    let spike = if rng.random_bool(0.01) { rng.random_range(2.0..4.0) } else { 1.0 };
                    let w = base * weekday * season * spike * rng::lognormal(&mut rng, 1.0, 0.2);
                    weights.push((w * 1000.0).round() as u64);
                }
            }
        }
        let total = weights.iter().map(|&w| u128::from(w)).sum();
        let domains = WebCategory::ALL
            .iter()
            .map(|&c| Table::new(vocab::zipf(vocab::domains(c).len()).map(|(i, w)| (i as u8, w))))
            .collect();
        let rule_ids = WebCategory::ALL.iter().map(|c| format!("cat-{}", c.as_str())).collect();
        FilterPlan { events: u128::from(events), total, weights, year_starts, domains, rule_ids }
    }

    /// Events up to and including cell weight sum `cumulative`.
    pub fn share(&self, cumulative: u128) -> u128 {
        (self.events * cumulative).checked_div(self.total).unwrap_or(0)
    }
}
