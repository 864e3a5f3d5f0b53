//! The embedded JSON Schemas, compiled once, and the list of event types they define.
//!
//! Event types are not listed in Rust: they are the files under `events/`, so adding a
//! schema file (and a line to [`SCHEMA_FILES`]) is all it takes to accept a new type.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use anyhow::{anyhow, Context, Result};
use jsonschema::{Registry, Validator};
use serde_json::Value;

const BASE: &str = "https://schemas.safelake.invalid/v1/";

/// The schema files, embedded at build time so the binary never reads or fetches a schema.
pub const SCHEMA_FILES: &[(&str, &str)] = &[
    ("defs.json", include_str!("../defs.json")),
    ("cloudevent.json", include_str!("../cloudevent.json")),
    ("events/incident.recorded.v1.json", include_str!("../events/incident.recorded.v1.json")),
    ("events/incident.action_taken.v1.json", include_str!("../events/incident.action_taken.v1.json")),
    ("events/incident.amended.v1.json", include_str!("../events/incident.amended.v1.json")),
    ("events/incident.closed.v1.json", include_str!("../events/incident.closed.v1.json")),
    ("events/filter.blocked.v1.json", include_str!("../events/filter.blocked.v1.json")),
    ("events/filter.unblock_requested.v1.json", include_str!("../events/filter.unblock_requested.v1.json")),
    ("events/filter.unblock_decided.v1.json", include_str!("../events/filter.unblock_decided.v1.json")),
    ("events/filter.rule_changed.v1.json", include_str!("../events/filter.rule_changed.v1.json")),
    ("events/monitor.alert_raised.v1.json", include_str!("../events/monitor.alert_raised.v1.json")),
    ("events/monitor.alert_reviewed.v1.json", include_str!("../events/monitor.alert_reviewed.v1.json")),
    ("events/agreement.signed.v1.json", include_str!("../events/agreement.signed.v1.json")),
    ("events/agreement.withdrawn.v1.json", include_str!("../events/agreement.withdrawn.v1.json")),
    ("events/roster.census.v1.json", include_str!("../events/roster.census.v1.json")),
    ("events/assurance.check_performed.v1.json", include_str!("../events/assurance.check_performed.v1.json")),
    ("events/assurance.action_agreed.v1.json", include_str!("../events/assurance.action_agreed.v1.json")),
    ("events/assurance.action_closed.v1.json", include_str!("../events/assurance.action_closed.v1.json")),
    ("events/assurance.review_completed.v1.json", include_str!("../events/assurance.review_completed.v1.json")),
    (
        "events/assurance.responsibility_assigned.v1.json",
        include_str!("../events/assurance.responsibility_assigned.v1.json"),
    ),
    ("events/training.completed.v1.json", include_str!("../events/training.completed.v1.json")),
];

/// The families of events; each is one table in the lake and one subject token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Incident,
    Filter,
    Monitor,
    Agreement,
    Roster,
    /// The evidence the DfE filtering and monitoring standards ask for: checks, reviews,
    /// their actions and the responsibilities named.
    Assurance,
    /// Online-safety training completed by staff, volunteers and governance.
    Training,
}

