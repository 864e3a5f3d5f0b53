//! Single events grouped into CloudEvents batches, one school to a batch (its subject
//! `sg.<school>.batch` is within the school's publish permission, and the ingest checks
//! every event against that school).

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use bytes::{BufMut, BytesMut};

use crate::Outgoing;

/// A batch is sent once its body reaches this size, whatever its count: well under the
/// 1 MiB a nats-server takes in one message by default.
pub const MAX_BATCH_BYTES: usize = 512 * 1024;

/// `messages` (single events) as batches of up to `size` events each. `size` 1 leaves
/// them as they are.
pub fn batches<'a>(
    messages: impl IntoIterator<Item = Outgoing> + 'a,
    size: usize,
) -> Box<dyn Iterator<Item = Outgoing> + 'a> {
    let messages = messages.into_iter();
    if size <= 1 {
        return Box::new(messages);
    }
    Box::new(Batcher { messages: Box::new(messages), size, open: HashMap::new(), ready: VecDeque::new(), done: false })
}

struct Batcher<'a> {
    messages: Box<dyn Iterator<Item = Outgoing> + 'a>,
    size: usize,
    /// The batch being filled for each school.
    open: HashMap<String, Filling>,
    ready: VecDeque<Outgoing>,
    done: bool,
}

#[derive(Default)]
struct Filling {
    body: BytesMut,
    events: usize,
    ids: DefaultHasher,
    /// An event without an id leaves the batch without a message id.
    missing_id: bool,
}

impl Filling {
    fn push(&mut self, message: &Outgoing) {
        self.body.put_u8(if self.events == 0 { b'[' } else { b',' });
        self.body.put_slice(&message.payload);
        self.missing_id |= message.id.is_none();
        message.id.hash(&mut self.ids);
        self.events += 1;
    }

    fn finish(mut self, school: &str) -> Outgoing {
        self.body.put_u8(b']');
        // The same events give the same id, so that a retry inside the server's duplicate
        // window is dropped there; the ingest drops any other copy by event id.
        let id = (!self.missing_id).then(|| format!("batch-{}-{:016x}", self.events, self.ids.finish()));
        Outgoing {
            subject: safelake_schemas::batch::subject(school),
            id,
            payload: self.body.freeze(),
            batch: Some(self.events),
        }
    }
}

impl Iterator for Batcher<'_> {
    type Item = Outgoing;

    fn next(&mut self) -> Option<Outgoing> {
        loop {
            if let Some(batch) = self.ready.pop_front() {
                return Some(batch);
            }
            if self.done {
                return None;
            }
            let Some(message) = self.messages.next() else {
                self.done = true;
                let mut open: Vec<_> = self.open.drain().collect();
                open.sort_by(|a, b| a.0.cmp(&b.0));
                self.ready = open.into_iter().map(|(school, filling)| filling.finish(&school)).collect();
                continue;
            };
            let school = message.subject.split('.').nth(1).unwrap_or_default().to_string();
            let filling = self.open.entry(school.clone()).or_default();
            if filling.events > 0 && filling.body.len() + message.payload.len() + 2 > MAX_BATCH_BYTES {
                let full = std::mem::take(filling);
                self.ready.push_back(full.finish(&school));
            }
            filling.push(&message);
            if filling.events >= self.size {
                let full = self.open.remove(&school).expect("just filled");
                self.ready.push_back(full.finish(&school));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(school: &str, n: usize) -> Outgoing {
        Outgoing::single(format!("sg.{school}.filter.blocked"), Some(format!("e{n}")), format!("{{\"n\":{n}}}"))
    }

    fn body(message: &Outgoing) -> serde_json::Value {
        serde_json::from_slice(&message.payload).unwrap()
    }

    #[test]
    fn events_are_grouped_by_school_into_batches_of_the_size_asked() {
        let sent: Vec<Outgoing> = (0..7).map(|n| event(if n % 2 == 0 { "a" } else { "b" }, n)).collect();
        let out: Vec<Outgoing> = batches(sent, 3).collect();
        let summary: Vec<(String, Option<usize>, serde_json::Value)> =
            out.iter().map(|m| (m.subject.clone(), m.batch, body(m))).collect();
        assert_eq!(
            summary,
            vec![
                ("sg.a.batch".into(), Some(3), serde_json::json!([{"n": 0}, {"n": 2}, {"n": 4}])),
                ("sg.b.batch".into(), Some(3), serde_json::json!([{"n": 1}, {"n": 3}, {"n": 5}])),
                ("sg.a.batch".into(), Some(1), serde_json::json!([{"n": 6}])),
            ]
        );
        assert!(out.iter().all(|m| m.id.as_deref().is_some_and(|id| id.starts_with("batch-"))));
    }

    #[test]
    fn the_same_events_make_the_same_batch_id_and_others_another() {
        let id = |range: std::ops::Range<usize>| batches(range.map(|n| event("a", n)), 10).next().unwrap().id;
        assert_eq!(id(0..5), id(0..5));
        assert_ne!(id(0..5), id(0..4));
        assert_ne!(id(0..5), id(1..6));
        let mut without = event("a", 9);
        without.id = None;
        let batch = batches([event("a", 1), without], 10).next().unwrap();
        assert_eq!(batch.id, None, "a batch with an event without an id has no message id either");
    }

    #[test]
    fn a_batch_is_sent_before_it_passes_the_byte_bound() {
        let big =
            |n: usize| Outgoing::single("sg.a.x.y", Some(format!("e{n}")), format!("\"{}\"", "x".repeat(200_000)));
        let out: Vec<Outgoing> = batches((0..5).map(big), 1_000).collect();
        assert_eq!(out.iter().map(|m| m.batch.unwrap()).collect::<Vec<_>>(), vec![2, 2, 1]);
        assert!(out.iter().all(|m| m.payload.len() <= MAX_BATCH_BYTES));
    }

    #[test]
    fn a_size_of_one_sends_each_event_alone() {
        let out: Vec<Outgoing> = batches((0..3).map(|n| event("a", n)), 1).collect();
        assert!(out.iter().all(|m| m.batch.is_none() && m.subject == "sg.a.filter.blocked"));
    }
}
