//! Acceptable use agreements: who signed what, when, and who withdrew.
//!
//! Governors ask "has every pupil, parent and member of staff signed this year's
//! agreement?", so coverage must differ by school and fall short of 100%, signing must
//! bunch in September as it does when forms go home with the new year, and each signer
//! signs an agreement type at most once per academic year (a withdrawal is not followed
//! by a second signature).

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc};
use rand::seq::SliceRandom;
use rand::Rng as _;
use safelake_schemas::events::{
    AgreementSigned, AgreementType, AgreementWithdrawn, CloudEvent, ContractEnum, EventData, SignerRole,
};

use crate::calendar::{self, YearCalendar};
use crate::rng::{self, Part, Rng};
use crate::world::{SchoolWorld, System};

struct Year<'a> {
    school: &'a SchoolWorld,
    year: &'a YearCalendar,
    horizon: DateTime<Utc>,
    /// This year's version of each agreement type, by `AgreementType as usize`.
    versions: Vec<String>,
    out: Vec<CloudEvent>,
}

/// One signature to make: who signs what, and how likely they are to withdraw it.
struct Signature<'a> {
    agreement_type: AgreementType,
    signer: &'a str,
    role: SignerRole,
    pupil_ref: Option<&'a str>,
    year_group: Option<u8>,
    withdraw: f64,
}

impl<'a> Signature<'a> {
    fn new(agreement_type: AgreementType, signer: &'a str, role: SignerRole) -> Signature<'a> {
        Signature { agreement_type, signer, role, pupil_ref: None, year_group: None, withdraw: 0.0 }
    }
}

pub fn agreements(
    seed: u64,
    school: &SchoolWorld,
    year: &YearCalendar,
    years: &[YearCalendar],
    horizon: DateTime<Utc>,
) -> Vec<CloudEvent> {
    let mut rng = rng::stream(seed, Part::Agreements, school.index as u64, year.position as u64);
    let versions = AgreementType::ALL.iter().map(|_| version(&mut rng, year)).collect();
    let horizon = horizon.min(year.end_time());
    let mut y = Year { school, year, horizon, versions, out: Vec::new() };
    let coverage = school.traits.coverage + 0.02 * f64::from(year.offset);

    for pupil in school.people.pupils.iter().filter(|p| p.on_roll_in(year)) {
        let yg = pupil.year_group(year);
        let arrival = pupil.arrival(year, years);
        // Year 7 sign at induction, so a few more of them do.
        let induction = if yg == 7 { 0.03 } else { 0.0 };
        if yg >= 3 && rng.random_bool((coverage + induction).min(0.995)) {
            let at = sign_day(&mut rng, year, arrival).map(|d| school_hours(&mut rng, year, d));
            let signature = Signature {
                year_group: Some(yg),
                withdraw: 0.002,
                ..Signature::new(AgreementType::PupilAup, &pupil.reference, SignerRole::Pupil)
            };
            y.sign(&mut rng, at, signature);
        }
        if rng.random_bool((coverage - 0.03).clamp(0.5, 0.99)) {
            let at = sign_day(&mut rng, year, arrival).map(|d| home_hours(&mut rng, d));
            let signature = Signature {
                pupil_ref: Some(&pupil.reference),
                year_group: Some(yg),
                withdraw: 0.006,
                ..Signature::new(AgreementType::ParentPermission, &pupil.parent, SignerRole::Parent)
            };
            y.sign(&mut rng, at, signature);
        }
        if school.traits.home_learning.is_some_and(|share| rng.random_bool(share)) {
            // Older pupils sign for themselves; parents sign for younger ones.
            let day = sign_day(&mut rng, year, arrival);
            let (signer, role, at) = if yg >= 7 {
                (&pupil.reference, SignerRole::Pupil, day.map(|d| school_hours(&mut rng, year, d)))
            } else {
                (&pupil.parent, SignerRole::Parent, day.map(|d| home_hours(&mut rng, d)))
            };
            let signature =
                Signature { withdraw: 0.01, ..Signature::new(AgreementType::HomeLearningAup, signer, role) };
            y.sign(&mut rng, at, signature);
        }
    }

    let staff_coverage = rng.random_range(0.92..1.0);
    let first_census = 3 * year.position as u16;
    for member in school.people.staff.iter().filter(|m| m.on_roll_in(year)) {
        if !rng.random_bool(staff_coverage) {
            continue;
        }
        // Staff sign on an INSET day in September, or in their first days if they join later.
        let day = if member.from > first_census {
            let from = member.from as usize;
            let joined = years[from / 3].census[from % 3] - Days::new(rng.random_range(5..30));
            year.school_day_from(joined.max(year.start))
        } else if rng.random_bool(0.85) {
            year.inset_days.first().or(year.school_days.first()).copied()
        } else {
            sign_day(&mut rng, year, None)
        };
        let at = day.map(|d| calendar::local(d, rng.random_range(30_600..59_400)));
        y.sign(&mut rng, at, Signature::new(AgreementType::StaffAup, &member.reference, SignerRole::Staff));
    }

    // Visitors sign when they come in: a handful each year, on ordinary school days.
    let mut visitors: Vec<&String> = school.people.visitors.iter().collect();
    visitors.shuffle(&mut rng);
    let n = rng::poisson(&mut rng, 6.0 + f64::from(school.plan.pupils) / 120.0) as usize;
    for visitor in visitors.into_iter().take(n) {
        let day = year.school_days[rng.random_range(0..year.school_days.len())];
        let at = Some(calendar::local(day, rng.random_range(30_600..54_000)));
        y.sign(&mut rng, at, Signature::new(AgreementType::VisitorAup, visitor, SignerRole::Visitor));
    }
    y.out
}

impl Year<'_> {
    fn sign(&mut self, rng: &mut Rng, at: Option<DateTime<Utc>>, s: Signature) {
        let Some(signed_at) = at.filter(|&t| t < self.horizon - TimeDelta::hours(1)) else {
            return;
        };
        let data = AgreementSigned {
            agreement_type: s.agreement_type,
            version: self.versions[s.agreement_type as usize].clone(),
            signer_ref: s.signer.to_string(),
            signer_role: s.role,
            pupil_ref: s.pupil_ref.map(str::to_string),
            year_group: s.year_group,
            academic_year: self.year.label.clone(),
            signed_at,
        };
        let time = signed_at + TimeDelta::seconds(rng.random_range(1..300));
        self.out.push(self.school.event(rng, System::Aup, time, EventData::AgreementSigned(data)));
        if s.withdraw > 0.0 && rng.random_bool(s.withdraw) {
            let withdrawn_at = signed_at + TimeDelta::days(rng.random_range(7..200));
            if withdrawn_at < self.horizon {
                let data = AgreementWithdrawn {
                    agreement_type: s.agreement_type,
                    signer_ref: s.signer.to_string(),
                    academic_year: self.year.label.clone(),
                    withdrawn_at,
                };
                let time = withdrawn_at + TimeDelta::seconds(rng.random_range(1..300));
                self.out.push(self.school.event(rng, System::Aup, time, EventData::AgreementWithdrawn(data)));
            }
        }
    }
}

