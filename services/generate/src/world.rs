//! Everything the event generators share: the calendar, each school's people and its
//! character (how strict its filter is, how many incidents it logs), built once per run.
//!
//! Schools differ on purpose: a governors' dashboard that compares schools is only worth
//! looking at if some stand out, so rates and coverage are drawn per school here rather
//! than being the same everywhere.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rand::Rng as _;
use safelake_schemas::events::{CloudEvent, EventData};
use safelake_schemas::trust::Phase;
use safelake_schemas::SchoolId;

use crate::calendar::YearCalendar;
use crate::population::{self, Population};
use crate::rng::{self, Part, Rng};
use crate::trust::{self, SchoolPlan};
use crate::Options;

/// The school system that emits an event: one `source` each.
#[derive(Debug, Clone, Copy)]
pub enum System {
    Cpoms,
    Filter,
    Monitor,
    Aup,
    Mis,
    /// The log of filtering and monitoring checks and reviews.
    Assurance,
    /// The training record (HR).
    Training,
}

/// What makes one school unlike another, drawn once per school.
pub struct Traits {
    /// Incidents logged per 100 pupils per year.
    pub incident_rate: f64,
    /// Monitoring alerts per pupil per year.
    pub alert_rate: f64,
    /// How much the filter blocks, relative to other schools of the phase.
    pub filter_strictness: f64,
    /// Share of pupils (and parents) who sign their agreements.
    pub coverage: f64,
    /// Whether the school asks for home learning agreements, and how many sign.
    pub home_learning: Option<f64>,
    /// Unblock requests per member of staff per year.
    pub unblock_rate: f64,
    /// Filtering and monitoring checks per term.
    pub checks_per_term: f64,
    /// The chance that a check finds the system as expected.
    pub check_pass_rate: f64,
    /// The chance, each year, that the annual review is held in the autumn.
    pub review_diligence: f64,
    /// The share of staff who complete online-safety training each year.
    pub training_coverage: f64,
    /// Whether it has named the governor responsible for filtering and monitoring.
    pub names_governor: bool,
}

pub struct SchoolWorld {
    pub index: usize,
    pub id: SchoolId,
    pub plan: SchoolPlan,
    pub people: Population,
    pub traits: Traits,
    /// The index of its hub among the trust's.
    pub hub: usize,
    /// Whether it records its hub's advisory board (the first school of each hub does)
    /// and, for the first school of the trust, the trustees.
    pub records_hab: bool,
    pub records_trustees: bool,
    sources: [String; 7],
}

impl SchoolWorld {
    pub fn is_primary(&self) -> bool {
        self.plan.school.phase == Phase::Primary
    }

    /// A CloudEvent of this school, its id drawn from `rng`.
    pub fn event(&self, rng: &mut Rng, system: System, time: DateTime<Utc>, data: EventData) -> CloudEvent {
        CloudEvent {
            id: rng::uuid(rng),
            source: self.sources[system as usize].clone(),
            time,
            school_id: self.id.to_string(),
            data,
        }
    }

    pub fn dsl(&self, rng: &mut Rng) -> &str {
        let dsl = &self.people.dsl;
        &self.people.staff[dsl[rng.random_range(0..dsl.len())]].reference
    }
}

pub struct World {
    pub seed: u64,
    pub years: Vec<YearCalendar>,
    pub schools: Vec<SchoolWorld>,
    /// The members of each hub's advisory board, by hub index, as many as `trust.toml`
    /// declares.
    pub habs: Vec<Vec<String>>,
    pub trustees: Vec<String>,
}

impl World {
    pub fn new(options: &Options) -> Result<World> {
        options.check()?;
        let mut years = options.academic_years.clone();
        years.sort();
        let first = years.first().map_or(2024, |y| y.start_year());
        let years: Vec<YearCalendar> =
            years.into_iter().enumerate().map(|(i, year)| YearCalendar::new(year, i, first)).collect();
        let plan = trust::plan(options);
        let trust_id = plan.trust.trust.id.clone();
        let hubs = &plan.trust.hubs;
        let schools = plan
            .schools
            .iter()
            .enumerate()
            .map(|(index, school)| {
                let id = school.school.id.clone();
                let source = |system: &str| format!("urn:trust:{trust_id}:school:{id}:{system}");
                let hub = hubs.iter().position(|h| h.id == school.school.hub).unwrap_or_default();
                let first_of_hub = plan.schools.iter().position(|s| s.school.hub == school.school.hub) == Some(index);
                SchoolWorld {
                    index,
                    people: population::build(options.seed, index, school, &years),
                    traits: traits(options.seed, index, school),
                    hub,
                    records_hab: first_of_hub,
                    records_trustees: index == 0,
                    sources: ["cpoms", "filter", "monitor", "aup", "mis", "assurance", "training"].map(source),
                    id,
                    plan: school.clone(),
                }
            })
            .collect();
        let mut rng = rng::stream(options.seed, Part::Boards, 0, 0);
        let habs = hubs
            .iter()
            .map(|h| (0..h.hab_members.unwrap_or_default()).map(|_| rng::reference(&mut rng, 'b')).collect())
            .collect();
        let trustees =
            (0..plan.trust.trust.trustees.unwrap_or_default()).map(|_| rng::reference(&mut rng, 'b')).collect();
        Ok(World { seed: options.seed, years, schools, habs, trustees })
    }

    /// Nothing is generated at or after this instant (the end of the last year), so the
    /// data never runs ahead of the period it describes.
    pub fn horizon(&self) -> DateTime<Utc> {
        self.years.last().map(YearCalendar::end_time).unwrap_or_default()
    }

    /// How far through the generated period `t` is, 0 to 1: trends (AI chat rising) follow it.
    pub fn progress(&self, t: DateTime<Utc>) -> f64 {
        let (Some(first), Some(last)) = (self.years.first(), self.years.last()) else {
            return 0.0;
        };
        let (start, end) = (first.start_time(), last.end_time());
        ((t - start).num_seconds() as f64 / (end - start).num_seconds().max(1) as f64).clamp(0.0, 1.0)
    }
}

fn traits(seed: u64, index: usize, plan: &SchoolPlan) -> Traits {
    let mut rng = rng::stream(seed, Part::Traits, index as u64, 0);
    let primary = plan.school.phase == Phase::Primary;
    Traits {
        incident_rate: rng.random_range(2.0..9.0) * if primary { 0.6 } else { 1.0 },
        alert_rate: rng::lognormal(&mut rng, 1.0, 0.4)
            * match plan.school.phase {
                Phase::Primary => 0.12,
                Phase::Secondary => 0.5,
                Phase::AllThrough => 0.35,
                _ => 0.2,
            },
        filter_strictness: rng::lognormal(&mut rng, 1.0, 0.35),
        coverage: rng.random_range(0.70..0.99),
        home_learning: rng.random_bool(0.4).then(|| rng.random_range(0.35..0.75)),
        unblock_rate: rng.random_range(0.15..0.6),
        checks_per_term: rng.random_range(1.5..5.0),
        check_pass_rate: rng.random_range(0.8..0.98),
        review_diligence: rng.random_range(0.55..1.0),
        training_coverage: rng.random_range(0.6..0.99),
        names_governor: rng.random_bool(0.8),
    }
}
