//! An AUP sign-off sheet's row: one `agreement.signed`.
//!
//! Who signed comes from the identity map, which gives their role; a signer the map does
//! not know takes the role the agreement implies (a parent permission form is signed by a
//! parent, whom an MIS export of pupils and staff rarely lists), except a pupil, whose
//! year group only the map knows.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use safelake_schemas::events::{AgreementSigned, AgreementType, EventData, SignerRole};

use super::fields::{empty, utc, Choice, Dates};
use super::spec::Spec;
use super::table::column_key;
use super::{Facts, Row, RowEvents, RowOutcome};
use crate::clock::SchoolClock;
use crate::identities::Role;
use crate::pseudonym::{Person, Pseudonymiser};
use crate::record::Refusal;

#[derive(Debug, Clone)]
pub(crate) struct Agreements {
    signer: String,
    agreement_type: Choice<AgreementType>,
    version: Version,
    signed_date: String,
    signed_time: Option<String>,
    pupil: Option<String>,
    academic_year: Option<String>,
    dates: Dates,
}

/// An agreement's version: a column's text (renamed through `[values.version]`) or a
/// default, as a contract label.
#[derive(Debug, Clone)]
struct Version {
    column: Option<String>,
    renames: HashMap<String, String>,
    default: Option<String>,
}

struct Signer {
    reference: String,
    role: SignerRole,
    year_group: Option<u8>,
}

impl Agreements {
    pub fn from_spec(spec: &mut Spec) -> Result<Agreements, String> {
        let version = Version {
            column: spec.column("version"),
            renames: spec.renames("version")?,
            default: match spec.default_value("version") {
                Some(value) => Some(value.as_str().filter(|v| is_label(v)).map(String::from).ok_or_else(|| {
                    format!("[defaults] version = {value}: give a label of letters, digits, '.', '_', ':', '/' or '-'")
                })?),
                None => None,
            },
        };
        if version.column.is_none() && version.default.is_none() {
            return Err("version needs a column in [columns] or a value in [defaults]".into());
        }
        Ok(Agreements {
            signer: spec.required("signer")?,
            agreement_type: spec.choice("agreement_type")?,
            version,
            signed_date: spec.required("signed_date")?,
            signed_time: spec.column("signed_time"),
            pupil: spec.column("pupil"),
            academic_year: spec.column("academic_year"),
            dates: spec.dates.clone(),
        })
    }

    pub fn columns(&self) -> Vec<&str> {
        [Some(&self.signer), self.agreement_type.column.as_ref(), self.version.column.as_ref(), Some(&self.signed_date)]
            .into_iter()
            .chain([self.signed_time.as_ref(), self.pupil.as_ref(), self.academic_year.as_ref()])
            .flatten()
            .map(String::as_str)
            .collect()
    }

    pub fn row(&self, row: &Row, people: &Pseudonymiser, clock: SchoolClock) -> RowOutcome {
        let agreement = self.agreement_type.pick(row)?;
        let version = self.version(row)?;
        let signed = self
            .dates
            .when(row, &self.signed_date, self.signed_time.as_deref())?
            .ok_or_else(|| empty("date signed", &self.signed_date))?;
        let academic_year = self.academic_year(row, signed.date())?;
        let child = self.pupil.as_deref().and_then(|c| row.text(c)).map(|name| people.person(&name));
        let signer = self.signer(row, agreement.value, child.is_some(), people)?;
        check_role(agreement.value, signer.role)?;
        let (pupil_ref, year_group) = match (agreement.value, signer.role) {
            (AgreementType::ParentPermission, _) => {
                let child = child.flatten().ok_or_else(|| self.no_child())?;
                let year = child.year_group.filter(|_| child.role == Role::Pupil).ok_or_else(|| self.no_child())?;
                (Some(child.reference), Some(year))
            }
            (_, SignerRole::Pupil) => (None, signer.year_group),
            (AgreementType::HomeLearningAup, _) => (None, child.flatten().and_then(|c| c.year_group)),
            _ => (None, None),
        };
        let facts = Facts::new("agreement.signed")
            .with("signed", signed)
            .with("signer", &signer.reference)
            .with("pupil", pupil_ref.as_deref().unwrap_or_default())
            .with("agreement", &agreement.word)
            .with("version", &version)
            .with("academic_year", &academic_year);
        let event = AgreementSigned {
            agreement_type: agreement.value,
            version,
            signer_ref: signer.reference,
            signer_role: signer.role,
            pupil_ref,
            year_group,
            academic_year,
            signed_at: utc(clock, signed)?,
        };
        Ok(RowEvents { made: vec![facts.made(EventData::AgreementSigned(event))], unmapped: Vec::new() })
    }