/// Schools revise their agreements most summers; some keep last year's version.
fn version(rng: &mut Rng, year: &YearCalendar) -> String {
    let start = year.start.year();
    if rng.random_bool(0.8) {
        format!("{start}.1")
    } else {
        format!("{}.2", start - 1)
    }
}

/// The day a form comes back: mostly the first fortnight of the autumn term, a tail of
/// stragglers after, and a few late in the year; joiners sign in their first days.
fn sign_day(rng: &mut Rng, year: &YearCalendar, arrival: Option<NaiveDate>) -> Option<NaiveDate> {
    let first = *year.school_days.first()?;
    let day = match arrival {
        Some(arrival) => arrival + Days::new(rng::lognormal(rng, 4.0, 0.8) as u64),
        None => {
            let x: f64 = rng.random();
            let days = if x < 0.7 {
                rng.random_range(0.0..14.0)
            } else if x < 0.93 {
                14.0 + rng::lognormal(rng, 20.0, 0.8)
            } else {
                rng.random_range(30.0..300.0)
            };
            first + Days::new(days as u64)
        }
    };
    (day < year.next_start).then_some(day)
}

/// A signature in a lesson: the next school day, 09:00-15:00.
fn school_hours(rng: &mut Rng, year: &YearCalendar, day: NaiveDate) -> DateTime<Utc> {
    let day = year.school_day_from(day).unwrap_or(day);
    calendar::local(day, rng.random_range(32_400..54_000))
}

/// A parent's online form: any day, mostly in the evening.
fn home_hours(rng: &mut Rng, day: NaiveDate) -> DateTime<Utc> {
    let hour = rng::pick(
        rng,
        &[
            (7u32, 1.0),
            (8, 1.5),
            (12, 1.0),
            (13, 1.0),
            (17, 1.5),
            (18, 2.0),
            (19, 3.0),
            (20, 3.0),
            (21, 2.0),
            (22, 0.8),
        ],
    );
    calendar::local(day, hour * 3600 + rng.random_range(0..3600))
}
