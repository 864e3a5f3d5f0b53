//! Who has online-safety incidents, of what kind, and when.
//!
//! Real logs are lopsided, and dashboards are built to show it: most pupils never appear,
//! a few appear again and again (a heavy-tailed propensity per pupil), older pupils more
//! than infants, cyberbullying and inappropriate content far more than grooming or
//! youth-produced imagery, a few incidents about staff. What happens after recording
//! (actions, corrections, closure) is in `casework`.

use chrono::{DateTime, Days, Utc};
use rand::Rng as _;
use safelake_schemas::events::{IncidentCategory, Location, ReportedByRole};

use crate::calendar::{self, YearCalendar};
use crate::rng::{self, Rng, Table};
use crate::world::SchoolWorld;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Index into the school's pupils.
    Pupil(usize),
    /// Index into the school's staff.
    Staff(usize),
}

/// An incident before it is recorded: the facts a DSL starts from.
#[derive(Debug, Clone)]
pub struct Seed {
    pub occurred_at: DateTime<Utc>,
    pub subject: Subject,
    pub category: IncidentCategory,
    pub location: Location,
    pub reported_by: ReportedByRole,
    /// Recorded no earlier than this: the review of the monitoring alert that opened it.
    pub not_before: Option<DateTime<Utc>>,
    /// Index of that alert among the school's alerts of the year.
    pub alert: Option<usize>,
}

/// How likely a pupil of each year group is to be involved, relative to Year 7.
pub const YEAR_GROUP_RISK: [f64; 14] = [0.05, 0.08, 0.15, 0.3, 0.45, 0.65, 0.8, 1.0, 1.2, 1.3, 1.2, 0.9, 0.6, 0.5];

/// Incidents logged directly (not from monitoring) for a school's year; `from_alerts`
/// already opened by monitoring count towards the school's rate.
pub fn seeds(rng: &mut Rng, school: &SchoolWorld, year: &YearCalendar, from_alerts: usize) -> Vec<Seed> {
    let pupils = &school.people.pupils;
    let candidates = Table::new(
        pupils
            .iter()
            .enumerate()
            .filter(|(_, p)| p.on_roll_in(year))
            .map(|(i, p)| (i, p.risk * YEAR_GROUP_RISK[p.year_group(year) as usize])),
    );
    let on_roll = pupils.iter().filter(|p| p.on_roll_in(year)).count() as f64;
    let expected = school.traits.incident_rate * on_roll / 100.0;
    let n = rng::poisson(rng, (expected - from_alerts as f64).max(0.3 * expected));
    let mut out = Vec::new();
    for _ in 0..n {
        if candidates.is_empty() {
            break;
        }
        let index = candidates.sample(rng);
        let yg = pupils[index].year_group(year);
        let category = rng::pick(rng, &pupil_categories(yg, year.offset));
        out.push(seed(rng, year, Subject::Pupil(index), category));
    }
    let staff: Vec<usize> = (0..school.people.staff.len())
        .filter(|&i| school.people.staff[i].on_roll_in(year) && !school.people.dsl.contains(&i))
        .collect();
    for _ in 0..rng::poisson(rng, staff.len() as f64 * 0.012) {
        if staff.is_empty() {
            break;
        }
        let index = staff[rng.random_range(0..staff.len())];
        let category = rng::pick(rng, STAFF_CATEGORIES);
        out.push(seed(rng, year, Subject::Staff(index), category));
    }
    out
}

fn seed(rng: &mut Rng, year: &YearCalendar, subject: Subject, category: IncidentCategory) -> Seed {
    let staff = matches!(subject, Subject::Staff(_));
    let location = if rng.random_bool(if staff { 0.85 } else { in_school_share(category) }) {
        Location::InSchool
    } else {
        Location::OutOfSchool
    };
    let occurred_at = match location {
        Location::InSchool => in_school_time(rng, year),
        Location::OutOfSchool => out_of_school_time(rng, year),
    };
    let reported_by = rng::pick(rng, reporters(category, staff));
    Seed { occurred_at, subject, category, location, reported_by, not_before: None, alert: None }
}

/// A lesson or break time on a school day.
pub fn in_school_time(rng: &mut Rng, year: &YearCalendar) -> DateTime<Utc> {
    let day = year.school_days[rng.random_range(0..year.school_days.len())];
    calendar::local(day, rng.random_range(30_600..55_800))
}

