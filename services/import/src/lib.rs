//! What schools' systems already emit, as contract events, pseudonymised at the school.
//!
//! A school has web-filter logs, an incident log kept as a spreadsheet, an AUP sign-off
//! list and an MIS census; none of them speaks the contract. This crate reads each of them,
//! turns every person into a keyed pseudonym before anything leaves the school, maps the
//! vendor's words onto the contract's closed enumerations through editable mapping files,
//! and derives each event's id from its source record, so that importing a file twice
//! publishes nothing new. What it cannot map is reported, line by line, never guessed.

pub mod clock;
pub mod event_id;
pub mod identities;
pub mod importer;
pub mod key;
pub mod mapping;
pub mod pseudonym;
pub mod record;
pub mod report;
pub mod sheets;
pub mod source;
pub mod syslog;
pub mod vendors;
pub mod web;
