//! Online-safety training: staff at the start of each year (most on an INSET day, the
//! rest later in the autumn), the DSLs in filtering and monitoring, a few volunteers, and
//! the governance of the trust: each hub's advisory board (recorded by the hub's first
//! school) and the trustees (recorded by the trust's first school).

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use rand::Rng as _;
use safelake_schemas::events::{CloudEvent, EventData, TraineeRole, TrainingCompleted, TrainingTopic};

use crate::calendar::{self, YearCalendar};
use crate::rng::Rng;
use crate::world::{SchoolWorld, System, World};

pub fn events(rng: &mut Rng, world: &World, school: &SchoolWorld, year: &YearCalendar) -> Vec<CloudEvent> {
    let horizon = world.horizon();
    let people = &school.people;
    let first_day = year.inset_days.first().or(year.school_days.first()).copied().unwrap_or(year.start);
    let autumn_end = NaiveDate::from_ymd_opt(year.start.year(), 12, 15).expect("15 December");
    let mut out = Vec::new();
    let mut train = |rng: &mut Rng, person_ref: &str, role: TraineeRole, topic: TrainingTopic, at: DateTime<Utc>| {
        let data = TrainingCompleted { person_ref: person_ref.to_string(), role, topic, completed_at: at };
        let time = at + TimeDelta::minutes(rng.random_range(1..120));
        out.push(school.event(rng, System::Training, time, EventData::TrainingCompleted(data)));
    };
    let some_day = |rng: &mut Rng| {
        let days: Vec<NaiveDate> = year.school_days.iter().copied().filter(|d| *d <= autumn_end).collect();
        let day = days.get(rng.random_range(0..days.len().max(1))).copied().unwrap_or(first_day);
        calendar::local(day, rng.random_range(15 * 3600..18 * 3600))
    };
    for (i, member) in people.staff.iter().enumerate() {
        if !member.on_roll_in(year) || !rng.random_bool(school.traits.training_coverage) {
            continue;
        }
        let at = if rng.random_bool(0.7) { calendar::local(first_day, 9 * 3600) } else { some_day(rng) };
        train(rng, &member.reference, TraineeRole::Staff, TrainingTopic::OnlineSafety, at);
        if people.dsl.contains(&i) {
            let at = some_day(rng);
            train(rng, &member.reference, TraineeRole::Staff, TrainingTopic::FilteringAndMonitoring, at);
        }
    }
    for visitor in people.visitors.iter().take(3) {
        if rng.random_bool(0.6) {
            let at = some_day(rng);
            train(rng, visitor, TraineeRole::Volunteer, TrainingTopic::OnlineSafety, at);
        }
    }
    let boards = [
        (school.records_hab, world.habs.get(school.hub).map(Vec::as_slice).unwrap_or_default(), TraineeRole::Governor),
        (school.records_trustees, world.trustees.as_slice(), TraineeRole::Trustee),
    ];
    for (records, members, role) in boards {
        if !records {
            continue;
        }
        // A board trains together at one autumn meeting; a few members miss it.
        let meeting = some_day(rng);
        for member in members {
            if rng.random_bool(0.8) {
                train(rng, member, role, TrainingTopic::OnlineSafety, meeting);
                if rng.random_bool(0.5) {
                    train(rng, member, role, TrainingTopic::FilteringAndMonitoring, meeting + TimeDelta::hours(1));
                }
            }
        }
    }
    out.retain(|e| e.time < horizon);
    out
}
