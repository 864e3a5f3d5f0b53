//! Filtering change control: unblock requests, their decisions, and rule changes.
//!
//! KCSIE asks governors to check that filtering is reviewed and that changes are risk
//! assessed and authorised, so the log must look like one: teachers asking for lesson
//! resources, a DSL deciding within hours, some approvals becoming permanent rules, local
//! changes through the year, and a trust-wide AI policy change reaching every school on
//! the same day.

use chrono::{DateTime, Datelike, Days, TimeDelta, Utc, Weekday};
use rand::Rng as _;
use safelake_schemas::events::{
    CloudEvent, ContractEnum, EventData, RuleChange, RuleChanged, UnblockDecided, UnblockDecision, UnblockRequested,
    WebCategory,
};

use crate::calendar::{self, YearCalendar};
use crate::rng::{self, Rng, Table};
use crate::vocab;
use crate::world::{SchoolWorld, System};

struct Change {
    changed_at: DateTime<Utc>,
    rule_id: String,
    change: RuleChange,
    target: String,
    risk_assessed: bool,
    authorised_by: String,
    reason: String,
}

pub fn events(rng: &mut Rng, school: &SchoolWorld, year: &YearCalendar, horizon: DateTime<Utc>) -> Vec<CloudEvent> {
    let yy = &year.label[2..4];
    let people = &school.people;
    let staff: Vec<usize> =
        (0..people.staff.len()).filter(|&i| people.staff[i].on_roll_in(year) && !people.dsl.contains(&i)).collect();
    let mut out = Vec::new();
    let mut changes = Vec::new();

    let n = rng::poisson(rng, staff.len() as f64 * school.traits.unblock_rate);
    let mut requested: Vec<DateTime<Utc>> = (0..n).map(|_| office_day_time(rng, year)).collect();
    requested.sort();
    let ai = 0.08 + 0.1 * f64::from(year.offset);
    let categories = Table::new([
        (WebCategory::Streaming, 0.35),
        (WebCategory::SocialMedia, 0.12),
        (WebCategory::FileSharing, 0.1),
        (WebCategory::Gaming, 0.1),
        (WebCategory::AiChatbot, ai),
        (WebCategory::Messaging, 0.05),
        (WebCategory::Uncategorised, 0.1),
        (WebCategory::Shopping, 0.03),
        (WebCategory::Other, 0.03),
    ]);
    for (i, requested_at) in requested.into_iter().enumerate() {
        if staff.is_empty() {
            break;
        }
        let request_id = format!("UB-{}-{yy}-{:03}", school.id, i + 1);
        let category = categories.sample(rng);
        let domain = domain(rng, category);
        let yg = rng.random_range(school.plan.first_year_group.max(1)..=school.plan.last_year_group);
        let templates = vocab::unblock_reasons(category, yg >= 7);
        let template = templates[rng.random_range(0..templates.len())];
        let reason = template.replace("{yg}", &format!("Year {yg}"));
        let (from_day, _) = calendar::to_local(requested_at);
        let lesson_day = year.school_day_from(from_day + Days::new(rng.random_range(0..5))).unwrap_or(from_day);
        let from = calendar::local(lesson_day, 8 * 3600).max(requested_at + TimeDelta::minutes(30));
        let until = if rng.random_bool(0.6) {
            from + TimeDelta::hours(rng.random_range(1..=6))
        } else {
            calendar::local(lesson_day + Days::new(rng.random_range(1..15)), 16 * 3600)
        };
        let data = UnblockRequested {
            request_id: request_id.clone(),
            requested_at,
            requested_by: people.staff[staff[rng.random_range(0..staff.len())]].reference.clone(),
            domain: domain.clone(),
            category,
            reason,
            from,
            until,
        };
        let time = requested_at + TimeDelta::seconds(rng.random_range(1..30));
        out.push(school.event(rng, System::Filter, time, EventData::UnblockRequested(data)));

        if !rng.random_bool(0.93) {
            continue;
        }
        let wait = TimeDelta::seconds((rng::lognormal(rng, 3.0, 1.0) * 3600.0) as i64 + 120);
        let decided_at = calendar::office_time(requested_at + wait, rng.random_range(0..3600));
        if decided_at >= horizon {
            continue;
        }
        let approve = match category {
            WebCategory::AiChatbot => 0.45,
            WebCategory::SocialMedia => 0.5,
            WebCategory::Gaming => 0.55,
            WebCategory::Streaming => 0.85,
            WebCategory::Uncategorised => 0.8,
            _ => 0.65,
        };
        let decision = if rng.random_bool(approve) { UnblockDecision::Approved } else { UnblockDecision::Denied };
        let decided_by = school.dsl(rng).to_string();
        let data =
            UnblockDecided { request_id: request_id.clone(), decided_at, decision, decided_by: decided_by.clone() };
        let time = decided_at + TimeDelta::seconds(rng.random_range(1..30));
        out.push(school.event(rng, System::Filter, time, EventData::UnblockDecided(data)));
        if decision == UnblockDecision::Approved && rng.random_bool(0.35) {
            changes.push(Change {
                changed_at: decided_at + TimeDelta::minutes(rng.random_range(5..60)),
                rule_id: format!("allow-{domain}"),
                change: RuleChange::BlockRemoved,
                target: domain,
                risk_assessed: rng.random_bool(0.95),
                authorised_by: decided_by,
                reason: format!("Approved unblock request {request_id}"),
            });
        }
    }

    for _ in 0..rng::poisson(rng, 4.0 + staff.len() as f64 / 40.0) {
        changes.push(local_change(rng, school, year));
    }
    if let Some(change) = trust_change(school, year) {
        changes.push(change);
    }
    changes.retain(|c| c.changed_at < horizon);
    changes.sort_by_key(|c| c.changed_at);
    for (i, c) in changes.into_iter().enumerate() {
        let data = RuleChanged {
            change_id: format!("CH-{}-{yy}-{:03}", school.id, i + 1),
            changed_at: c.changed_at,
            rule_id: c.rule_id,
            change: c.change,
            target: c.target,
            risk_assessed: c.risk_assessed,
            authorised_by: c.authorised_by,
            reason: c.reason,
        };
        let time = c.changed_at + TimeDelta::seconds(rng.random_range(1..30));
        out.push(school.event(rng, System::Filter, time, EventData::RuleChanged(data)));
    }
    out
}