pub const FAMILIES: [Family; 7] = [
    Family::Incident,
    Family::Filter,
    Family::Monitor,
    Family::Agreement,
    Family::Roster,
    Family::Assurance,
    Family::Training,
];

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Incident => "incident",
            Family::Filter => "filter",
            Family::Monitor => "monitor",
            Family::Agreement => "agreement",
            Family::Roster => "roster",
            Family::Assurance => "assurance",
            Family::Training => "training",
        }
    }

    /// The lake table (and directory) that holds this family's events.
    pub fn table(self) -> &'static str {
        match self {
            Family::Incident => "incident_events",
            Family::Filter => "filter_events",
            Family::Monitor => "monitor_events",
            Family::Agreement => "agreement_events",
            Family::Roster => "roster_events",
            Family::Assurance => "assurance_events",
            Family::Training => "training_events",
        }
    }

    pub fn parse(s: &str) -> Option<Family> {
        FAMILIES.into_iter().find(|f| f.as_str() == s)
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event type of the contract, e.g. `uk.safeguarding.filter.blocked.v1`.
pub struct EventType {
    pub name: String,
    pub family: Family,
    pub action: String,
    /// The data field that holds the business time (the lake partitions by its month).
    pub business_time: String,
    /// The `data` schema as written (used to derive Arrow columns).
    pub data_schema: Value,
    validator: Validator,
}

impl EventType {
    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    /// The NATS subject an event of this type is published on.
    pub fn subject(&self, school_id: &str) -> String {
        format!("sg.{school_id}.{}.{}", self.family, self.action)
    }
}

/// The compiled contract: the envelope validator and every event type.
pub struct Contract {
    pub defs: Value,
    envelope: Validator,
    types: BTreeMap<String, EventType>,
}

impl Contract {
    /// The contract, compiled on first use. The schemas are embedded and tested, so a
    /// failure here is a bug in this crate, not a condition a caller can handle.
    pub fn get() -> &'static Contract {
        static CONTRACT: OnceLock<Contract> = OnceLock::new();
        CONTRACT.get_or_init(|| Contract::compile().expect("the embedded event contract compiles"))
    }

    fn compile() -> Result<Contract> {
        let documents: Vec<(String, Value)> = SCHEMA_FILES
            .iter()
            .map(|(path, text)| {
                let value: Value = serde_json::from_str(text).with_context(|| format!("schema {path} is not JSON"))?;
                Ok((format!("{BASE}{path}"), value))
            })
            .collect::<Result<_>>()?;
        let registry = Registry::new()
            .extend(documents.iter().map(|(uri, doc)| (uri.as_str(), doc.clone())))
            .map_err(|e| anyhow!("schema registry: {e}"))?
            .prepare()
            .map_err(|e| anyhow!("schema registry: {e}"))?;
        let build = |doc: &Value| {
            jsonschema::options()
                .with_registry(&registry)
                .should_validate_formats(true)
                .build(doc)
                .map_err(|e| anyhow!("{e}"))
        };
        let mut defs = Value::Null;
        let mut envelope = None;
        let mut types = BTreeMap::new();
        for ((path, _), (_, doc)) in SCHEMA_FILES.iter().zip(&documents) {
            match *path {
                "defs.json" => defs = doc.clone(),
                "cloudevent.json" => envelope = Some(build(doc)?),
                _ => {
                    let name = doc["title"].as_str().context("event schema without title")?.to_string();
                    let mut parts = name.split('.').skip(2);
                    let family =
                        parts.next().and_then(Family::parse).with_context(|| format!("{name}: unknown family"))?;
                    let action = parts.next().context("no action")?.to_string();
                    let business_time = doc["x-business-time"]
                        .as_str()
                        .with_context(|| format!("{name}: no x-business-time"))?
                        .to_string();
                    let validator = build(doc).with_context(|| format!("compiling {path}"))?;
                    types.insert(
                        name.clone(),
                        EventType { name, family, action, business_time, data_schema: doc.clone(), validator },
                    );
                }
            }
        }
        Ok(Contract { defs, envelope: envelope.context("no envelope schema")?, types })
    }

    pub fn envelope(&self) -> &Validator {
        &self.envelope
    }

    pub fn event_type(&self, name: &str) -> Option<&EventType> {
        self.types.get(name)
    }

    pub fn event_types(&self) -> impl Iterator<Item = &EventType> {
        self.types.values()
    }

    /// The values of a closed enumeration in `defs.json`, e.g. `web_category`.
    pub fn enumeration(&self, def: &str) -> Option<Vec<&str>> {
        self.defs["$defs"][def]["enum"].as_array().map(|values| values.iter().filter_map(Value::as_str).collect())
    }

    /// Resolves a `$ref` into `defs.json` (the only kind of reference the event schemas use).
    pub fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => match reference.rsplit_once("#/$defs/") {
                Some((_, name)) => &self.defs["$defs"][name],
                None => schema,
            },
            None => schema,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_file_is_listed_and_compiles() {
        let contract = Contract::get();
        let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/events")).unwrap().count();
        assert_eq!(contract.event_types().count(), on_disk, "a schema file is not in SCHEMA_FILES");
        for t in contract.event_types() {
            assert_eq!(t.name, format!("uk.safeguarding.{}.{}.v1", t.family, t.action));
            assert!(
                t.data_schema["properties"].get(&t.business_time).is_some(),
                "{}: business time {} is not a field",
                t.name,
                t.business_time
            );
        }
    }
}
