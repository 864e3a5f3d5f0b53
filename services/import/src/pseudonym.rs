//! People as contract references: one keyed HMAC per person, whichever system names them.
//!
//! A filter logs `CURRIC\jsmith`, the incident log names a UPN, the AUP sheet an e-mail
//! address: the identity map the school exports from its MIS says these are one pupil, and
//! each is reduced to that person's one canonical identifier before it is hashed, so the
//! same person gets the same reference from every source. A name the map does not know is
//! hashed in the same normal form, so two sources that name someone the same way still meet.

use std::net::IpAddr;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::event_id::EventIds;
use crate::identities::{IdentityMap, Role};
use crate::key::SchoolKey;

/// Bytes of the HMAC kept in a reference: 128 bits, 32 hex digits (the contract allows 16-64).
const REFERENCE_BYTES: usize = 16;

/// What the importer knows of a person named in a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub reference: String,
    pub role: Role,
    pub year_group: Option<u8>,
}

pub struct Pseudonymiser {
    key: SchoolKey,
    identities: IdentityMap,
}

impl Pseudonymiser {
    pub fn new(key: SchoolKey, identities: IdentityMap) -> Pseudonymiser {
        Pseudonymiser { key, identities }
    }

    /// The person a source names (username, `DOMAIN\user`, e-mail, UPN or admission
    /// number), when the identity map knows them.
    pub fn person(&self, name: &str) -> Option<Person> {
        let known = self.identities.find(name)?;
        Some(Person {
            reference: self.reference(known.role, &known.canonical),
            role: known.role,
            year_group: known.year_group,
        })
    }

    /// The reference of someone the identity map does not know, in the role the source
    /// gives them: the same name in the same normal form always gives the same reference.
    pub fn unknown(&self, role: Role, name: &str) -> String {
        self.reference(role, &crate::identities::canonical_name(name))
    }

    /// A visitor reference for a device seen only by its address (no user signed in).
    pub fn address(&self, ip: IpAddr) -> String {
        self.reference(Role::Visitor, &format!("ip:{ip}"))
    }

    /// What imported events' ids are made with: a key of its own, derived from the
    /// school's, so an id can be neither guessed nor linked to a person's reference.
    pub fn event_ids(&self) -> EventIds {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.bytes()).expect("HMAC takes a key of any length");
        mac.update(b"safelake-event-ids-v1");
        EventIds::new(mac.finalize().into_bytes().into())
    }

    fn reference(&self, role: Role, canonical: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.bytes()).expect("HMAC takes a key of any length");
        mac.update(b"safelake-person-v1:");
        mac.update(canonical.as_bytes());
        let digest = mac.finalize().into_bytes();
        format!("{}_{}", role.prefix(), hex::encode(&digest[..REFERENCE_BYTES]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> Pseudonymiser {
        let map = "username,upn,role,year_group,email\n\
                   jsmith,A123456789012,pupil,Year 9,j.smith@school.example\n\
                   mrsbrown,,staff,,b.brown@school.example\n";
        Pseudonymiser::new(SchoolKey::from_bytes([7; 32]), IdentityMap::read(map.as_bytes()).unwrap())
    }

    #[test]
    fn every_name_of_one_person_gives_one_reference() {
        let people = people();
        let by_username = people.person("jsmith").unwrap();
        assert_eq!(by_username.role, Role::Pupil);
        assert_eq!(by_username.year_group, Some(9));
        assert!(by_username.reference.starts_with("p_") && by_username.reference.len() == 2 + 32);
        for name in ["JSmith", "CURRIC\\jsmith", "jsmith@school.example", "A123456789012", "J.Smith@School.example"] {
            assert_eq!(people.person(name).as_ref(), Some(&by_username), "{name}");
        }
        let staff = people.person("b.brown@school.example").unwrap();
        assert!(staff.reference.starts_with("s_"));
        assert_eq!(people.person("mrsbrown"), Some(staff));
    }

    #[test]
    fn another_key_gives_other_references_and_unknown_names_meet_by_normal_form() {
        let people = people();
        let other = Pseudonymiser::new(SchoolKey::from_bytes([8; 32]), IdentityMap::default());
        assert_ne!(people.unknown(Role::Staff, "visitor1"), other.unknown(Role::Staff, "visitor1"));
        assert_eq!(people.unknown(Role::Visitor, "SCHOOL\\Guest7"), people.unknown(Role::Visitor, "guest7"));
        assert!(people.address("10.1.2.3".parse().unwrap()).starts_with("v_"));
        assert_ne!(people.address("10.1.2.3".parse().unwrap()), people.address("10.1.2.4".parse().unwrap()));
    }
}