fn domain(rng: &mut Rng, category: WebCategory) -> String {
    let list = vocab::domains(category);
    list[rng::pick(rng, &vocab::zipf(list.len()).collect::<Vec<_>>())].to_string()
}

fn office_day_time(rng: &mut Rng, year: &YearCalendar) -> DateTime<Utc> {
    let day = year.school_days[rng.random_range(0..year.school_days.len())];
    calendar::local(day, rng.random_range(27_000..64_800))
}

/// A change the school's own filtering lead makes during the year.
fn local_change(rng: &mut Rng, school: &SchoolWorld, year: &YearCalendar) -> Change {
    use WebCategory::*;
    let change = rng::pick(
        rng,
        &[
            (RuleChange::BlockAdded, 0.4),
            (RuleChange::BlockRemoved, 0.1),
            (RuleChange::CategoryBlocked, 0.15),
            (RuleChange::CategoryAllowed, 0.1),
            (RuleChange::GroupPolicyChanged, 0.25),
        ],
    );
    let (rule_id, target) = match change {
        RuleChange::BlockAdded | RuleChange::BlockRemoved => {
            let category = rng::pick(
                rng,
                &[(ProxyVpnBypass, 0.4), (Gaming, 0.2), (AiChatbot, 0.15), (Streaming, 0.1), (SocialMedia, 0.15)],
            );
            let domain = domain(rng, category);
            (format!("block-{domain}"), domain)
        }
        RuleChange::CategoryBlocked | RuleChange::CategoryAllowed => {
            let category = rng::pick(
                rng,
                &[
                    (Gaming, 0.25),
                    (SocialMedia, 0.2),
                    (Streaming, 0.2),
                    (AiChatbot, 0.2),
                    (Messaging, 0.1),
                    (Cryptocurrency, 0.05),
                ],
            );
            (format!("cat-{}", category.as_str()), category.as_str().to_string())
        }
        RuleChange::GroupPolicyChanged => {
            let groups: &[&str] = if school.is_primary() {
                &["year-5", "year-6", "ks2", "staff", "guest-wifi", "sen-base"]
            } else {
                &["year-7", "year-10", "sixth-form", "staff", "guest-wifi", "exam-rooms"]
            };
            let group = groups[rng.random_range(0..groups.len())];
            (format!("grp-{group}"), group.to_string())
        }
    };
    Change {
        changed_at: office_day_time(rng, year),
        rule_id,
        change,
        target,
        risk_assessed: rng.random_bool(0.88),
        authorised_by: school.dsl(rng).to_string(),
        reason: vocab::RULE_REASONS[rng.random_range(0..vocab::RULE_REASONS.len())].to_string(),
    }
}

/// The trust's generative-AI policy, pushed to every school at 07:00 on one day: AI
/// chatbots blocked for pupils in the first year's spring term, then approved tools
/// opened to staff after autumn half term in later years.
fn trust_change(school: &SchoolWorld, year: &YearCalendar) -> Option<Change> {
    use chrono::NaiveDate;
    let first = year.position == 0;
    let (month, yr) = if first { (1, year.start.year() + 1) } else { (11, year.start.year()) };
    let start = NaiveDate::from_ymd_opt(yr, month, 1)?;
    let monday = (0..14).map(|d| start + Days::new(d)).filter(|d| d.weekday() == Weekday::Mon).nth(1)?;
    let day = year.school_day_from(monday)?;
    let at = calendar::local(day, 7 * 3600) + TimeDelta::seconds(90 * school.index as i64);
    let authorised_by = school.people.staff[school.people.dsl[0]].reference.clone();
    Some(if first {
        Change {
            changed_at: at,
            rule_id: "cat-ai_chatbot".to_string(),
            change: RuleChange::CategoryBlocked,
            target: "ai_chatbot".to_string(),
            risk_assessed: true,
            authorised_by,
            reason: "Trust filtering policy: AI chatbots blocked for pupils pending a review of approved tools"
                .to_string(),
        }
    } else {
        Change {
            changed_at: at,
            rule_id: "grp-staff-ai".to_string(),
            change: RuleChange::GroupPolicyChanged,
            target: "staff".to_string(),
            risk_assessed: true,
            authorised_by,
            reason: "Trust AI policy: approved AI tools allowed for staff".to_string(),
        }
    })
}
