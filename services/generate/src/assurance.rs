//! The evidence the DfE filtering and monitoring standards ask for: the named
//! responsibilities, termly checks and their actions, and the yearly review.
//!
//! A trustees' review of the standards is only worth reading if schools differ, so some
//! schools check often and fix quickly, some skip a year's review, and a few have not
//! named the governor responsible: the reports must make those stand out.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc};
use rand::Rng as _;
use safelake_schemas::events::{
    Action, ActionAgreed, ActionClosed, AssuredSystem, CheckPerformed, CheckResult, CheckTarget, CloudEvent,
    ContractEnum, Device, DeviceType, DfeStandard, EventData, Rating, Responsibility, ResponsibilityAssigned,
    ReviewCompleted, ReviewTrigger, Site, UserGroup, WebCategory,
};

use crate::calendar::{self, YearCalendar};
use crate::rng::{self, Rng};
use crate::world::{SchoolWorld, System, World};

/// AI tools a school tests by name.
const AI_TOOLS: &[&str] = &["chatgpt", "gemini", "copilot", "character-ai", "claude", "perplexity"];

/// What a failed check asks someone to do, by what was tested.
fn remedy(tested: CheckTarget, target: Option<&str>) -> String {
    match tested {
        CheckTarget::IwfList => "Ask the filtering provider to confirm the IWF list is applied and re-test".into(),
        CheckTarget::CounterTerrorismList => {
            "Ask the filtering provider to confirm the police counter-terrorism list is applied and re-test".into()
        }
        CheckTarget::AdultContent => "Correct the adult content policy for this device type and re-test".into(),
        CheckTarget::WebCategory | CheckTarget::Other => {
            format!("Correct the filtering policy for {} and re-test", target.unwrap_or("this category"))
        }
        CheckTarget::AiTool => {
            format!("Apply the trust's AI policy to {} for this user group and re-test", target.unwrap_or("the tool"))
        }
        CheckTarget::MonitoringAlert => "Raise with the monitoring provider why no alert was sent and re-test".into(),
    }
}

pub fn events(rng: &mut Rng, world: &World, school: &SchoolWorld, year: &YearCalendar) -> Vec<CloudEvent> {
    let horizon = world.horizon();
    let mut out = Vec::new();
    if year.position == 0 {
        responsibilities(rng, world, school, year, &mut out);
    }
    checks(rng, school, year, horizon, &mut out);
    reviews(rng, school, year, horizon, &mut out);
    out.retain(|e| e.time < horizon);
    out
}

fn emit(rng: &mut Rng, school: &SchoolWorld, at: DateTime<Utc>, data: EventData) -> CloudEvent {
    let time = at + TimeDelta::seconds(rng.random_range(5..600));
    school.event(rng, System::Assurance, time, data)
}

/// A school day of `year` between two dates, at an office hour.
fn office_day(rng: &mut Rng, year: &YearCalendar, from: NaiveDate, to: NaiveDate) -> Option<DateTime<Utc>> {
    let days: Vec<NaiveDate> = year.school_days.iter().copied().filter(|d| *d >= from && *d < to).collect();
    let day = *days.get(rng.random_range(0..days.len().max(1)))?;
    Some(calendar::local(day, rng.random_range(8 * 3600..17 * 3600)))
}

/// The senior leader (a member of staff who is not a DSL), the DSL, the IT provider (a
/// contractor) and, where the school has named one, its link governor from its hub's
/// board, all named on the first day of the first year.
fn responsibilities(
    rng: &mut Rng,
    world: &World,
    school: &SchoolWorld,
    year: &YearCalendar,
    out: &mut Vec<CloudEvent>,
) {
    let people = &school.people;
    let at = calendar::local(year.inset_days.first().copied().unwrap_or(year.start), 8 * 3600);
    let senior = (0..people.staff.len()).find(|i| !people.dsl.contains(i));
    let board = world.habs.get(school.hub).filter(|b| !b.is_empty() && school.traits.names_governor);
    let named = [
        (Responsibility::SeniorLeader, senior.map(|i| people.staff[i].reference.clone())),
        (Responsibility::Dsl, people.dsl.first().map(|&i| people.staff[i].reference.clone())),
        (Responsibility::ItProvider, people.visitors.first().cloned()),
        (Responsibility::Governor, board.map(|b| b[school.index % b.len()].clone())),
    ];
    for (responsibility, person_ref) in named {
        if let Some(person_ref) = person_ref {
            let data = ResponsibilityAssigned { responsibility, person_ref, assigned_at: at };
            out.push(emit(rng, school, at, EventData::ResponsibilityAssigned(data)));
        }
    }
}

