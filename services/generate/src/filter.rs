//! The web filter's log: `filter.blocked` events, by far the most numerous, streamed day
//! by day in time order.
//!
//! Each day's share per school comes from `filter_plan`. Within a day, requests fall in
//! school hours with a lunchtime peak; users are heavy-tailed (a few pupils trip the
//! filter all day long), and categories and host names are Zipf-like. A day is drawn as
//! compact records, sorted, and turned into events only as they are consumed, so memory
//! holds one day however many events are asked for.

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng as _;
use safelake_schemas::events::{
    CloudEvent, ContractEnum, Device, EventData, FilterBlocked, UserGroup, Verdict, WebCategory,
};

use crate::calendar::{self, YearCalendar};
use crate::filter_plan::FilterPlan;
use crate::population::Pupil;
use crate::rng::{self, Part, Rng, Table};
use crate::vocab::{self, Browser};
use crate::world::{System, World};

/// Pupils hardly browse in Reception; Years 8-10 trip the filter most.
const YEAR_GROUP_ONLINE: [f64; 14] = [0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0, 1.15, 1.25, 1.2, 1.0, 0.8, 0.75];
const HOURS: &[(u32, f64)] = &[(8, 0.5), (9, 1.0), (10, 1.05), (11, 1.0), (12, 1.5), (13, 1.15), (14, 1.0), (15, 0.75)];
/// In the order of `Browser`'s discriminants, which index the category tables.
const BROWSERS: [Browser; 4] = [Browser::PrimaryPupil, Browser::SecondaryPupil, Browser::Staff, Browser::Guest];

/// One school's possible users in a year.
struct Users {
    pupils: Table<u32>,
    staff: Table<u32>,
    guests: Vec<String>,
    pupil_share: f64,
    staff_share: f64,
}

/// What a day's records are drawn from, for one school.
struct Draw<'a> {
    users: &'a Users,
    pupils: &'a [Pupil],
    year: &'a YearCalendar,
    domains: &'a [Table<u8>],
}

impl Draw<'_> {
    fn record(&self, rng: &mut Rng, categories: &[Table<u8>; 4], hours: &Table<u32>, school: usize) -> Record {
        let (users, pupils, domains) = (self.users, self.pupils, self.domains);
        let x: f64 = rng.random();
        let (group, user, browser, byod) = if x < users.pupil_share && !users.pupils.is_empty() {
            let user = users.pupils.sample(rng);
            let yg = pupils[user as usize].year_group(self.year);
            let (browser, byod) = match yg {
                0..=6 => (Browser::PrimaryPupil, 0.01),
                7..=11 => (Browser::SecondaryPupil, 0.12),
                _ => (Browser::SecondaryPupil, 0.45),
            };
            (UserGroup::Pupil, user, browser, byod)
        } else if x < users.pupil_share + users.staff_share && !users.staff.is_empty() {
            (UserGroup::Staff, users.staff.sample(rng), Browser::Staff, 0.3)
        } else {
            (UserGroup::Guest, rng.random_range(0..users.guests.len() as u32), Browser::Guest, 0.95)
        };
        let category = match group {
            // A pupil's habit: the same kind of site tried again and again. (Discriminants
            // follow `WebCategory::ALL`: both come from the same list in the schemas crate.)
            UserGroup::Pupil if rng.random_bool(0.35) => pupils[user as usize].habit as u8,
            _ => categories[browser as usize].sample(rng),
        };
        let secs = hours.sample(rng) * 3600 + rng.random_range(0..3600);
        Record {
            secs,
            school: school as u32,
            user,
            group,
            category,
            domain: domains[category as usize].sample(rng),
            flagged: rng.random_bool(vocab::flag_share(WebCategory::ALL[category as usize])),
            byod: rng.random_bool(byod),
        }
    }
}

/// One blocked request before it becomes an event: small, so a day sorts quickly.
#[derive(Clone, Copy)]
struct Record {
    secs: u32,
    school: u32,
    user: u32,
    group: UserGroup,
    category: u8,
    domain: u8,
    flagged: bool,
    byod: bool,
}

/// The filter log of one academic year, produced day by day.
pub struct FilterYear {
    position: usize,
    day: usize,
    cell: usize,
    cumulative: u128,
    users: Vec<Users>,
    categories: [Table<u8>; 4],
    hours: Table<u32>,
    buffer: Vec<Record>,
    next: usize,
    midnight: DateTime<Utc>,
    rng: Rng,
}

