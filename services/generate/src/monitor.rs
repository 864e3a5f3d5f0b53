//! Monitoring alerts and their review by a DSL.
//!
//! Alerts come from the same pupils who have incidents (the heavy-tailed propensity), the
//! serious ones are reviewed within the hour and the trivial ones next day, and the share
//! raised on AI chat grows over the generated years, the trend governors are asking
//! about. An alert reviewed as `incident_opened` names an incident that is then recorded.

use chrono::{DateTime, Days, TimeDelta, Utc};
use rand::Rng as _;
use safelake_schemas::events::{
    AlertChannel, AlertOutcome, AlertRaised, AlertReviewed, AlertSeverity, CloudEvent, EventData, IncidentCategory,
    Location, ReportedByRole, UserGroup, WebCategory,
};

use crate::calendar::{self, YearCalendar};
use crate::incidents::{Seed, Subject, YEAR_GROUP_RISK};
use crate::rng::{self, Rng, Table};
use crate::world::{SchoolWorld, System, World};

#[derive(Debug, Clone, Copy)]
pub enum User {
    Pupil(usize),
    Staff(usize),
    /// Index into the school's visitors.
    Guest(usize),
}

pub struct Alert {
    pub raised_at: DateTime<Utc>,
    pub user: User,
    pub channel: AlertChannel,
    pub category: WebCategory,
    pub severity: AlertSeverity,
    pub review: Option<Review>,
}

pub struct Review {
    pub reviewed_at: DateTime<Utc>,
    pub reviewer: String,
    pub outcome: AlertOutcome,
    /// Set once the opened incident has its id.
    pub incident_id: Option<String>,
}

/// A school's alerts for a year, in the order they were raised.
pub fn alerts(rng: &mut Rng, world: &World, school: &SchoolWorld, year: &YearCalendar) -> Vec<Alert> {
    let people = &school.people;
    let pupils = Table::new(
        people
            .pupils
            .iter()
            .enumerate()
            .filter(|(_, p)| p.on_roll_in(year))
            .map(|(i, p)| (i, p.risk * p.online.sqrt() * YEAR_GROUP_RISK[p.year_group(year) as usize])),
    );
    let staff: Vec<usize> = (0..people.staff.len()).filter(|&i| people.staff[i].on_roll_in(year)).collect();
    let on_roll = people.pupils.iter().filter(|p| p.on_roll_in(year)).count() as f64;
    let growth = 1.0 + 0.15 * f64::from(year.offset);
    let n = rng::poisson(rng, on_roll * school.traits.alert_rate * growth);
    let horizon = world.horizon();
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let user = match rng.random_range(0.0..1.0) {
            x if x < 0.9 && !pupils.is_empty() => User::Pupil(pupils.sample(rng)),
            x if x < 0.98 && !staff.is_empty() => User::Staff(staff[rng.random_range(0..staff.len())]),
            _ => User::Guest(rng.random_range(0..people.visitors.len())),
        };
        let raised_at = if rng.random_bool(0.85) {
            let day = year.school_days[rng.random_range(0..year.school_days.len())];
            calendar::local(day, rng.random_range(28_800..57_600))
        } else {
            let day = year.start + Days::new(rng.random_range(0..343));
            calendar::local(day, rng.random_range(57_600..82_800))
        };
        let ai = 0.03 + 0.3 * world.progress(raised_at);
        let email = if matches!(user, User::Staff(_)) { 0.3 } else { 0.04 };
        let channel = rng::pick(
            rng,
            &[
                (AlertChannel::Web, 0.35),
                (AlertChannel::Search, 0.2),
                (AlertChannel::AiChat, ai),
                (AlertChannel::Device, 0.3),
                (AlertChannel::Email, email),
            ],
        );
        let category = rng::pick(rng, categories(channel));
        let severity = rng::pick(rng, severities(category));
        let review = review(rng, school, user, raised_at, severity, horizon);
        out.push(Alert { raised_at, user, channel, category, severity, review });
    }
    out.sort_by_key(|a| a.raised_at);
    out
}

fn review(
    rng: &mut Rng,
    school: &SchoolWorld,
    user: User,
    raised_at: DateTime<Utc>,
    severity: AlertSeverity,
    horizon: DateTime<Utc>,
) -> Option<Review> {
    use AlertSeverity::*;
    let (reviewed, median_hours, open, false_positive) = match severity {
        Critical => (0.99, 0.3, 0.3, 0.15),
        High => (0.97, 1.5, 0.08, 0.25),
        Medium => (0.93, 6.0, 0.015, 0.4),
        Low => (0.85, 20.0, 0.002, 0.55),
    };
    if !rng.random_bool(reviewed) {
        return None;
    }
    let after = raised_at + TimeDelta::seconds((rng::lognormal(rng, median_hours, 0.9) * 3600.0) as i64 + 60);
    // Critical alerts reach a DSL by phone at any hour; the rest wait for office hours.
    let reviewed_at =
        if severity == Critical { after } else { calendar::office_time(after, rng.random_range(0..3600)) };
    if reviewed_at >= horizon {
        return None;
    }
    let outcome = if !matches!(user, User::Guest(_)) && rng.random_bool(open) {
        AlertOutcome::IncidentOpened
    } else if rng.random_bool(false_positive) {
        AlertOutcome::FalsePositive
    } else {
        AlertOutcome::NoAction
    };
    Some(Review { reviewed_at, reviewer: school.dsl(rng).to_string(), outcome, incident_id: None })
}

