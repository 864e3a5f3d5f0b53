//! Deterministic synthetic trusts for demos, tests and benchmarks.
//!
//! Dashboards for governors, the ingest's tests and the lake's benchmarks all need a
//! trust that behaves like a real one, and none may use real data. This crate makes one
//! from a seed: hubs and schools ([`trust`]), and every event those schools would emit
//! over some academic years ([`events`]), all of which pass the contract. People appear
//! only as random pseudonymous references. The same options give the same output, byte
//! for byte, on every platform, and events stream, so a benchmark can ask for a hundred
//! million filter events without holding them.

mod actions;
mod agreements;
mod assurance;
mod calendar;
mod casework;
mod change_control;
mod filter;
mod filter_plan;
mod incidents;
mod monitor;
mod output;
mod population;
mod rng;
mod roster;
mod school_year;
mod stream;
mod training;
mod trust;
mod vocab;
mod world;

use anyhow::{bail, Result};
use safelake_period::AcademicYear;
use safelake_schemas::events::CloudEvent;
use safelake_schemas::Trust;

pub use output::{family, write_dir, Summary};
pub use trust::{plan, SchoolPlan, TrustPlan};

/// What to generate. The defaults are fixed (never the clock) so output is reproducible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub seed: u64,
    pub schools: usize,
    pub hubs: usize,
    /// Academic years (1 September to 31 August), in any order.
    pub academic_years: Vec<AcademicYear>,
    /// The exact number of `filter.blocked` events across the trust and years.
    pub filter_events: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seed: 42,
            schools: 12,
            hubs: 3,
            academic_years: ["2024-25", "2025-26"].map(|y| y.parse().expect("an academic year")).to_vec(),
            filter_events: 200_000,
        }
    }
}

impl Options {
    /// Whether these options describe a trust that can be generated.
    pub fn check(&self) -> Result<()> {
        for (i, year) in self.academic_years.iter().enumerate() {
            if self.academic_years[..i].contains(year) {
                bail!("academic year {year} is listed twice");
            }
        }
        if self.schools > 0 && self.hubs == 0 {
            bail!("{} schools need at least one hub", self.schools);
        }
        if self.filter_events > 0 && (self.schools == 0 || self.academic_years.is_empty()) {
            bail!("filter events need at least one school and one academic year");
        }
        Ok(())
    }
}

/// The trust's hubs and schools, as written to `trust.toml`. School sizes are in [`plan`].
pub fn trust(options: &Options) -> Trust {
    trust::plan(options).trust
}

/// Every event of the trust in the order it was emitted (by `time`), streamed.
///
/// Panics if `options.check()` fails.
pub fn events(options: &Options) -> impl Iterator<Item = CloudEvent> {
    stream::Events::new(options)
}
