//! The trust must look like a real one to the dashboards built on it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{Datelike, Timelike, Weekday};
use safelake_generate::{events, plan, Options};
use safelake_schemas::events::{AlertOutcome, CensusRole, CloudEvent, EventData, UserGroup};

fn options() -> Options {
    Options { filter_events: 20_000, ..Options::default() }
}

fn all() -> &'static [CloudEvent] {
    static EVENTS: OnceLock<Vec<CloudEvent>> = OnceLock::new();
    EVENTS.get_or_init(|| events(&options()).collect())
}

fn academic_year(t: chrono::DateTime<chrono::Utc>) -> i32 {
    if t.month() >= 9 {
        t.year()
    } else {
        t.year() - 1
    }
}

#[test]
fn some_pupils_have_three_or_more_incidents_in_a_year() {
    let mut per_pupil: HashMap<(&str, i32, &str), u32> = HashMap::new();
    for e in all() {
        if let EventData::IncidentRecorded(d) = &e.data {
            if let Some(pupil) = &d.pupil_ref {
                *per_pupil.entry((&e.school_id, academic_year(d.occurred_at), pupil)).or_default() += 1;
            }
        }
    }
    let repeats = per_pupil.values().filter(|&&n| n >= 3).count();
    let once = per_pupil.values().filter(|&&n| n == 1).count();
    assert!(repeats >= 3, "{repeats} pupils with 3+ incidents");
    assert!(once > 10 * repeats, "most pupils with an incident have only one");
}

#[test]
fn incident_rates_are_plausible_per_school_and_year() {
    let mut pupils: BTreeMap<(&str, i32), u32> = BTreeMap::new();
    let mut incidents: BTreeMap<(&str, i32), u32> = BTreeMap::new();
    for e in all() {
        match &e.data {
            EventData::Census(c) if c.role == CensusRole::Pupil && c.census_date.month() == 10 => {
                *pupils.entry((&e.school_id, c.census_date.year())).or_default() += c.headcount;
            }
            EventData::IncidentRecorded(d) => {
                *incidents.entry((&e.school_id, academic_year(d.occurred_at))).or_default() += 1;
            }
            _ => {}
        }
    }
    assert_eq!(pupils.len(), 24);
    for (key, n) in &pupils {
        let rate = 100.0 * f64::from(incidents.get(key).copied().unwrap_or(0)) / f64::from(*n);
        assert!((0.2..=15.0).contains(&rate), "{key:?}: {rate:.1} incidents per 100 pupils");
    }
    let sizes: u32 = plan(&options()).schools.iter().map(|s| s.pupils).sum();
    let first: u32 = pupils.iter().filter(|((_, y), _)| *y == 2024).map(|(_, n)| n).sum();
    assert!(first.abs_diff(sizes) * 10 < sizes, "census {first} vs planned {sizes}");
}

#[test]
fn references_line_up_across_events() {
    let recorded: HashSet<&str> = all()
        .iter()
        .filter_map(|e| match &e.data {
            EventData::IncidentRecorded(d) => Some(d.incident_id.as_str()),
            _ => None,
        })
        .collect();
    let mut opened = 0;
    let mut signatures = HashSet::new();
    for e in all() {
        match &e.data {
            EventData::AlertReviewed(d) if d.outcome == AlertOutcome::IncidentOpened => {
                opened += 1;
                assert!(recorded.contains(d.incident_id.as_deref().unwrap()), "{}", e.to_json());
            }
            EventData::IncidentActionTaken(d) => assert!(recorded.contains(d.incident_id.as_str())),
            EventData::IncidentClosed(d) => assert!(recorded.contains(d.incident_id.as_str())),
            EventData::AgreementSigned(d) => {
                let key = (e.school_id.clone(), d.agreement_type, d.signer_ref.clone(), d.academic_year.clone());
                assert!(signatures.insert(key), "signed twice: {}", e.to_json());
            }
            _ => {}
        }
    }
    assert!(opened > 0);
}

#[test]
fn filter_logs_fall_in_school_hours_on_weekdays_with_heavy_users() {
    let mut per_user: HashMap<&str, u32> = HashMap::new();
    let mut flagged = 0;
    let mut total = 0;
    for e in all() {
        if let EventData::FilterBlocked(d) = &e.data {
            total += 1;
            let t = d.occurred_at;
            assert!(!matches!(t.weekday(), Weekday::Sat | Weekday::Sun), "{}", e.to_json());
            assert!((7..16).contains(&t.hour()), "{}", e.to_json());
            assert!(d.domain.ends_with(".example"));
            flagged += usize::from(d.verdict == safelake_schemas::events::Verdict::Flagged);
            if d.user_group == UserGroup::Pupil {
                *per_user.entry(&d.user_ref).or_default() += 1;
            }
        }
    }
    assert_eq!(total, 20_000);
    assert!(flagged > total / 50 && flagged < total / 3, "{flagged} flagged");
    let mut counts: Vec<u32> = per_user.into_values().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let median = counts[counts.len() / 2];
    assert!(counts[0] > 20 * median.max(1), "top user {} vs median {median}", counts[0]);
}