/// The incidents that reviews opened, to be recorded with the school's other incidents.
pub fn opened(alerts: &[Alert], year: &YearCalendar) -> Vec<Seed> {
    alerts
        .iter()
        .enumerate()
        .filter_map(|(i, alert)| {
            let review = alert.review.as_ref().filter(|r| r.outcome == AlertOutcome::IncidentOpened)?;
            let subject = match alert.user {
                User::Pupil(p) => Subject::Pupil(p),
                User::Staff(s) => Subject::Staff(s),
                User::Guest(_) => return None,
            };
            let (day, secs) = calendar::to_local(alert.raised_at);
            let in_school = year.is_school_day(day) && secs < 57_600;
            Some(Seed {
                occurred_at: alert.raised_at,
                subject,
                category: incident_category(alert.category, alert.channel),
                location: if in_school { Location::InSchool } else { Location::OutOfSchool },
                reported_by: ReportedByRole::MonitoringSystem,
                not_before: Some(review.reviewed_at),
                alert: Some(i),
            })
        })
        .collect()
}

pub fn events(rng: &mut Rng, school: &SchoolWorld, year: &YearCalendar, alerts: &[Alert]) -> Vec<CloudEvent> {
    let mut out = Vec::with_capacity(alerts.len() * 2);
    let yy = year.label[2..4].to_string();
    for (n, alert) in alerts.iter().enumerate() {
        let alert_id = format!("AL-{}-{yy}-{:05}", school.id, n + 1);
        let people = &school.people;
        let (user_ref, user_group, year_group) = match alert.user {
            User::Pupil(i) => {
                (people.pupils[i].reference.clone(), UserGroup::Pupil, Some(people.pupils[i].year_group(year)))
            }
            User::Staff(i) => (people.staff[i].reference.clone(), UserGroup::Staff, None),
            User::Guest(i) => (people.visitors[i].clone(), UserGroup::Guest, None),
        };
        let data = AlertRaised {
            alert_id: alert_id.clone(),
            raised_at: alert.raised_at,
            user_ref,
            user_group,
            year_group,
            channel: alert.channel,
            category: alert.category,
            severity: alert.severity,
        };
        let time = alert.raised_at + TimeDelta::seconds(rng.random_range(1..60));
        out.push(school.event(rng, System::Monitor, time, EventData::AlertRaised(data)));
        if let Some(review) = &alert.review {
            let data = AlertReviewed {
                alert_id,
                reviewed_at: review.reviewed_at,
                reviewed_by: review.reviewer.clone(),
                outcome: review.outcome,
                incident_id: review.incident_id.clone(),
            };
            let time = review.reviewed_at + TimeDelta::seconds(rng.random_range(0..60));
            out.push(school.event(rng, System::Monitor, time, EventData::AlertReviewed(data)));
        }
    }
    out
}

fn categories(channel: AlertChannel) -> &'static [(WebCategory, f64)] {
    use WebCategory::*;
    match channel {
        AlertChannel::AiChat => &[
            (AiChatbot, 0.3),
            (SelfHarm, 0.2),
            (Other, 0.15),
            (AdultContent, 0.1),
            (Violence, 0.1),
            (Extremism, 0.03),
            (Hate, 0.05),
            (Weapons, 0.05),
        ],
        AlertChannel::Web | AlertChannel::Search => &[
            (AdultContent, 0.18),
            (SelfHarm, 0.1),
            (Violence, 0.1),
            (ProxyVpnBypass, 0.1),
            (Gambling, 0.08),
            (SearchUnsafe, 0.07),
            (Drugs, 0.06),
            (Hate, 0.06),
            (Weapons, 0.05),
            (SocialMedia, 0.05),
            (Gaming, 0.05),
            (Other, 0.05),
            (Extremism, 0.02),
            (IllegalIwf, 0.005),
        ],
        AlertChannel::Device => &[
            (Other, 0.2),
            (SelfHarm, 0.15),
            (Hate, 0.15),
            (Violence, 0.12),
            (AdultContent, 0.12),
            (Messaging, 0.1),
            (Drugs, 0.06),
            (Weapons, 0.05),
            (Extremism, 0.03),
        ],
        AlertChannel::Email => {
            &[(MalwarePhishing, 0.4), (Other, 0.3), (AdultContent, 0.1), (Hate, 0.1), (FileSharing, 0.1)]
        }
    }
}

fn severities(category: WebCategory) -> &'static [(AlertSeverity, f64)] {
    use AlertSeverity::*;
    use WebCategory::*;
    match category {
        SelfHarm | Extremism | IllegalIwf | Weapons => &[(Low, 0.1), (Medium, 0.3), (High, 0.4), (Critical, 0.2)],
        AdultContent | Violence | Hate | Drugs => &[(Low, 0.3), (Medium, 0.45), (High, 0.2), (Critical, 0.05)],
        _ => &[(Low, 0.6), (Medium, 0.3), (High, 0.09), (Critical, 0.01)],
    }
}

fn incident_category(category: WebCategory, channel: AlertChannel) -> IncidentCategory {
    use IncidentCategory as I;
    use WebCategory::*;
    match category {
        Extremism => I::ExtremismRadicalisation,
        IllegalIwf => I::IllegalContent,
        ProxyVpnBypass => I::FilteringBypass,
        AiChatbot => I::AiMisuse,
        Gambling | Gaming => I::GamingGambling,
        Hate | Messaging | SocialMedia => I::Cyberbullying,
        // Keystroke monitoring mostly catches unkind words typed about someone.
        Other | Violence if channel == AlertChannel::Device => I::Cyberbullying,
        MalwarePhishing | FileSharing => I::DataProtection,
        Other if channel == AlertChannel::AiChat => I::AiMisuse,
        AdultContent | Violence | Weapons | SelfHarm | Dating | SearchUnsafe => I::InappropriateContent,
        _ => I::Other,
    }
}