/// Each term, a few checks on school days: mostly filtering (the lists every filter must
/// block, adult content, a category, an AI tool), some of monitoring. A failure gets an
/// action due in two weeks, usually closed within a few.
fn checks(rng: &mut Rng, school: &SchoolWorld, year: &YearCalendar, horizon: DateTime<Utc>, out: &mut Vec<CloudEvent>) {
    let yy = &year.label[2..4];
    let people = &school.people;
    let staff: Vec<&str> = people.staff.iter().filter(|m| m.on_roll_in(year)).map(|m| m.reference.as_str()).collect();
    if staff.is_empty() {
        return;
    }
    let y = year.start.year();
    let date = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).expect("the 1st of a month");
    let terms = [(date(y, 9), date(y + 1, 1)), (date(y + 1, 1), date(y + 1, 4)), (date(y + 1, 4), date(y + 1, 9))];
    let mut n = 0;
    for (from, to) in terms {
        let count = rng::poisson(rng, school.traits.checks_per_term);
        let mut times: Vec<DateTime<Utc>> = (0..count).filter_map(|_| office_day(rng, year, from, to)).collect();
        times.sort();
        for checked_at in times {
            n += 1;
            let check_id = format!("CHK-{}-{yy}-{n:03}", school.id);
            let monitoring = rng.random_bool(0.2);
            let (system, tested, target) = if monitoring {
                (AssuredSystem::Monitoring, CheckTarget::MonitoringAlert, None)
            } else {
                let tested = rng::pick(
                    rng,
                    &[
                        (CheckTarget::IwfList, 3.0),
                        (CheckTarget::CounterTerrorismList, 2.0),
                        (CheckTarget::AdultContent, 3.0),
                        (CheckTarget::WebCategory, 2.0),
                        (CheckTarget::AiTool, 1.0 + f64::from(year.offset)),
                    ],
                );
                let target = match tested {
                    CheckTarget::WebCategory => {
                        let risky = WebCategory::HIGH_RISK;
                        Some(risky[rng.random_range(0..risky.len())].as_str().to_string())
                    }
                    CheckTarget::AiTool => Some(AI_TOOLS[rng.random_range(0..AI_TOOLS.len())].to_string()),
                    _ => None,
                };
                (AssuredSystem::Filtering, tested, target)
            };
            let user_group =
                rng::pick(rng, &[(UserGroup::Pupil, 6.0), (UserGroup::Staff, 3.0), (UserGroup::Guest, 1.0)]);
            let expected = match (system, tested, user_group) {
                (AssuredSystem::Monitoring, _, _) => CheckResult::Alerted,
                (_, CheckTarget::AiTool, UserGroup::Staff) => CheckResult::Allowed,
                _ => CheckResult::Blocked,
            };
            let passed = rng.random_bool(school.traits.check_pass_rate);
            let observed = if passed {
                expected
            } else {
                match expected {
                    CheckResult::Blocked => CheckResult::Allowed,
                    CheckResult::Allowed => CheckResult::Blocked,
                    CheckResult::Alerted | CheckResult::NotAlerted => CheckResult::NotAlerted,
                }
            };
            let checked_by = staff[rng.random_range(0..staff.len())].to_string();
            let action = (!passed).then(|| Action {
                action_id: format!("ACT-{check_id}"),
                action: remedy(tested, target.as_deref()),
                action_owner: staff[rng.random_range(0..staff.len())].to_string(),
                action_due_by: calendar::to_local(checked_at).0 + Days::new(14),
            });
            let data = CheckPerformed {
                check_id: check_id.clone(),
                checked_at,
                checked_by,
                system,
                tested,
                target,
                device_type: rng::pick(
                    rng,
                    &[
                        (DeviceType::Desktop, 3.0),
                        (DeviceType::Laptop, 3.0),
                        (DeviceType::Tablet, 2.0),
                        (DeviceType::Mobile, 1.0),
                    ],
                ),
                device: Some(if rng.random_bool(0.9) { Device::School } else { Device::Byod }),
                site: if rng.random_bool(0.85) { Site::OnSite } else { Site::OffSite },
                user_group,
                expected,
                observed,
                passed,
                action: action.clone(),
            };
            out.push(emit(rng, school, checked_at, EventData::CheckPerformed(data)));
            if let Some(action) = action {
                close(rng, school, &action, checked_at, 0.85, 8.0, horizon, &staff, out);
            }
        }
    }
}

