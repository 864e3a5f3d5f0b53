//! Everything but the filter log for one academic year: censuses, agreements,
//! monitoring, incidents, filtering change control, the standards' evidence and
//! training, school by school.
//!
//! These are small (tens of thousands a year for a default trust), so a year of them is
//! made at once and sorted; the stream merges them with the filter log by time.

use safelake_schemas::events::CloudEvent;

use crate::calendar::YearCalendar;
use crate::rng::{self, Part};
use crate::world::{SchoolWorld, World};
use crate::{agreements, assurance, casework, change_control, incidents, monitor, roster, training};

pub fn events(world: &World, position: usize) -> Vec<CloudEvent> {
    let year = &world.years[position];
    let horizon = world.horizon();
    let mut out = Vec::new();
    for school in &world.schools {
        out.extend(roster::census(world.seed, school, year));
        out.extend(agreements::agreements(world.seed, school, year, &world.years, horizon));
        out.extend(safeguarding(world, school, year));
        let mut rng = rng::stream(world.seed, Part::Changes, school.index as u64, position as u64);
        out.extend(change_control::events(&mut rng, school, year, horizon));
        let mut rng = rng::stream(world.seed, Part::Assurance, school.index as u64, position as u64);
        out.extend(assurance::events(&mut rng, world, school, year));
        let mut rng = rng::stream(world.seed, Part::Training, school.index as u64, position as u64);
        out.extend(training::events(&mut rng, world, school, year));
    }
    out
}

/// Alerts first, because reviews open some incidents; then all the year's incidents,
/// numbered in the order they happened, as a case management system numbers them.
fn safeguarding(world: &World, school: &SchoolWorld, year: &YearCalendar) -> Vec<CloudEvent> {
    let (index, position) = (school.index as u64, year.position as u64);
    let mut monitor_rng = rng::stream(world.seed, Part::Monitor, index, position);
    let mut incident_rng = rng::stream(world.seed, Part::Incidents, index, position);
    let mut alerts = monitor::alerts(&mut monitor_rng, world, school, year);
    let mut seeds = monitor::opened(&alerts, year);
    let opened = seeds.len();
    seeds.extend(incidents::seeds(&mut incident_rng, school, year, opened));
    seeds.sort_by_key(|s| s.occurred_at);
    let yy = &year.label[2..4];
    let mut out = Vec::new();
    for (n, seed) in seeds.iter().enumerate() {
        let id = format!("INC-{}-{yy}-{:04}", school.id, n + 1);
        if let Some(review) = seed.alert.and_then(|a| alerts[a].review.as_mut()) {
            review.incident_id = Some(id.clone());
        }
        out.extend(casework::events(&mut incident_rng, school, year, seed, &id, world.horizon()));
    }
    out.extend(monitor::events(&mut monitor_rng, school, year, &alerts));
    out
}
