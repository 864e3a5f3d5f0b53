//! The verdict on one event: valid (and ready to store), or rejected with reasons.
//!
//! The order of checks is the order in which a publisher can fix things: the envelope,
//! the type, the data against its type's schema, the personal-data rules, and last the
//! subject the event arrived on.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::Value;

use crate::contract::{Contract, EventType};
use crate::messages::{self, show};
use crate::personal_data;

/// At most this many reasons are reported for one event.
const MAX_REASONS: usize = 12;

/// An event that passed every rule of the contract.
#[derive(Debug, Clone)]
pub struct ValidEvent {
    pub id: String,
    pub event_type: &'static EventType,
    pub school_id: String,
    /// When the event was emitted (the envelope's `time`).
    pub time: DateTime<Utc>,
    /// The business time (`occurred_at`, `signed_at`, ...): the lake's month partition.
    pub business_time: DateTime<Utc>,
    /// The whole CloudEvent.
    pub value: Value,
}

impl ValidEvent {
    pub fn data(&self) -> &Value {
        &self.value["data"]
    }

    /// `YYYY-MM` of the business time in UTC.
    pub fn month(&self) -> String {
        let (year, month) = self.year_month();
        format!("{year:04}-{month:02}")
    }

    /// Year and month of the business time in UTC: the month partition, without allocating.
    pub fn year_month(&self) -> (i32, u32) {
        use chrono::Datelike;
        (self.business_time.year(), self.business_time.month())
    }

    pub fn subject(&self) -> String {
        self.event_type.subject(&self.school_id)
    }
}

impl std::fmt::Debug for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// Why an event was refused. `id` is the event's id when it could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub id: Option<String>,
    pub reasons: Vec<String>,
}

impl Rejection {
    fn new(id: Option<String>, reason: String) -> Rejection {
        Rejection { id, reasons: vec![reason] }
    }

    pub fn reason(&self) -> String {
        self.reasons.join("; ")
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason())
    }
}

impl std::error::Error for Rejection {}

/// Validates raw bytes as one event. `subject` is the NATS subject it came on, when known.
pub fn validate(raw: &[u8], subject: Option<&str>) -> Result<ValidEvent, Rejection> {
    judge_bytes(raw, subject.map_or(Arrival::Unknown, Arrival::Alone))
}

/// Validates raw bytes as one event of a batch (see [`crate::batch`]) that came on
/// `subject`: any subject of the event's own school.
pub fn validate_in_batch(raw: &[u8], subject: &str) -> Result<ValidEvent, Rejection> {
    judge_bytes(raw, Arrival::InBatch(subject))
}

/// Validates a parsed event. `subject` is the NATS subject it came on, when known.
pub fn validate_value(value: Value, subject: Option<&str>) -> Result<ValidEvent, Rejection> {
    judge(value, subject.map_or(Arrival::Unknown, Arrival::Alone))
}

