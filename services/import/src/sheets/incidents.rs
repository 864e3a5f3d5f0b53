//! An incident log's row: the incident it records, the actions taken on it and, once it
//! has a closing date, its closure.
//!
//! What the incident itself needs (who, when, what, how serious) refuses the row when it
//! cannot be read. An action or an outcome the layout does not map only leaves out that
//! action or closure, and is listed: the incident still counts, and the next import, with
//! the word mapped, adds the missing event without repeating the others.

use chrono::NaiveDateTime;
use safelake_schemas::events::{
    ContractEnum, EventData, IncidentAction, IncidentActionTaken, IncidentCategory, IncidentClosed, IncidentOutcome,
    IncidentRecorded, Location, ReportedByRole, Severity, SubjectRole,
};

use super::fields::{empty, utc, Choice, Chosen, Dates};
use super::spec::Spec;
use super::{Facts, Row, RowEvents, RowOutcome};
use crate::clock::SchoolClock;
use crate::identities::Role;
use crate::pseudonym::Pseudonymiser;
use crate::record::{Refusal, Unmapped};

#[derive(Debug, Clone)]
pub(crate) struct Incidents {
    incident_id: String,
    date: String,
    time: Option<String>,
    subject: String,
    category: Choice<IncidentCategory>,
    severity: Choice<Severity>,
    location: Choice<Location>,
    reported_by: Choice<ReportedByRole>,
    illegal: Choice<bool>,
    actions: Option<Choice<IncidentAction>>,
    action_date: Option<String>,
    closed_date: Option<String>,
    outcome: Option<Choice<IncidentOutcome>>,
    separator: char,
    dates: Dates,
}

/// Who an incident is about, as the contract records them.
struct Subject {
    role: SubjectRole,
    reference: String,
    year_group: Option<u8>,
}

impl Incidents {
    pub fn from_spec(spec: &mut Spec) -> Result<Incidents, String> {
        let closed_date = spec.column("closed_date");
        let outcome = spec.maybe_choice("outcome")?;
        if closed_date.is_some() != outcome.is_some() {
            return Err("closed_date and outcome go together: an incident closes on a date with an outcome".into());
        }
        let actions: Option<Choice<IncidentAction>> = spec.maybe_choice("actions")?;
        if actions.as_ref().is_some_and(|a| a.default.is_some()) {
            return Err("[defaults] actions: an action is taken on some incidents, not on every one".into());
        }
        let action_date = spec.column("action_date");
        if action_date.is_some() && actions.is_none() {
            return Err("action_date needs the actions column".into());
        }
        Ok(Incidents {
            incident_id: spec.required("incident_id")?,
            date: spec.required("date")?,
            time: spec.column("time"),
            subject: spec.required("subject")?,
            category: spec.choice("category")?,
            severity: spec.choice("severity")?,
            location: spec.choice("location")?,
            reported_by: spec.choice("reported_by")?,
            illegal: spec.yes_no("illegal")?,
            actions,
            action_date,
            closed_date,
            outcome,
            separator: spec.separator,
            dates: spec.dates.clone(),
        })
    }

    pub fn columns(&self) -> Vec<&str> {
        let choices = [
            &self.category.column,
            &self.severity.column,
            &self.location.column,
            &self.reported_by.column,
            &self.illegal.column,
        ];
        let follow_ups = [
            self.actions.as_ref().and_then(|a| a.column.as_ref()),
            self.outcome.as_ref().and_then(|o| o.column.as_ref()),
        ];
        [Some(&self.incident_id), Some(&self.date), self.time.as_ref(), Some(&self.subject)]
            .into_iter()
            .chain(choices.into_iter().map(Option::as_ref))
            .chain([self.action_date.as_ref(), self.closed_date.as_ref()])
            .chain(follow_ups)
            .flatten()
            .map(String::as_str)
            .collect()
    }

    pub fn row(&self, row: &Row, people: &Pseudonymiser, clock: SchoolClock) -> RowOutcome {
        let incident_id = self.incident_id(row)?;
        let occurred =
            self.dates.when(row, &self.date, self.time.as_deref())?.ok_or_else(|| empty("date", &self.date))?;
        let subject = self.subject(row, people)?;
        let category = self.category.pick(row)?;
        let severity = self.severity.pick(row)?;
        check_severity(&subject, &severity)?;
        let location = self.location.pick(row)?;
        let reported_by = self.reported_by.pick(row)?;
        let illegal = self.illegal.pick(row)?;
        let recorded = IncidentRecorded {
            incident_id: incident_id.clone(),
            occurred_at: utc(clock, occurred)?,
            subject_role: subject.role,
            pupil_ref: (subject.role == SubjectRole::Pupil).then(|| subject.reference.clone()),
            staff_ref: (subject.role == SubjectRole::Staff).then(|| subject.reference.clone()),
            year_group: subject.year_group,
            category: category.value,
            location: location.value,
            severity: severity.value,
            illegal: illegal.value,
            reported_by_role: reported_by.value,
        };
        let facts = Facts::new("incident.recorded")
            .with("incident", &incident_id)
            .with("occurred", occurred)
            .with("subject", &subject.reference)
            .with("category", &category.word)
            .with("severity", &severity.word)
            .with("location", &location.word)
            .with("reported_by", &reported_by.word)
            .with("illegal", &illegal.word);
        let mut events =
            RowEvents { made: vec![facts.made(EventData::IncidentRecorded(recorded))], unmapped: Vec::new() };
        self.actions(row, &incident_id, occurred, clock, &mut events)?;
        self.closure(row, &incident_id, clock, &mut events)?;
        Ok(events)
    }