/// Closes `action` with chance `p`, a lognormal number of days (median `days`) after
/// `opened`, unless that falls beyond the generated period.
#[allow(clippy::too_many_arguments)]
fn close(
    rng: &mut Rng,
    school: &SchoolWorld,
    action: &Action,
    opened: DateTime<Utc>,
    p: f64,
    days: f64,
    horizon: DateTime<Utc>,
    staff: &[&str],
    out: &mut Vec<CloudEvent>,
) {
    if !rng.random_bool(p) {
        return;
    }
    let after = TimeDelta::seconds((rng::lognormal(rng, days, 0.8) * 86_400.0) as i64 + 3600);
    let closed_at = calendar::office_time(opened + after, rng.random_range(0..3600));
    if closed_at >= horizon {
        return;
    }
    let closed_by = if rng.random_bool(0.8) {
        action.action_owner.clone()
    } else {
        staff[rng.random_range(0..staff.len())].to_string()
    };
    let data = ActionClosed { action_id: action.action_id.clone(), closed_at, closed_by };
    out.push(emit(rng, school, closed_at, EventData::ActionClosed(data)));
}

/// The annual review in the autumn term (some years a school misses it), and from the
/// second year a review in spring when the school adopts a generative-AI tool. Each
/// standard not rated green gets an action.
fn reviews(
    rng: &mut Rng,
    school: &SchoolWorld,
    year: &YearCalendar,
    horizon: DateTime<Utc>,
    out: &mut Vec<CloudEvent>,
) {
    let people = &school.people;
    let staff: Vec<&str> = people.staff.iter().filter(|m| m.on_roll_in(year)).map(|m| m.reference.as_str()).collect();
    if staff.is_empty() {
        return;
    }
    let y = year.start.year();
    let date = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
    let mut held = Vec::new();
    if rng.random_bool(school.traits.review_diligence) {
        held.push((ReviewTrigger::Annual, date(y, 10, 1), date(y, 12, 15)));
    }
    if year.offset > 0 && rng.random_bool(0.35) {
        held.push((ReviewTrigger::NewTechnology, date(y + 1, 2, 1), date(y + 1, 3, 28)));
    }
    for (trigger, from, to) in held {
        let Some(completed_at) = office_day(rng, year, from, to) else { continue };
        let review_id = format!("REV-{}-{}-{}", school.id, year.label, trigger.as_str());
        let mut rate = || rng::pick(rng, &[(Rating::Green, 0.75), (Rating::Amber, 0.21), (Rating::Red, 0.04)]);
        let ratings = [
            (DfeStandard::Roles, if school.traits.names_governor { rate() } else { Rating::Amber }),
            (DfeStandard::AnnualReview, rate()),
            (DfeStandard::Filtering, rate()),
            (DfeStandard::Monitoring, rate()),
        ];
        let data = ReviewCompleted {
            review_id: review_id.clone(),
            completed_at,
            trigger,
            trigger_detail: (trigger != ReviewTrigger::Annual)
                .then(|| "A generative-AI tool adopted for staff and pupils".to_string()),
            with_senior_leader: true,
            with_dsl: rng.random_bool(0.95),
            with_it_provider: rng.random_bool(0.8),
            with_governor: school.traits.names_governor && rng.random_bool(0.75),
            roles_rating: ratings[0].1,
            annual_review_rating: ratings[1].1,
            filtering_rating: ratings[2].1,
            monitoring_rating: ratings[3].1,
        };
        out.push(emit(rng, school, completed_at, EventData::ReviewCompleted(data)));
        let mut k = 0;
        for (standard, rating) in ratings {
            if rating == Rating::Green {
                continue;
            }
            k += 1;
            let action = Action {
                action_id: format!("{review_id}-{k}"),
                action: format!("Bring the {} standard to green: see the review's findings", standard.as_str()),
                action_owner: staff[rng.random_range(0..staff.len())].to_string(),
                action_due_by: calendar::to_local(completed_at).0 + Days::new(rng.random_range(42..84)),
            };
            let data = ActionAgreed {
                review_id: review_id.clone(),
                standard,
                action: action.clone(),
                agreed_at: completed_at,
            };
            out.push(emit(rng, school, completed_at, EventData::ActionAgreed(data)));
            close(rng, school, &action, completed_at, 0.75, 40.0, horizon, &staff, out);
        }
    }
}
