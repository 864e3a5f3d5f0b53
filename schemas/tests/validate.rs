//! The validator's verdicts on good and bad events, judged by the reasons a publisher
//! would read.

use safelake_schemas::{validate, validate_in_batch, validate_value, Contract};
use serde_json::{json, Value};

fn examples() -> Vec<Value> {
    include_str!("../examples/valid.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn example(type_suffix: &str) -> Value {
    examples().into_iter().find(|e| e["type"].as_str().unwrap().ends_with(type_suffix)).unwrap()
}

fn reasons(event: Value) -> String {
    validate_value(event, None).expect_err("should be invalid").reason()
}

#[test]
fn every_example_is_valid_and_every_type_has_one() {
    let mut seen = std::collections::BTreeSet::new();
    for event in examples() {
        let id = event["id"].clone();
        let valid = validate_value(event, None).unwrap_or_else(|r| panic!("{id}: {r}"));
        seen.insert(valid.event_type.name.clone());
    }
    let all: std::collections::BTreeSet<_> = Contract::get().event_types().map(|t| t.name.clone()).collect();
    assert_eq!(seen, all);
}

#[test]
fn the_business_time_gives_the_month_in_utc() {
    let mut e = example("filter.blocked.v1");
    e["data"]["occurred_at"] = json!("2025-11-01T00:30:00+01:00");
    let valid = validate_value(e, None).unwrap();
    assert_eq!(valid.month(), "2025-10");
    assert_eq!(valid.subject(), "sg.sch01.filter.blocked");
}

#[test]
fn an_unknown_category_names_the_field_and_the_allowed_values() {
    let mut e = example("filter.blocked.v1");
    e["data"]["category"] = json!("gamblng");
    let r = reasons(e);
    assert!(r.starts_with("data.category: \"gamblng\" is not one of adult_content, gambling, "), "{r}");
    assert!(r.contains("uncategorised, other"), "{r}");
}

#[test]
fn missing_and_extra_fields_are_named() {
    let mut e = example("incident.recorded.v1");
    e["data"].as_object_mut().unwrap().remove("category");
    e["data"]["pupil_name"] = json!("Jo");
    let r = reasons(e);
    assert!(r.contains("data.category: is required but missing"), "{r}");
    assert!(r.contains("data.pupil_name: is not a field of this event type"), "{r}");
}

#[test]
fn a_pupil_incident_needs_a_pupil_ref_and_pupil_severity() {
    let mut e = example("incident.recorded.v1");
    e["data"].as_object_mut().unwrap().remove("pupil_ref");
    e["data"]["severity"] = json!("misconduct");
    let r = reasons(e);
    assert!(r.contains("data.pupil_ref: is required but missing"), "{r}");
    assert!(r.contains("data.severity: \"misconduct\" is not one of A, B, C"), "{r}");
}

#[test]
fn a_staff_incident_may_not_carry_a_pupil_ref() {
    let mut e = example("incident.recorded.v1");
    e["data"]["subject_role"] = json!("staff");
    e["data"]["staff_ref"] = json!("s_aa11bb22cc33dd44");
    e["data"]["severity"] = json!("misconduct");
    let r = reasons(e);
    assert!(r.contains("data.pupil_ref: is not allowed here"), "{r}");
}

#[test]
fn references_must_be_pseudonymous() {
    let mut e = example("filter.blocked.v1");
    e["data"]["user_ref"] = json!("jsmith");
    let r = reasons(e);
    assert!(r.contains("data.user_ref: \"jsmith\" is not a pseudonymous reference"), "{r}");

    let mut e = example("filter.blocked.v1");
    e["data"]["user_ref"] = json!("s_aa11bb22cc33dd44");
    let r = reasons(e);
    assert!(r.contains("data.user_ref: \"s_aa11bb22cc33dd44\" is not a pseudonymous pupil reference"), "{r}");
}

#[test]
fn upns_and_emails_are_refused_anywhere_even_in_free_text() {
    let mut e = example("filter.unblock_requested.v1");
    e["data"]["reason"] = json!("for pupil A123456789012 in 9X");
    assert!(reasons(e).contains("data.reason: contains what looks like a UPN"));

    let mut e = example("filter.rule_changed.v1");
    e["data"]["reason"] = json!("asked by jo.bloggs@school.sch.uk");
    assert!(reasons(e).contains("data.reason: contains what looks like an e-mail address"));

    let mut e = example("incident.recorded.v1");
    e["data"]["incident_id"] = json!("A123456789012");
    assert!(reasons(e).contains("data.incident_id: contains what looks like a UPN"));
}

#[test]
fn domains_are_host_names_only() {
    for bad in ["https://example.com", "example.com/path", "example.com?q=1", "Example.COM", "example.com:8080"] {
        let mut e = example("filter.blocked.v1");
        e["data"]["domain"] = json!(bad);
        let r = reasons(e);
        assert!(r.contains("data.domain:") && r.contains("is not a host name only"), "{bad}: {r}");
    }
}

#[test]
fn times_need_an_offset() {
    let mut e = example("filter.blocked.v1");
    e["data"]["occurred_at"] = json!("2025-10-03 10:15:00");
    let r = reasons(e);
    assert!(r.contains("data.occurred_at: \"2025-10-03 10:15:00\" is not an RFC 3339 date-time with an offset"), "{r}");
}

#[test]
fn free_text_is_limited_to_500_characters() {
    let mut e = example("filter.unblock_requested.v1");
    e["data"]["reason"] = json!("x".repeat(501));
    assert!(reasons(e).contains("data.reason: is longer than 500 characters"));
}

#[test]
fn unknown_types_list_the_known_ones() {
    let mut e = example("filter.blocked.v1");
    e["type"] = json!("uk.safeguarding.filter.allowed.v1");
    let r = reasons(e);
    assert!(r.contains("type: \"uk.safeguarding.filter.allowed.v1\" is not an event type of the contract"), "{r}");
    assert!(r.contains("uk.safeguarding.filter.blocked.v1"), "{r}");
}

#[test]
fn the_envelope_is_checked() {
    let mut e = example("filter.blocked.v1");
    e["schoolid"] = json!("Sch-01");
    e["specversion"] = json!("0.3");
    e.as_object_mut().unwrap().remove("id");
    let r = validate_value(e, None).unwrap_err();
    assert_eq!(r.id, None);
    let r = r.reason();
    assert!(r.contains("schoolid: \"Sch-01\" is not"), "{r}");
    assert!(r.contains("specversion: \"0.3\" must be \"1.0\""), "{r}");
    assert!(r.contains("id: is required but missing"), "{r}");
}

#[test]
fn the_subject_must_be_the_events_own() {
    let e = example("filter.blocked.v1");
    assert!(validate_value(e.clone(), Some("sg.sch01.filter.blocked")).is_ok());
    let r = validate_value(e.clone(), Some("sg.sch02.filter.blocked")).unwrap_err().reason();
    assert!(r.contains("schoolid: \"sch01\" does not match the subject sg.sch02.filter.blocked"), "{r}");
    let r = validate_value(e, Some("sg.sch01.filter.rule_changed")).unwrap_err().reason();
    assert!(r.contains("expected sg.sch01.filter.blocked"), "{r}");
}

#[test]
fn an_event_in_a_batch_must_be_of_the_batch_subjects_school() {
    let e = example("filter.blocked.v1");
    let raw = e.to_string();
    assert!(validate_in_batch(raw.as_bytes(), "sg.sch01.batch").is_ok());
    // Any subject of its school will do: one batch carries events of every family.
    assert!(validate_in_batch(raw.as_bytes(), "sg.sch01.incident.recorded").is_ok());
    let r = validate_in_batch(raw.as_bytes(), "sg.sch02.batch").unwrap_err().reason();
    assert!(r.contains("schoolid: \"sch01\" does not match the subject sg.sch02.batch"), "{r}");
    // Alone, the same event on the batch subject is on the wrong subject.
    let r = validate(raw.as_bytes(), Some("sg.sch01.batch")).unwrap_err().reason();
    assert!(r.contains("expected sg.sch01.filter.blocked"), "{r}");
}

#[test]
fn conditional_rules_of_agreements_and_alerts() {
    let mut e = example("agreement.signed.v1");
    e["data"]["signer_ref"] = json!("p_3f1d2e8b9c010b7c");
    assert!(reasons(e).contains("data.signer_ref: \"p_3f1d2e8b9c010b7c\" is not a pseudonymous parent"));

    let mut e = example("monitor.alert_reviewed.v1");
    e["data"].as_object_mut().unwrap().remove("incident_id");
    assert!(reasons(e).contains("data.incident_id: is required but missing"));

    let mut e = example("incident.amended.v1");
    e["data"].as_object_mut().unwrap().remove("severity");
    assert!(reasons(e).contains("data: needs at least one of category, severity, illegal, location"));

    let mut e = example("roster.census.v1");
    e["data"]["headcount"] = json!(-1);
    assert!(reasons(e).contains("data.headcount: -1 is below the minimum 0"));
}

#[test]
fn conditional_rules_of_checks_reviews_and_training() {
    // A failed check needs its action, whole.
    let mut e = example("assurance.check_performed.v1");
    for field in ["action_id", "action", "action_owner", "action_due_by"] {
        e["data"].as_object_mut().unwrap().remove(field);
    }
    assert!(reasons(e).contains("data.action_id: is required but missing"));
    let mut e = example("assurance.check_performed.v1");
    e["data"].as_object_mut().unwrap().remove("action_owner");
    assert!(reasons(e).contains("data.action_owner: is required but missing"));
    // A named web category must be one of the contract's; a listed one needs no name.
    let mut e = example("assurance.check_performed.v1");
    e["data"]["tested"] = json!("web_category");
    e["data"]["target"] = json!("chatbots");
    assert!(reasons(e).contains("data.target: \"chatbots\" is not one of adult_content"));
    let mut e = example("assurance.check_performed.v1");
    e["data"]["tested"] = json!("iwf_list");
    assert!(reasons(e).contains("data.target: is not allowed here"));
    // A filtering check is blocked or allowed, a monitoring check alerted or not.
    let mut e = example("assurance.check_performed.v1");
    e["data"]["observed"] = json!("alerted");
    assert!(reasons(e).contains("data.observed: \"alerted\" is not one of blocked, allowed"));

    let mut e = example("assurance.review_completed.v1");
    e["data"]["trigger"] = json!("new_technology");
    assert!(reasons(e).contains("data.trigger_detail: is required but missing"));

    // Governors and trustees have board references (b_), staff staff references.
    let mut e = example("assurance.responsibility_assigned.v1");
    e["data"]["person_ref"] = json!("s_9a8b7c6d5e4f3a2b");
    assert!(reasons(e).contains(
        "data.person_ref: \"s_9a8b7c6d5e4f3a2b\" is not a pseudonymous reference of a member of a governing board"
    ));
    let mut e = example("training.completed.v1");
    e["data"]["role"] = json!("trustee");
    assert!(reasons(e.clone()).contains(
        "data.person_ref: \"s_9a8b7c6d5e4f3a2b\" is not a pseudonymous reference of a member of a governing board"
    ));
    e["data"]["person_ref"] = json!("b_0f1e2d3c4b5a6978");
    validate_value(e, None).unwrap();
}

#[test]
fn garbage_is_refused_with_a_reason() {
    assert!(validate(b"not json", None).unwrap_err().reason().starts_with("not valid JSON"));
    assert!(validate(b"[1,2]", None).unwrap_err().reason().contains("expected a CloudEvent object"));
    assert!(validate(b"{}", None).unwrap_err().reason().contains("id: is required but missing"));
    let deep = "[".repeat(100_000);
    assert!(validate(deep.as_bytes(), None).is_err());
}
