//! CloudEvents batches on the wire: one NATS message whose body is a JSON array of events
//! and whose `Content-Type` header is `application/cloudevents-batch+json` (the CloudEvents
//! JSON format's batch mode). A school system sending a thousand events in one message
//! costs the server one message instead of a thousand.
//!
//! A batch may be published on any subject of its school (`sg.<school>.batch` by
//! convention): NATS permissions tie that school token to the publisher, and every event
//! of the batch must belong to that school. Each event is judged on its own, so one bad
//! event is refused with its position and the rest are stored.

use serde_json::value::RawValue;

/// The content type of a batch.
pub const CONTENT_TYPE: &str = "application/cloudevents-batch+json";

/// The subject token after the school's, by convention, for batches.
pub const SUBJECT_TOKEN: &str = "batch";

/// The most events one batch may carry. A NATS message is at most a few megabytes, so no
/// real batch comes near; the bound lets an event's place in its batch fit the key of its
/// refusal (see `safelake_lake::rejects::key`).
pub const MAX_EVENTS: usize = u16::MAX as usize;

/// Whether a `Content-Type` value names a batch (its parameters, such as a charset, aside).
pub fn is_batch(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case(CONTENT_TYPE))
}

/// The subject a batch of `school`'s events is published on by convention.
pub fn subject(school: &str) -> String {
    format!("sg.{school}.{SUBJECT_TOKEN}")
}

/// The events of a batch body, each as its exact bytes, or why the body is not a batch.
pub fn split(body: &[u8]) -> Result<Vec<&RawValue>, String> {
    let events: Vec<&RawValue> = serde_json::from_slice(body).map_err(|e| {
        format!("batch: not a JSON array of events ({e}); a message with Content-Type {CONTENT_TYPE} must carry a JSON array")
    })?;
    if events.len() > MAX_EVENTS {
        return Err(format!(
            "batch: {} events, more than the {MAX_EVENTS} one batch may carry; send it as several batches",
            events.len()
        ));
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_type_is_recognised_with_parameters_and_in_any_case() {
        assert!(is_batch("application/cloudevents-batch+json"));
        assert!(is_batch("Application/CloudEvents-Batch+JSON; charset=utf-8"));
        assert!(!is_batch("application/cloudevents+json"));
        assert!(!is_batch("application/json"));
        assert!(!is_batch(""));
    }

    #[test]
    fn a_batch_splits_into_the_exact_bytes_of_each_event() {
        let body = br#" [ {"id": "a", "n": [1, 2]} ,{"id":"b"}, 3 ] "#;
        let events: Vec<&str> = split(body).unwrap().iter().map(|e| e.get()).collect();
        assert_eq!(events, vec![r#"{"id": "a", "n": [1, 2]}"#, r#"{"id":"b"}"#, "3"]);
        assert!(split(b"[]").unwrap().is_empty());
    }

    #[test]
    fn a_body_that_is_not_an_array_says_what_a_batch_must_be() {
        for body in [&b"{\"id\": \"a\"}"[..], b"[{\"id\": ", b"\xff"] {
            let reason = split(body).unwrap_err();
            assert!(reason.starts_with("batch: not a JSON array of events"), "{reason}");
            assert!(reason.contains(CONTENT_TYPE), "{reason}");
        }
    }

    #[test]
    fn a_batch_past_the_bound_is_refused_whole() {
        let body = format!("[{}]", vec!["1"; MAX_EVENTS + 1].join(","));
        assert!(split(body.as_bytes()).unwrap_err().contains("send it as several batches"));
        let body = format!("[{}]", vec!["1"; MAX_EVENTS].join(","));
        assert_eq!(split(body.as_bytes()).unwrap().len(), MAX_EVENTS);
    }
}
