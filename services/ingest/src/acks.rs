//! The acks a batch owes. An ack is an empty message to the reply subject JetStream gave
//! each delivery; a batch keeps just those subjects, packed into one buffer, instead of a
//! handle per message (which cost a few hundred bytes each and made up most of the
//! ingest's memory).

use async_nats::Client;

#[derive(Default)]
pub struct Acks {
    subjects: String,
    ends: Vec<u32>,
}

impl Acks {
    pub fn push(&mut self, reply: &str) {
        self.subjects.push_str(reply);
        self.ends.push(self.subjects.len() as u32);
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(start, &end)| &self.subjects[start as usize..end as usize])
    }

    /// Sends every ack. A lost ack only means a redelivery, which the lake drops as a
    /// duplicate, so failures are logged, not returned.
    pub async fn send(&self, client: &Client) {
        for reply in self.iter() {
            if let Err(error) = client.publish(reply.to_string(), bytes::Bytes::new()).await {
                tracing::warn!(%error, "ack failed; the message will be redelivered and dropped as a duplicate");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_come_back_as_pushed() {
        let mut acks = Acks::default();
        acks.push("$JS.ACK.a.1");
        acks.push("$JS.ACK.b.22");
        acks.push("x");
        assert_eq!(acks.iter().collect::<Vec<_>>(), vec!["$JS.ACK.a.1", "$JS.ACK.b.22", "x"]);
        assert_eq!(acks.len(), 3);
    }
}
