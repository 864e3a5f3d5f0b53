//! What happens to an incident once it is logged: recording, actions, corrections and
//! closure, as the CPOMS-like system emits them.
//!
//! Every time comes after the one before it: an incident is recorded minutes to days
//! after it happened, in office hours, actions and corrections follow, most incidents are
//! closed weeks later, and nothing is dated beyond the generated period. Which actions
//! are taken is decided in `actions`.

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng as _;
use safelake_schemas::events::{
    CloudEvent, EventData, IncidentAction, IncidentActionTaken, IncidentClosed, IncidentOutcome, IncidentRecorded,
    Location, Severity, SubjectRole,
};

use crate::actions::{actions, amendment, Facts};
use crate::calendar::{self, YearCalendar};
use crate::incidents::{Seed, Subject};
use crate::rng::{self, Rng};
use crate::world::{SchoolWorld, System};

/// The events of one incident, given its id.
pub fn events(
    rng: &mut Rng,
    school: &SchoolWorld,
    year: &YearCalendar,
    seed: &Seed,
    id: &str,
    horizon: DateTime<Utc>,
) -> Vec<CloudEvent> {
    let facts = Facts::grade(rng, seed);
    let (staff, severity) = (facts.staff, facts.severity);

    // Found in school: logged within hours. Out of school: it comes to light later.
    let delay_hours = match seed.location {
        Location::InSchool => rng::lognormal(rng, 1.5, 1.0),
        Location::OutOfSchool => rng::lognormal(rng, 20.0, 1.2),
    };
    let mut recorded = seed.occurred_at + hours(delay_hours);
    if let Some(review) = seed.not_before {
        recorded = recorded.max(review + TimeDelta::minutes(rng.random_range(5..90)));
    }
    let earliest = seed.not_before.unwrap_or(seed.occurred_at).max(seed.occurred_at);
    let recorded =
        calendar::office_time(recorded, rng.random_range(0..5400)).min(horizon - TimeDelta::minutes(1)).max(earliest);

    let (pupil_ref, staff_ref, year_group) = match seed.subject {
        Subject::Pupil(i) => {
            let pupil = &school.people.pupils[i];
            (Some(pupil.reference.clone()), None, Some(pupil.year_group(year)))
        }
        Subject::Staff(i) => (None, Some(school.people.staff[i].reference.clone()), None),
    };
    let data = IncidentRecorded {
        incident_id: id.to_string(),
        occurred_at: seed.occurred_at,
        subject_role: if staff { SubjectRole::Staff } else { SubjectRole::Pupil },
        pupil_ref,
        staff_ref,
        year_group,
        category: facts.category,
        location: seed.location,
        severity,
        illegal: facts.illegal,
        reported_by_role: seed.reported_by,
    };
    let mut out = vec![school.event(rng, System::Cpoms, recorded, EventData::IncidentRecorded(data))];

    let mut last = recorded;
    let mut external = false;
    for (action, median_hours) in actions(rng, &facts) {
        let taken_at =
            calendar::office_time(recorded + hours(rng::lognormal(rng, median_hours, 0.9)), rng.random_range(0..3600));
        if taken_at >= horizon {
            continue;
        }
        external |= matches!(
            action,
            IncidentAction::ReferredPolice
                | IncidentAction::ReferredCeop
                | IncidentAction::ReferredIwf
                | IncidentAction::ReferredLado
                | IncidentAction::ReferredSocialCare
        );
        last = last.max(taken_at);
        let data = IncidentActionTaken { incident_id: id.to_string(), action, taken_at };
        let time = taken_at + TimeDelta::seconds(rng.random_range(0..120));
        out.push(school.event(rng, System::Cpoms, time, EventData::IncidentActionTaken(data)));
    }

    if rng.random_bool(0.05) {
        let amended_at =
            calendar::office_time(recorded + hours(rng::lognormal(rng, 36.0, 1.0)), rng.random_range(0..3600));
        if amended_at < horizon {
            let data = amendment(rng, id, amended_at, &facts);
            last = last.max(amended_at);
            let time = amended_at + TimeDelta::seconds(rng.random_range(0..60));
            out.push(school.event(rng, System::Cpoms, time, EventData::IncidentAmended(data)));
        }
    }

    // Most incidents are closed; serious ones take weeks. Some stay open.
    if rng.random_bool(0.9) {
        let median_days = match severity {
            Severity::A => 5.0,
            Severity::B => 10.0,
            Severity::C => 25.0,
            _ => 30.0,
        };
        let closed_at = calendar::office_time(
            last + hours(24.0 * rng::lognormal(rng, median_days, 0.8)),
            rng.random_range(0..3600),
        );
        if closed_at < horizon {
            let outcome = if external && rng.random_bool(0.8) {
                IncidentOutcome::ReferredExternal
            } else {
                let unfounded = if staff { 0.2 } else { 0.08 };
                rng::pick(
                    rng,
                    &[
                        (IncidentOutcome::Resolved, 0.65),
                        (IncidentOutcome::NoFurtherAction, 0.27),
                        (IncidentOutcome::Unfounded, unfounded),
                    ],
                )
            };
            let data = IncidentClosed { incident_id: id.to_string(), closed_at, outcome };
            let time = closed_at + TimeDelta::seconds(rng.random_range(0..60));
            out.push(school.event(rng, System::Cpoms, time, EventData::IncidentClosed(data)));
        }
    }
    out
}

fn hours(h: f64) -> TimeDelta {
    TimeDelta::seconds((h * 3600.0) as i64)
}