impl FilterYear {
    pub fn new(world: &World, plan: &FilterPlan, position: usize) -> FilterYear {
        let year = &world.years[position];
        let before = plan.year_starts[position];
        let users = world
            .schools
            .iter()
            .map(|s| {
                let people = &s.people;
                let pupils =
                    Table::new(people.pupils.iter().enumerate().filter(|(_, p)| p.on_roll_in(year)).map(|(i, p)| {
                        (i as u32, p.online * p.risk.powf(0.3) * YEAR_GROUP_ONLINE[p.year_group(year) as usize])
                    }));
                let mut rng = rng::stream(world.seed, Part::FilterPlan, position as u64, 1 + s.index as u64);
                let staff = Table::new(
                    people
                        .staff
                        .iter()
                        .enumerate()
                        .filter(|(_, m)| m.on_roll_in(year))
                        .map(|(i, _)| (i as u32, rng::lognormal(&mut rng, 1.0, 0.8))),
                );
                // Guests: visitors, and parents on the guest network at school events.
                let mut guests: Vec<String> = people.visitors.clone();
                guests.extend(people.pupils.iter().step_by(25).map(|p| p.parent.clone()));
                let (pupil_share, staff_share) = if s.is_primary() { (0.78, 0.2) } else { (0.87, 0.1) };
                Users { pupils, staff, guests, pupil_share, staff_share }
            })
            .collect();
        let ai = 1.0 + 0.8 * f64::from(year.offset);
        let categories = BROWSERS.map(|b| {
            Table::new(WebCategory::ALL.iter().enumerate().map(|(i, &c)| {
                let trend = if c == WebCategory::AiChatbot { ai } else { 1.0 };
                (i as u8, vocab::filter_weight(b, c) * trend)
            }))
        });
        FilterYear {
            position,
            day: 0,
            cell: before,
            cumulative: plan.weights[..before].iter().map(|&w| u128::from(w)).sum(),
            users,
            categories,
            hours: Table::new(HOURS.iter().copied()),
            buffer: Vec::new(),
            next: 0,
            midnight: DateTime::<Utc>::default(),
            rng: rng::stream(world.seed, Part::FilterDay, position as u64, 0),
        }
    }

    /// The `time` of the next event, drawing the next day with any events if needed.
    pub fn peek_time(&mut self, world: &World, plan: &FilterPlan) -> Option<DateTime<Utc>> {
        while self.next >= self.buffer.len() {
            if !self.draw_day(world, plan) {
                return None;
            }
        }
        Some(shipped(self.midnight + TimeDelta::seconds(i64::from(self.buffer[self.next].secs))))
    }

    pub fn next_event(&mut self, world: &World, plan: &FilterPlan) -> Option<CloudEvent> {
        self.peek_time(world, plan)?;
        let record = self.buffer[self.next];
        self.next += 1;
        Some(self.event(world, plan, record))
    }

    /// Draws the next school day's records; false when the year has no days left.
    fn draw_day(&mut self, world: &World, plan: &FilterPlan) -> bool {
        let year = &world.years[self.position];
        let Some(&date) = year.school_days.get(self.day) else {
            return false;
        };
        self.rng = rng::stream(world.seed, Part::FilterDay, self.position as u64, 1 + self.day as u64);
        self.midnight = calendar::local(date, 0);
        self.buffer.clear();
        self.next = 0;
        for (s, school) in world.schools.iter().enumerate() {
            let before = plan.share(self.cumulative);
            self.cumulative += u128::from(plan.weights[self.cell]);
            self.cell += 1;
            let count = plan.share(self.cumulative) - before;
            let draw = Draw { users: &self.users[s], pupils: &school.people.pupils, year, domains: &plan.domains };
            for _ in 0..count {
                let record = draw.record(&mut self.rng, &self.categories, &self.hours, school.index);
                self.buffer.push(record);
            }
        }
        self.buffer.sort_by_key(|r| r.secs);
        self.day += 1;
        true
    }

    fn event(&mut self, world: &World, plan: &FilterPlan, r: Record) -> CloudEvent {
        let school = &world.schools[r.school as usize];
        let year = &world.years[self.position];
        let category = WebCategory::ALL[r.category as usize];
        let (user_ref, year_group) = match r.group {
            UserGroup::Pupil => {
                let pupil = &school.people.pupils[r.user as usize];
                (pupil.reference.clone(), Some(pupil.year_group(year)))
            }
            UserGroup::Staff => (school.people.staff[r.user as usize].reference.clone(), None),
            UserGroup::Guest => (self.users[r.school as usize].guests[r.user as usize].clone(), None),
        };
        let occurred_at = self.midnight + TimeDelta::seconds(i64::from(r.secs));
        let data = FilterBlocked {
            occurred_at,
            user_ref,
            user_group: r.group,
            year_group,
            category,
            domain: vocab::domains(category)[r.domain as usize].to_string(),
            verdict: if r.flagged { Verdict::Flagged } else { Verdict::Blocked },
            rule_id: plan.rule_ids[r.category as usize].clone(),
            device: if r.byod { Device::Byod } else { Device::School },
        };
        school.event(&mut self.rng, System::Filter, shipped(occurred_at), EventData::FilterBlocked(data))
    }
}

/// The filter ships its log once a minute: an event's `time` is the next whole minute.
fn shipped(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(60) + 60, 0).unwrap_or(t)
}
