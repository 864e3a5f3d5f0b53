//! Records to publishable events: each event gets the id its record derives, the school's
//! envelope, and the contract's verdict before it leaves the school, so that a mapping
//! mistake shows in the dry run instead of in the trust's rejects.

use safelake_schemas::events::CloudEvent;
use safelake_schemas::SchoolId;

use crate::event_id::EventIds;
use crate::record::Outcome;
use crate::report::Report;

/// One event ready to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Ready {
    pub subject: String,
    pub id: String,
    pub json: String,
}

pub struct Importer {
    school: SchoolId,
    /// The vendor or sheet layout, part of every id and of the events' `source`.
    source: String,
    ids: EventIds,
    pub report: Report,
}

impl Importer {
    pub fn new(school: SchoolId, source: &str, ids: EventIds) -> Importer {
        Importer { school, source: source.to_string(), ids, report: Report::default() }
    }

    /// The events the record at `place` (`file:line`) makes, tallied in the report.
    /// `record` is the record as read: its id derives from it.
    pub fn record(&mut self, place: &str, record: &str, outcome: Outcome) -> Vec<Ready> {
        let imported = match outcome {
            Ok(imported) => imported,
            Err(refusal) => {
                if let Some(value) = refusal.unmapped {
                    self.report.unmapped(value, place);
                }
                self.report.refuse(place, &refusal.reason);
                return Vec::new();
            }
        };
        for value in imported.unmapped {
            self.report.unmapped(value, place);
        }
        if let Some(why) = imported.skipped {
            self.report.skip(why);
        }
        let mut ready = Vec::with_capacity(imported.events.len());
        for (index, data) in imported.events.into_iter().enumerate() {
            let event = CloudEvent {
                id: self.ids.id(&self.school, &self.source, record, index),
                source: format!("urn:safelake:import:{}:{}", self.school, self.source),
                // The business time, not the time of import: a re-import must send the very
                // same event, or the ingest would keep it as a conflict.
                time: data.business_time(),
                school_id: self.school.to_string(),
                data,
            };
            let value = event.to_value();
            let json = value.to_string();
            match safelake_schemas::validate_value(value, None) {
                Ok(_) => {
                    self.report.event(event.data.type_name());
                    ready.push(Ready { subject: event.subject(), id: event.id, json });
                }
                Err(rejection) => {
                    self.report.refuse(place, &format!("the contract refuses it: {}", rejection.reason()))
                }
            }
        }
        ready
    }
}