    /// The school's own reference, when the contract can carry it as it is: an id made up
    /// here would not match the one the school quotes.
    fn incident_id(&self, row: &Row) -> Result<String, Refusal> {
        let id = row.text(&self.incident_id).ok_or_else(|| empty("incident reference", &self.incident_id))?;
        let fits = id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c));
        if !fits {
            return Err(Refusal::new(format!(
                "incident reference {id:?} is not an identifier the contract takes (up to 64 letters, digits, '.', '_', ':' or '-')"
            )));
        }
        Ok(id)
    }

    /// The pupil or member of staff, through the identity map: a pupil's year group is
    /// only there, and a name is never printed, so the row number has to do.
    fn subject(&self, row: &Row, people: &Pseudonymiser) -> Result<Subject, Refusal> {
        let name = row.text(&self.subject).ok_or_else(|| empty("subject", &self.subject))?;
        let person = people.person(&name).ok_or_else(|| {
            Refusal::new(format!(
                "the person in {:?} is not in the identity map: export a fresh identity map",
                self.subject
            ))
        })?;
        match (person.role, person.year_group) {
            (Role::Pupil, Some(year)) => {
                Ok(Subject { role: SubjectRole::Pupil, reference: person.reference, year_group: Some(year) })
            }
            (Role::Pupil, None) => Err(Refusal::new("the identity map gives this pupil no year group")),
            (Role::Staff, _) => Ok(Subject { role: SubjectRole::Staff, reference: person.reference, year_group: None }),
            (Role::Parent | Role::Visitor, _) => Err(Refusal::new(
                "the identity map says the subject is a parent or visitor; incidents are about pupils or staff",
            )),
        }
    }

    /// One event per listed action, at the action date when the sheet has one, else when
    /// the incident happened.
    fn actions(
        &self,
        row: &Row,
        incident_id: &str,
        occurred: NaiveDateTime,
        clock: SchoolClock,
        events: &mut RowEvents,
    ) -> Result<(), Refusal> {
        let Some(actions) = &self.actions else { return Ok(()) };
        let Some(list) = actions.column.as_deref().and_then(|c| row.text(c)) else { return Ok(()) };
        let taken = match &self.action_date {
            Some(column) => self.dates.when(row, column, None)?.unwrap_or(occurred),
            None => occurred,
        };
        let taken_at = utc(clock, taken)?;
        let mut done = Vec::new();
        for word in list.split(self.separator).map(str::trim).filter(|w| !w.is_empty()) {
            let action = match actions.words.map(word) {
                Ok(action) => action,
                Err(refusal) => {
                    events.unmapped.extend(refusal.unmapped);
                    continue;
                }
            };
            // Two of the school's words for one action are one event.
            if done.contains(&action) {
                continue;
            }
            done.push(action);
            let facts = Facts::new("incident.action_taken")
                .with("incident", incident_id)
                .with("action", word)
                .with("taken", taken);
            let event = IncidentActionTaken { incident_id: incident_id.to_string(), action, taken_at };
            events.made.push(facts.made(EventData::IncidentActionTaken(event)));
        }
        Ok(())
    }

    /// The closure, once the sheet gives a closing date.
    fn closure(&self, row: &Row, incident_id: &str, clock: SchoolClock, events: &mut RowEvents) -> Result<(), Refusal> {
        let (Some(column), Some(outcome)) = (&self.closed_date, &self.outcome) else { return Ok(()) };
        let Some(closed) = self.dates.when(row, column, None)? else { return Ok(()) };
        let outcome = match outcome.pick(row) {
            Ok(outcome) => outcome,
            Err(refusal) => {
                let column = outcome.column.as_deref().unwrap_or_default();
                events.unmapped.push(
                    refusal.unmapped.unwrap_or_else(|| Unmapped::new("outcome", row.text(column).unwrap_or_default())),
                );
                return Ok(());
            }
        };
        let facts = Facts::new("incident.closed")
            .with("incident", incident_id)
            .with("closed", closed)
            .with("outcome", &outcome.word);
        let event = IncidentClosed {
            incident_id: incident_id.to_string(),
            closed_at: utc(clock, closed)?,
            outcome: outcome.value,
        };
        events.made.push(facts.made(EventData::IncidentClosed(event)));
        Ok(())
    }
}

/// Pupils' incidents are graded A to C, staff's as misconduct: the contract will not take
/// one for the other, so the row says why here rather than as a schema error.
fn check_severity(subject: &Subject, severity: &Chosen<Severity>) -> Result<(), Refusal> {
    let for_staff = matches!(severity.value, Severity::Misconduct | Severity::GrossMisconduct);
    let fits = match subject.role {
        SubjectRole::Pupil => !for_staff,
        SubjectRole::Staff => for_staff,
    };
    if fits {
        return Ok(());
    }
    let (who, allowed) = match subject.role {
        SubjectRole::Pupil => ("a pupil", "A, B or C"),
        SubjectRole::Staff => ("a member of staff", "misconduct or gross_misconduct"),
    };
    Err(Refusal::new(format!(
        "severity {:?} reads as {}, but the subject is {who}, whose incidents are graded {allowed}",
        severity.word,
        severity.value.as_str()
    )))
}
