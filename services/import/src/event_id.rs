//! Event ids derived from the source record, so that importing a file twice, or an export
//! that overlaps the last one, publishes nothing new: the same record gives the same id, and
//! JetStream and the ingest drop an id they have seen.
//!
//! The id is a UUIDv5 of a keyed digest of the record, not of the record itself: ids are
//! published, and a plain hash of a short record (a time, a username, an address, a host)
//! could be confirmed by trying every username of a school against it. Keyed with a key
//! derived from the school's, the id reveals nothing without the key.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// The namespace of every imported event's UUIDv5 (fixed for ever: changing it would make
/// every re-import a new event).
const NAMESPACE: Uuid = Uuid::from_u128(0x5a4f_e1a7_2b0c_4d3e_9f61_8c2d_7b5e_0a19);

/// Makes the ids of one school's imported events (see [`crate::pseudonym::Pseudonymiser::event_ids`]).
#[derive(Clone)]
pub struct EventIds {
    key: [u8; 32],
}

impl EventIds {
    pub(crate) fn new(key: [u8; 32]) -> EventIds {
        EventIds { key }
    }

    /// The id of the `index`-th event made from `record` of a `source` (a vendor or sheet
    /// layout) at `school`. A changed record is a new event.
    pub fn id(&self, school: &str, source: &str, record: &str, index: usize) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(format!("{school}\n{source}\n{index}\n").as_bytes());
        mac.update(record.as_bytes());
        Uuid::new_v5(&NAMESPACE, &mac.finalize().into_bytes()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_record_one_id_and_anything_else_another() {
        let ids = EventIds::new([3; 32]);
        let id = ids.id("sch01", "fortigate", "date=2026-03-12 ...", 0);
        assert_eq!(id, ids.id("sch01", "fortigate", "date=2026-03-12 ...", 0));
        assert_ne!(id, ids.id("sch02", "fortigate", "date=2026-03-12 ...", 0));
        assert_ne!(id, ids.id("sch01", "sophos", "date=2026-03-12 ...", 0));
        assert_ne!(id, ids.id("sch01", "fortigate", "date=2026-03-12 ...", 1));
        assert_ne!(id, ids.id("sch01", "fortigate", "date=2026-03-13 ...", 0));
        assert_ne!(id, EventIds::new([4; 32]).id("sch01", "fortigate", "date=2026-03-12 ...", 0), "keyed");
        assert_eq!(Uuid::parse_str(&id).unwrap().get_version_num(), 5);
    }
}
