//! Census events: the denominators of every rate on the dashboards.
//!
//! On each DfE census day the MIS reports pupils on roll per year group and staff on
//! roll, counted from the same people the other events name, so "incidents per 100
//! pupils" divides by the pupils who could have had them.

use chrono::TimeDelta;
use rand::Rng as _;
use safelake_schemas::events::{Census, CensusRole, CloudEvent, EventData};

use crate::calendar::{self, YearCalendar};
use crate::rng::{self, Part};
use crate::world::{SchoolWorld, System};

pub fn census(seed: u64, school: &SchoolWorld, year: &YearCalendar) -> Vec<CloudEvent> {
    let mut rng = rng::stream(seed, Part::Roster, school.index as u64, year.position as u64);
    let mut out = Vec::new();
    for (term, &date) in year.census.iter().enumerate() {
        let index = 3 * year.position + term;
        // The MIS export runs in the evening of census day.
        let time = calendar::local(date, 18 * 3600) + TimeDelta::seconds(rng.random_range(0..1800));
        let mut counts = [0u32; 14];
        for pupil in school.people.pupils.iter().filter(|p| p.on_roll_at(index)) {
            counts[pupil.year_group(year) as usize] += 1;
        }
        for yg in school.plan.first_year_group..=school.plan.last_year_group {
            let data = Census {
                census_date: date,
                role: CensusRole::Pupil,
                year_group: Some(yg),
                headcount: counts[yg as usize],
            };
            out.push(school.event(&mut rng, System::Mis, time, EventData::Census(data)));
        }
        let staff = school.people.staff.iter().filter(|m| m.on_roll_at(index)).count() as u32;
        let data = Census { census_date: date, role: CensusRole::Staff, year_group: None, headcount: staff };
        out.push(school.event(&mut rng, System::Mis, time, EventData::Census(data)));
    }
    out
}
