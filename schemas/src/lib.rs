//! The safelake event contract.
//!
//! The JSON Schemas in this crate's folder (`defs.json`, `cloudevent.json`, `events/*.json`)
//! are the single source of truth of what school systems may publish. This crate embeds
//! them and derives from them everything the rest of safelake needs:
//!
//! - [`validate`]: the verdict on one event, with reasons that name the field and what was
//!   expected, including the personal-data rules that a schema cannot express;
//! - [`events`]: typed Rust events for the code that emits them (the generator), checked
//!   against the schemas by tests so that the two cannot drift;
//! - [`arrow`]: the Arrow schema of each family's lake table, computed from the schemas;
//! - [`input`]: reading events from JSON Lines, JSON arrays and CloudEvents batches;
//! - [`batch`]: a CloudEvents batch in one NATS message.

pub mod arrow;
pub mod batch;
pub mod contract;
pub mod events;
pub mod ids;
pub mod input;
mod messages;
mod personal_data;
pub mod trust;
pub mod validate;

pub use contract::{Contract, EventType, Family, FAMILIES};
pub use ids::{HubId, SchoolId};
pub use trust::{Hub, School, Trust};
pub use validate::{validate, validate_in_batch, validate_value, Rejection, ValidEvent};