    fn version(&self, row: &Row) -> Result<String, Refusal> {
        let version = &self.version;
        let text = version.column.as_deref().and_then(|c| row.text(c));
        let label = match (text, &version.default) {
            (Some(text), _) => version.renames.get(&column_key(&text)).cloned().unwrap_or(text),
            (None, Some(default)) => default.clone(),
            (None, None) => return Err(empty("version", version.column.as_deref().unwrap_or_default())),
        };
        if !is_label(&label) {
            return Err(Refusal::new(format!(
                "version {label:?} is not a label the contract takes (up to 64 letters, digits, '.', '_', ':', '/' or '-'): \
                 rename it in [values.version]"
            )));
        }
        Ok(label)
    }

    /// The sheet's academic year when it has a column for it, else the one the signing
    /// date falls in (September to August).
    fn academic_year(&self, row: &Row, signed: NaiveDate) -> Result<String, Refusal> {
        match self.academic_year.as_deref().and_then(|c| row.text(c)) {
            Some(text) => academic_year(&text)
                .ok_or_else(|| Refusal::new(format!("academic year {text:?} is not a year such as 2025-26"))),
            None => {
                let start = if signed.month() >= 9 { signed.year() } else { signed.year() - 1 };
                Ok(format!("{start}-{:02}", (start + 1) % 100))
            }
        }
    }

    fn signer(
        &self,
        row: &Row,
        agreement: AgreementType,
        names_child: bool,
        people: &Pseudonymiser,
    ) -> Result<Signer, Refusal> {
        let name = row.text(&self.signer).ok_or_else(|| empty("signer", &self.signer))?;
        if let Some(person) = people.person(&name) {
            return Ok(known(person));
        }
        let role = match agreement {
            AgreementType::ParentPermission => Role::Parent,
            AgreementType::HomeLearningAup if names_child => Role::Parent,
            AgreementType::StaffAup => Role::Staff,
            AgreementType::VisitorAup => Role::Visitor,
            AgreementType::PupilAup | AgreementType::HomeLearningAup => {
                return Err(Refusal::new(format!(
                    "the signer in {:?} is not in the identity map (a pupil's year group is needed): export a fresh identity map",
                    self.signer
                )))
            }
        };
        Ok(Signer { reference: people.unknown(role, &name), role: signer_role(role), year_group: None })
    }

    fn no_child(&self) -> Refusal {
        match &self.pupil {
            Some(column) => Refusal::new(format!(
                "a parent_permission is for a pupil, and the one in {column:?} is not a pupil the identity map knows: export a fresh identity map"
            )),
            None => Refusal::new("a parent_permission is for a pupil: name the pupil column in the layout's [columns]"),
        }
    }
}

fn known(person: Person) -> Signer {
    Signer { reference: person.reference, role: signer_role(person.role), year_group: person.year_group }
}

fn signer_role(role: Role) -> SignerRole {
    match role {
        Role::Pupil => SignerRole::Pupil,
        Role::Staff => SignerRole::Staff,
        Role::Parent => SignerRole::Parent,
        Role::Visitor => SignerRole::Visitor,
    }
}

/// Who signs each agreement, as the contract has it.
fn check_role(agreement: AgreementType, role: SignerRole) -> Result<(), Refusal> {
    let (fits, signed_by) = match agreement {
        AgreementType::PupilAup => (role == SignerRole::Pupil, "a pupil"),
        AgreementType::ParentPermission => (role == SignerRole::Parent, "a parent"),
        AgreementType::StaffAup => (role == SignerRole::Staff, "a member of staff"),
        AgreementType::VisitorAup => (role == SignerRole::Visitor, "a visitor"),
        AgreementType::HomeLearningAup => {
            (matches!(role, SignerRole::Pupil | SignerRole::Parent), "a pupil or a parent")
        }
    };
    if fits {
        return Ok(());
    }
    let role = match role {
        SignerRole::Pupil => "a pupil",
        SignerRole::Parent => "a parent",
        SignerRole::Staff => "a member of staff",
        SignerRole::Visitor => "a visitor",
    };
    let agreement = safelake_schemas::events::ContractEnum::as_str(agreement);
    Err(Refusal::new(format!("a {agreement} is signed by {signed_by}, but the identity map says the signer is {role}")))
}

/// `2025-26`, `2025/26`, `2025-2026` or `2025/2026`, as `2025-26`.
fn academic_year(text: &str) -> Option<String> {
    let (first, second) = text.split_once(['-', '/'])?;
    let first: i32 = first.trim().parse().ok().filter(|y| (2000..2100).contains(y))?;
    let second: i32 = second.trim().parse().ok()?;
    let follows = second == first + 1 || second == (first + 1) % 100;
    follows.then(|| format!("{first}-{:02}", (first + 1) % 100))
}

/// The contract's `label`: `^[A-Za-z0-9._:/-]{1,64}$`.
fn is_label(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c))
}
