//! What one message brings, decided before any of it is held: each of its events (the one
//! it carries, or each of a CloudEvents batch, see [`safelake_schemas::batch`]) judged
//! against the contract, then against what the lake stores and what batches hold.

use anyhow::Result;
use async_nats::jetstream::Message;
use safelake_lake::{content_hash, id_hash, Partition, Reject};
use safelake_schemas::{validate, validate_in_batch, Rejection, ValidEvent};

use crate::dedupe::{Admission, Dedupe, Holder};

/// Where and when a message arrived: what each of its refusals records.
pub struct Arrived<'a> {
    pub seq: u64,
    pub subject: &'a str,
    /// The month of its publication, which files its refusals.
    pub month: &'a str,
}

impl Arrived<'_> {
    fn reject(&self, event_id: Option<String>, reason: String, raw: &[u8], position: Option<u16>) -> Reject {
        Reject {
            stream_seq: self.seq,
            position,
            subject: self.subject.to_string(),
            event_id,
            reason,
            raw: bytes::Bytes::copy_from_slice(raw),
        }
    }
}

/// What one message brought: the events (with their id and content hashes) and refusals
/// that are new, the copies dropped, and whether the message must go back because another
/// batch holds one of its events.
#[derive(Default)]
pub struct Judged {
    pub events: Vec<(ValidEvent, u64, u64)>,
    pub refusals: Vec<Reject>,
    pub duplicates: u64,
    pub send_back: bool,
}

impl Judged {
    /// The keys of the events and refusals it admitted as new.
    pub fn keys(&self) -> (Vec<(u64, u64)>, Vec<u64>) {
        let ids = self.events.iter().map(|(_, id, content)| (*id, *content)).collect();
        (ids, self.refusals.iter().map(Reject::key).collect())
    }
}

/// Judges every event of `message` for the batch `holder`; what is new is admitted to
/// `dedupe` as held by it.
pub async fn message(dedupe: &Dedupe, holder: Holder, message: &Message, arrived: &Arrived<'_>) -> Result<Judged> {
    let mut judge = Judge { dedupe, holder, arrived, judged: Judged::default() };
    if carries_batch(message) {
        match safelake_schemas::batch::split(&message.payload) {
            Ok(events) => {
                for (position, raw) in events.iter().enumerate() {
                    let raw = raw.get().as_bytes();
                    let position = u16::try_from(position).expect("split bounds a batch");
                    judge.event(validate_in_batch(raw, arrived.subject), raw, Some(position)).await?;
                }
            }
            Err(reason) => judge.refusal(arrived.reject(None, reason, &message.payload, None)).await?,
        }
    } else {
        judge.event(validate(&message.payload, Some(arrived.subject)), &message.payload, None).await?;
    }
    Ok(judge.judged)
}

struct Judge<'a> {
    dedupe: &'a Dedupe,
    holder: Holder,
    arrived: &'a Arrived<'a>,
    judged: Judged,
}

impl Judge<'_> {
    /// One event, with the validator's verdict on it.
    async fn event(&mut self, verdict: Result<ValidEvent, Rejection>, raw: &[u8], position: Option<u16>) -> Result<()> {
        let event = match verdict {
            Ok(event) => event,
            Err(rejection) => {
                let refused = self.arrived.reject(rejection.id.clone(), rejection.reason(), raw, position);
                return self.refusal(refused).await;
            }
        };
        let (id, content) = (id_hash(&event.id), content_hash(&event.value));
        let table = event.event_type.family.table();
        let partition = Partition::school_month(event.school_id.to_string(), event.month());
        match self.dedupe.admit_event(table, &partition, id, content, self.holder).await? {
            Admission::New => self.judged.events.push((event, id, content)),
            Admission::Duplicate | Admission::HeldHere => self.judged.duplicates += 1,
            Admission::HeldElsewhere => self.judged.send_back = true,
            Admission::Conflict => {
                let refused = self.arrived.reject(Some(event.id.clone()), conflict(&event.id), raw, position);
                return self.refusal(refused).await;
            }
        }
        Ok(())
    }

    /// A refusal, unless this message's refusal is stored or held already.
    async fn refusal(&mut self, reject: Reject) -> Result<()> {
        let partition = Partition::month(self.arrived.month.to_string());
        match self.dedupe.admit_reject(&partition, reject.key(), self.holder).await? {
            Admission::New => self.judged.refusals.push(reject),
            Admission::HeldElsewhere => self.judged.send_back = true,
            Admission::Duplicate | Admission::HeldHere | Admission::Conflict => {}
        }
        Ok(())
    }
}

fn conflict(id: &str) -> String {
    format!(
        "id: event id {id:?} is already stored with different content; an id must never be re-used (send a correction as an amended event, with a new id)"
    )
}

/// Whether the message's `Content-Type` header (in any case) names a CloudEvents batch.
fn carries_batch(message: &Message) -> bool {
    message.headers.as_ref().is_some_and(|headers| {
        headers.iter().any(|(name, values)| {
            AsRef::<[u8]>::as_ref(name).eq_ignore_ascii_case(b"content-type")
                && values.iter().any(|v| safelake_schemas::batch::is_batch(v.as_str()))
        })
    })
}
