//! The people of each school, as pseudonymous references.
//!
//! Every event names people from here, so one pupil's incidents, alerts, filter logs and
//! agreements line up across families, and each census headcount is the count of these
//! very people. Pupils move up a year group each September, a few join and leave between
//! censuses, most Year 11s leave where the sixth form is small, and staff turn over.

use chrono::{Days, NaiveDate};
use rand::Rng as _;
use safelake_schemas::events::WebCategory;

use crate::calendar::YearCalendar;
use crate::rng::{self, Part, Rng};
use crate::trust::SchoolPlan;

pub struct Pupil {
    pub reference: String,
    /// The one parent or carer who signs for this pupil.
    pub parent: String,
    /// Year group in the first generated year (negative: not yet at school then).
    pub cohort: i16,
    /// First and last census on roll, as indices `3 * year position + term`.
    pub from: u16,
    pub to: u16,
    /// Days before the `from` census that a pupil who joined mid-year arrived (0: not a
    /// mid-year joiner).
    pub join_lag: u8,
    /// Heavy-tailed propensity to be in incidents and alerts: a few pupils have many.
    pub risk: f64,
    /// Heavy-tailed propensity to hit the web filter.
    pub online: f64,
    /// The kind of site this pupil keeps trying.
    pub habit: WebCategory,
}

pub struct Member {
    pub reference: String,
    pub from: u16,
    pub to: u16,
}

pub struct Population {
    pub pupils: Vec<Pupil>,
    pub staff: Vec<Member>,
    /// Indices into `staff` of the designated safeguarding lead and deputies: they review
    /// alerts and decide on filtering, and stay all through the generated years.
    pub dsl: Vec<usize>,
    pub visitors: Vec<String>,
}

fn overlaps(from: u16, to: u16, year: &YearCalendar) -> bool {
    let first = 3 * year.position as u16;
    from <= first + 2 && to >= first
}

impl Pupil {
    /// Only meaningful for a year the pupil is on roll in.
    pub fn year_group(&self, year: &YearCalendar) -> u8 {
        (self.cohort + year.offset).clamp(0, 13) as u8
    }

    pub fn on_roll_in(&self, year: &YearCalendar) -> bool {
        overlaps(self.from, self.to, year)
    }

    pub fn on_roll_at(&self, census: usize) -> bool {
        (self.from as usize..=self.to as usize).contains(&census)
    }

    /// The day a mid-year joiner arrived, when they joined during `year`.
    pub fn arrival(&self, year: &YearCalendar, years: &[YearCalendar]) -> Option<NaiveDate> {
        let from = self.from as usize;
        if self.join_lag == 0 || from / 3 != year.position {
            return None;
        }
        let census = years[from / 3].census[from % 3];
        Some((census - Days::new(u64::from(self.join_lag))).max(year.start))
    }
}

impl Member {
    pub fn on_roll_in(&self, year: &YearCalendar) -> bool {
        overlaps(self.from, self.to, year)
    }

    pub fn on_roll_at(&self, census: usize) -> bool {
        (self.from as usize..=self.to as usize).contains(&census)
    }
}

const HABITS: &[(WebCategory, f64)] = &[
    (WebCategory::Gaming, 30.0),
    (WebCategory::SocialMedia, 25.0),
    (WebCategory::Streaming, 15.0),
    (WebCategory::ProxyVpnBypass, 8.0),
    (WebCategory::Messaging, 8.0),
    (WebCategory::AiChatbot, 6.0),
    (WebCategory::Shopping, 3.0),
    (WebCategory::SearchUnsafe, 3.0),
    (WebCategory::Piracy, 2.0),
];

pub fn build(seed: u64, index: usize, plan: &SchoolPlan, years: &[YearCalendar]) -> Population {
    let mut rng = rng::stream(seed, Part::Population, index as u64, 0);
    let last_census = (3 * years.len()).saturating_sub(1) as u16;
    let pupils = pupils(&mut rng, plan, years);
    let (staff, dsl) = staff(&mut rng, plan, years.len(), last_census);
    let visitors = (0..12 + plan.pupils / 40).map(|_| rng::reference(&mut rng, 'v')).collect();
    Population { pupils, staff, dsl, visitors }
}