/// Evenings on school days, daytime too at weekends and in holidays, before late July.
pub fn out_of_school_time(rng: &mut Rng, year: &YearCalendar) -> DateTime<Utc> {
    loop {
        let day = year.start + Days::new(rng.random_range(0..328));
        let school_day = year.is_school_day(day);
        if school_day || rng.random_bool(0.6) {
            let from = if school_day { 55_800 } else { 36_000 };
            return calendar::local(day, rng.random_range(from..81_000));
        }
    }
}

fn pupil_categories(yg: u8, offset: i16) -> Vec<(IncidentCategory, f64)> {
    use IncidentCategory::*;
    let primary = yg <= 6;
    let p = |primary_factor: f64| if primary { primary_factor } else { 1.0 };
    vec![
        (Cyberbullying, 32.0 * p(0.6)),
        (InappropriateContent, 16.0 * p(1.6)),
        (AccountMisuse, 12.0 * p(0.8)),
        (FilteringBypass, 12.0 * p(0.5)),
        (GamingGambling, 5.0 * p(1.4)),
        (AiMisuse, 4.0 * p(0.4) * (1.0 + f64::from(offset))),
        (DataProtection, 3.0),
        (Other, 6.0),
        (YouthProducedSexualImagery, 3.0 * p(0.05)),
        (ExtremismRadicalisation, 1.5 * p(0.2)),
        (IllegalContent, 1.0),
        (GroomingContact, 1.5),
    ]
}

const STAFF_CATEGORIES: &[(IncidentCategory, f64)] = &[
    (IncidentCategory::DataProtection, 35.0),
    (IncidentCategory::AccountMisuse, 20.0),
    (IncidentCategory::InappropriateContent, 18.0),
    (IncidentCategory::Other, 10.0),
    (IncidentCategory::AiMisuse, 8.0),
    (IncidentCategory::FilteringBypass, 4.0),
    (IncidentCategory::Cyberbullying, 2.0),
    (IncidentCategory::GroomingContact, 1.5),
    (IncidentCategory::IllegalContent, 1.0),
];

fn in_school_share(category: IncidentCategory) -> f64 {
    use IncidentCategory::*;
    match category {
        Cyberbullying => 0.3,
        InappropriateContent => 0.7,
        AccountMisuse => 0.85,
        FilteringBypass => 0.97,
        YouthProducedSexualImagery => 0.2,
        GroomingContact => 0.1,
        ExtremismRadicalisation | Other => 0.5,
        IllegalContent => 0.4,
        DataProtection => 0.9,
        GamingGambling => 0.6,
        AiMisuse => 0.85,
    }
}

fn reporters(category: IncidentCategory, staff: bool) -> &'static [(ReportedByRole, f64)] {
    use IncidentCategory::*;
    use ReportedByRole::*;
    if staff {
        return &[(Staff, 0.6), (MonitoringSystem, 0.2), (FilteringSystem, 0.1), (Parent, 0.05), (Pupil, 0.05)];
    }
    match category {
        FilteringBypass => &[(FilteringSystem, 0.5), (Staff, 0.4), (Pupil, 0.1)],
        InappropriateContent => {
            &[(MonitoringSystem, 0.2), (FilteringSystem, 0.15), (Staff, 0.35), (Pupil, 0.15), (Parent, 0.15)]
        }
        Cyberbullying => &[(Pupil, 0.45), (Parent, 0.35), (Staff, 0.2)],
        AccountMisuse => &[(Staff, 0.6), (Pupil, 0.3), (MonitoringSystem, 0.1)],
        YouthProducedSexualImagery => &[(Pupil, 0.4), (Staff, 0.25), (Parent, 0.25), (External, 0.1)],
        GroomingContact => &[(Parent, 0.4), (Pupil, 0.3), (External, 0.2), (Staff, 0.1)],
        ExtremismRadicalisation => &[(MonitoringSystem, 0.4), (Staff, 0.4), (External, 0.1), (Pupil, 0.1)],
        IllegalContent => &[(MonitoringSystem, 0.3), (External, 0.3), (Staff, 0.3), (Parent, 0.1)],
        DataProtection => &[(Staff, 0.9), (Parent, 0.1)],
        GamingGambling => &[(Staff, 0.4), (Parent, 0.4), (Pupil, 0.2)],
        AiMisuse => &[(Staff, 0.7), (MonitoringSystem, 0.3)],
        Other => &[(Staff, 0.5), (Pupil, 0.2), (Parent, 0.3)],
    }
}