/// How an event reached us, which decides what its subject must be.
#[derive(Debug, Clone, Copy)]
enum Arrival<'a> {
    /// Read from a file: there is no subject.
    Unknown,
    /// On its own, on this subject: it must be the event's very subject.
    Alone(&'a str),
    /// In a batch on this subject: its school token must be the event's school.
    InBatch(&'a str),
}

fn judge_bytes(raw: &[u8], arrival: Arrival) -> Result<ValidEvent, Rejection> {
    let value: Value = serde_json::from_slice(raw).map_err(|e| Rejection::new(None, format!("not valid JSON: {e}")))?;
    judge(value, arrival)
}

fn judge(value: Value, arrival: Arrival) -> Result<ValidEvent, Rejection> {
    let contract = Contract::get();
    let id = value.get("id").and_then(Value::as_str).map(str::to_string);
    if value.is_array() {
        return Err(Rejection::new(
            None,
            format!(
                "event: is an array, expected a CloudEvent object; a batch of events is sent with the header Content-Type: {}",
                crate::batch::CONTENT_TYPE
            ),
        ));
    }
    if !value.is_object() {
        return Err(Rejection::new(
            None,
            format!("event: is {}, expected a CloudEvent object", messages::json_type(&value)),
        ));
    }
    let mut reasons: Vec<String> = Vec::new();
    if !contract.envelope().is_valid(&value) {
        reasons.extend(contract.envelope().iter_errors(&value).map(|e| messages::reason("", &e)));
    }
    let type_name = value.get("type").and_then(Value::as_str).unwrap_or_default();
    let event_type = contract.event_type(type_name);
    match event_type {
        None if value.get("type").is_some_and(Value::is_string) => reasons.push(format!(
            "type: {} is not an event type of the contract; known types: {}",
            show(&value["type"]),
            contract.event_types().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
        )),
        None => {}
        Some(t) => {
            if let Some(data) = value.get("data").filter(|d| d.is_object()) {
                if !t.validator().is_valid(data) {
                    reasons.extend(t.validator().iter_errors(data).map(|e| messages::reason("data", &e)));
                }
            }
        }
    }
    if reasons.is_empty() {
        reasons.extend(personal_data::findings(&value));
    }
    if reasons.is_empty() {
        reasons.extend(subject_mismatch(arrival, &value, event_type));
    }
    if !reasons.is_empty() {
        reasons.truncate(MAX_REASONS);
        return Err(Rejection { id, reasons });
    }
    let event_type = event_type.expect("checked above");
    let time = parse_time(&value["time"]).expect("the schema checked the format");
    let business_time =
        parse_time(&value["data"][&event_type.business_time]).expect("the schema checked the business time");
    Ok(ValidEvent {
        id: id.expect("the schema requires an id"),
        event_type,
        school_id: value["schoolid"].as_str().unwrap_or_default().to_string(),
        time,
        business_time,
        value,
    })
}

/// The subject must be `sg.<schoolid>.<family>.<action>` of this very event (or, for an
/// event in a batch, of its school): NATS permissions tie the school token to the
/// publisher, so a mismatch is another school's system (or a bug) speaking for this one.
fn subject_mismatch(arrival: Arrival, value: &Value, event_type: Option<&EventType>) -> Option<String> {
    let (subject, alone) = match arrival {
        Arrival::Unknown => return None,
        Arrival::Alone(subject) => (subject, true),
        Arrival::InBatch(subject) => (subject, false),
    };
    let school = value["schoolid"].as_str().unwrap_or_default();
    let expected = event_type?.subject(school);
    let token = subject.split('.').nth(1).unwrap_or_default();
    if token != school {
        Some(format!(
            "schoolid: {} does not match the subject {subject} (school token {token:?}); a school may publish only its own events",
            show(&value["schoolid"])
        ))
    } else if alone && subject != expected {
        Some(format!("subject: {subject} is not the subject of this event type (expected {expected})"))
    } else {
        None
    }
}

/// The edge of a day that a calendar date stands for where a date-time is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEdge {
    Start,
    End,
}

/// The edge of a period (`from`, `until`): an RFC 3339 date-time as written, or a calendar
/// date as the start or the end of that day in UK time, so `until: 2026-03-27` still
/// allows the afternoon of the 27th, in summer time too.
pub fn parse_day_edge(value: &Value, edge: DayEdge) -> Option<DateTime<Utc>> {
    let s = value.as_str()?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let day = match edge {
        DayEdge::Start => date,
        DayEdge::End => date.succ_opt()?,
    };
    // UK clocks change at 01:00 or 02:00, never at midnight: a midnight always exists.
    chrono_tz::Europe::London.from_local_datetime(&day.and_hms_opt(0, 0, 0)?).earliest().map(|t| t.with_timezone(&Utc))
}

/// Parses an RFC 3339 timestamp, or a date as midnight UTC.
pub fn parse_time(value: &Value) -> Option<DateTime<Utc>> {
    let s = value.as_str()?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}