/// Cohorts: every group of pupils who are in year group `c` in the first year, from
/// those who start Reception (or Year 7) in the last year to those leaving in the first.
fn pupils(rng: &mut Rng, plan: &SchoolPlan, years: &[YearCalendar]) -> Vec<Pupil> {
    let (first, last) = (i16::from(plan.first_year_group), i16::from(plan.last_year_group));
    let Some(span) = years.last().map(|y| y.offset) else {
        return Vec::new();
    };
    let groups = f64::from(plan.last_year_group - plan.first_year_group + 1);
    let sixth = if last == 13 { 2.0 * (1.0 - plan.sixth_form) } else { 0.0 };
    let per_group = f64::from(plan.pupils) / (groups - sixth);
    let last_census = 3 * years.len() - 1;
    let mut pupils = Vec::new();
    for cohort in first - span..=last {
        let size = (per_group * rng.random_range(0.92..1.08)).round() as usize;
        for _ in 0..size {
            let leaves_after = if last == 13 && !rng.random_bool(plan.sixth_form) { 11 } else { last };
            let on_roll: Vec<usize> = years
                .iter()
                .filter(|y| (first..=leaves_after).contains(&(cohort + y.offset)))
                .map(|y| y.position)
                .collect();
            let (Some(&k0), Some(&k1)) = (on_roll.first(), on_roll.last()) else {
                continue;
            };
            let (mut from, mut to) = (3 * k0, (3 * k1 + 2).min(last_census));
            let mut join_lag = 0;
            // A few pupils arrive or leave mid-year: headcounts move between censuses.
            if rng.random_bool(0.05) && to > from {
                from = rng.random_range(from + 1..=to);
                join_lag = rng.random_range(1..=40);
            }
            if rng.random_bool(0.05) && to > from {
                to = rng.random_range(from..to);
            }
            pupils.push(Pupil {
                reference: rng::reference(rng, 'p'),
                parent: rng::reference(rng, 'g'),
                cohort,
                from: from as u16,
                to: to as u16,
                join_lag,
                risk: rng::pareto(rng, 1.2, 80.0),
                online: rng::lognormal(rng, 1.0, 1.4),
                habit: rng::pick(rng, HABITS),
            });
        }
    }
    pupils
}

/// About a tenth of staff leave each summer and a few mid-year; most posts are filled
/// again, some after a gap and some not at all, so staff headcounts drift a little.
fn staff(rng: &mut Rng, plan: &SchoolPlan, years: usize, last: u16) -> (Vec<Member>, Vec<usize>) {
    let mut staff: Vec<Member> =
        (0..plan.staff).map(|_| Member { reference: rng::reference(rng, 's'), from: 0, to: last }).collect();
    let dsl: Vec<usize> = (0..if plan.pupils < 300 { 2 } else { 3 }).collect();
    let hire = |staff: &mut Vec<Member>, rng: &mut Rng, from: u16| {
        if from <= last {
            staff.push(Member { reference: rng::reference(rng, 's'), from, to: last });
        }
    };
    for k in 0..years as u16 {
        for i in dsl.len()..staff.len() {
            let on_roll = staff[i].from <= 3 * k && staff[i].to == last;
            if on_roll && rng.random_bool(0.02) {
                let leaves = 3 * k + rng.random_range(0..2);
                staff[i].to = leaves;
                if rng.random_bool(0.9) {
                    let from = leaves + rng.random_range(1..=2);
                    hire(&mut staff, rng, from);
                }
            } else if on_roll && k + 1 < years as u16 && rng.random_bool(0.1) {
                staff[i].to = 3 * k + 2;
                if rng.random_bool(0.9) {
                    hire(&mut staff, rng, 3 * (k + 1));
                }
            }
        }
        if k + 1 < years as u16 {
            for _ in 0..rng::poisson(rng, f64::from(plan.staff) * 0.012) {
                hire(&mut staff, rng, 3 * (k + 1));
            }
        }
    }
    (staff, dsl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{trust, Options};

    #[test]
    fn pupils_move_up_and_sixth_forms_are_smaller() {
        let options = Options::default();
        let plan = trust::plan(&options);
        let years: Vec<YearCalendar> = [("2024-25", 0), ("2025-26", 1)]
            .iter()
            .map(|(l, p)| YearCalendar::new(l.parse().unwrap(), *p, 2024))
            .collect();
        let school = plan.schools.iter().find(|s| s.last_year_group == 13).unwrap();
        let pop = build(options.seed, 0, school, &years);
        let count = |census: usize, yg: u8| {
            pop.pupils.iter().filter(|p| p.on_roll_at(census) && p.year_group(&years[census / 3]) == yg).count()
        };
        let total: usize = (0..=13).map(|yg| count(0, yg)).sum();
        assert!((total as f64 - f64::from(school.pupils)).abs() < 0.12 * f64::from(school.pupils));
        assert!(count(0, 12) < count(0, 10));
        // Most of Year 8 in the first year are in Year 9 in the second.
        let y8: Vec<&Pupil> = pop.pupils.iter().filter(|p| p.on_roll_at(0) && p.year_group(&years[0]) == 8).collect();
        let stayed = y8.iter().filter(|p| p.on_roll_at(3) && p.year_group(&years[1]) == 9).count();
        assert!(stayed * 10 > y8.len() * 8);
        assert!(pop.staff.iter().filter(|m| m.on_roll_at(0)).count() as u32 == school.staff);
    }
}
