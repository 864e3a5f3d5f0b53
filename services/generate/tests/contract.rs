//! Every generated event must be accepted by the ingest: the contract is the point.

use std::collections::HashSet;

use safelake_generate::{events, Options};
use safelake_schemas::Contract;

fn small() -> Options {
    Options { filter_events: 20_000, ..Options::default() }
}

#[test]
fn every_event_validates_on_its_subject_in_time_order() {
    let options = small();
    let contract = Contract::get();
    let horizon = chrono::DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z").unwrap();
    let mut ids = HashSet::new();
    let mut last = None;
    let mut count = 0u64;
    for event in events(&options) {
        let event_type = contract.event_type(event.data.type_name()).expect("a contract type");
        let subject = event_type.subject(&event.school_id);
        let valid = safelake_schemas::validate_value(event.to_value(), Some(&subject))
            .unwrap_or_else(|r| panic!("{} rejected: {r}", event.to_json()));
        assert!(valid.time >= valid.business_time, "time before business time: {}", event.to_json());
        // The typed events' business time is the field the schema's x-business-time names.
        assert_eq!(event.data.business_time(), valid.business_time, "{}", event.to_json());
        assert!(valid.time < horizon, "beyond the last year: {}", event.to_json());
        assert!(last.is_none_or(|t| t <= event.time), "out of order: {}", event.to_json());
        last = Some(event.time);
        assert!(ids.insert(event.id.clone()), "duplicate id {}", event.id);
        count += 1;
    }
    assert!(count > 40_000, "{count}");
}

#[test]
fn the_filter_event_count_is_exact() {
    for n in [0, 1, 12_345] {
        let options = Options { filter_events: n, schools: 3, hubs: 1, ..Options::default() };
        let blocked = events(&options).filter(|e| e.data.type_name() == "uk.safeguarding.filter.blocked.v1").count();
        assert_eq!(blocked as u64, n);
    }
}

#[test]
fn the_same_options_give_the_same_events() {
    let options = Options { filter_events: 5_000, schools: 5, ..Options::default() };
    let mut a = events(&options);
    let mut b = events(&options);
    loop {
        match (a.next(), b.next()) {
            (None, None) => break,
            (x, y) => assert_eq!(x.map(|e| e.to_json()), y.map(|e| e.to_json())),
        }
    }
    let other = Options { seed: 43, ..options };
    assert_ne!(
        events(&other).next().map(|e| e.to_json()),
        events(&Options { filter_events: 5_000, schools: 5, ..Options::default() }).next().map(|e| e.to_json())
    );
}

#[test]
fn other_shapes_of_trust_validate_too() {
    let years = |list: &[&str]| list.iter().map(|s| s.parse().unwrap()).collect::<Vec<_>>();
    let shapes = [
        Options { seed: 1, schools: 1, hubs: 1, academic_years: years(&["2025-26"]), filter_events: 500 },
        Options { seed: 2, schools: 2, hubs: 5, academic_years: years(&["2025-26", "2023-24"]), filter_events: 500 },
        Options { seed: 3, schools: 30, hubs: 11, academic_years: years(&["2030-31"]), filter_events: 2_000 },
        Options { seed: 4, schools: 0, hubs: 0, academic_years: years(&["2024-25"]), filter_events: 0 },
    ];
    let contract = Contract::get();
    for options in shapes {
        let mut ids = HashSet::new();
        let mut blocked = 0;
        for event in events(&options) {
            let subject = contract.event_type(event.data.type_name()).unwrap().subject(&event.school_id);
            if let Err(r) = safelake_schemas::validate_value(event.to_value(), Some(&subject)) {
                panic!("{options:?}: {} rejected: {r}", event.to_json());
            }
            assert!(ids.insert(event.id.clone()));
            blocked += u64::from(event.data.type_name() == "uk.safeguarding.filter.blocked.v1");
        }
        assert_eq!(blocked, options.filter_events, "{options:?}");
        safelake_generate::trust(&options).check().unwrap();
    }
}
