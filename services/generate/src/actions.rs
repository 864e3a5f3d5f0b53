//! What a DSL makes of an incident: how serious it is, what is done about it, and how
//! the record gets corrected.
//!
//! Grading and actions follow from the facts (police and CEOP for grooming, the IWF for
//! illegal images, the LADO for staff, parents told about most pupil incidents), so a
//! dashboard of referrals tells a coherent story rather than a random one.

use chrono::{DateTime, Utc};
use rand::Rng as _;
use safelake_schemas::events::{IncidentAction, IncidentAmended, IncidentCategory, Location, Severity};

use crate::incidents::{Seed, Subject};
use crate::rng::{self, Rng};

/// The recorded facts of an incident, as first graded.
#[derive(Clone, Copy)]
pub struct Facts {
    pub category: IncidentCategory,
    pub severity: Severity,
    pub illegal: bool,
    pub location: Location,
    pub staff: bool,
}

impl Facts {
    pub fn grade(rng: &mut Rng, seed: &Seed) -> Facts {
        use IncidentCategory::*;
        let staff = matches!(seed.subject, Subject::Staff(_));
        let category = seed.category;
        let illegal = match category {
            IllegalContent => true,
            YouthProducedSexualImagery => rng.random_bool(0.85),
            GroomingContact => rng.random_bool(if staff { 0.8 } else { 0.7 }),
            ExtremismRadicalisation => rng.random_bool(0.3),
            Cyberbullying => rng.random_bool(0.03),
            _ => false,
        };
        let serious =
            matches!(category, GroomingContact | YouthProducedSexualImagery | IllegalContent | ExtremismRadicalisation);
        let grades: &[(Severity, f64)] = if staff {
            let gross = if illegal || category == GroomingContact { 0.7 } else { 0.12 };
            &[(Severity::Misconduct, 1.0 - gross), (Severity::GrossMisconduct, gross)]
        } else if serious {
            &[(Severity::A, 0.05), (Severity::B, 0.35), (Severity::C, 0.6)]
        } else if category == Cyberbullying {
            &[(Severity::A, 0.35), (Severity::B, 0.5), (Severity::C, 0.15)]
        } else {
            &[(Severity::A, 0.6), (Severity::B, 0.33), (Severity::C, 0.07)]
        };
        let severity = rng::pick(rng, grades);
        Facts { category, severity, illegal, location: seed.location, staff }
    }

    pub fn severe(&self) -> bool {
        matches!(self.severity, Severity::C | Severity::GrossMisconduct)
    }
}

/// The actions taken, each with the median delay in hours after recording.
pub fn actions(rng: &mut Rng, facts: &Facts) -> Vec<(IncidentAction, f64)> {
    use IncidentAction::*;
    use IncidentCategory::*;
    let (category, severe, illegal, staff) = (facts.category, facts.severe(), facts.illegal, facts.staff);
    let mut out = Vec::new();
    let mut maybe = |action, p: f64, median_hours: f64| {
        if rng.random_bool(p.clamp(0.0, 1.0)) {
            out.push((action, median_hours));
        }
    };
    if staff {
        maybe(ReferredDsl, 0.4, 1.0);
        maybe(ReferredLado, if severe || illegal || category == GroomingContact { 0.9 } else { 0.08 }, 24.0);
        maybe(EvidencePreserved, 0.5, 2.0);
        maybe(NetworkAccessRemoved, 0.3, 2.0);
        maybe(ReferredPolice, if illegal { 0.7 } else { 0.0 }, 12.0);
        maybe(SanctionIssued, 0.35, 240.0);
        maybe(IrmConvened, 0.3, 120.0);
        maybe(SupportProvided, 0.1, 72.0);
    } else {
        maybe(ReferredDsl, 0.9, 0.3);
        maybe(
            EvidencePreserved,
            if illegal {
                0.8
            } else {
                match category {
                    YouthProducedSexualImagery | GroomingContact | ExtremismRadicalisation => 0.7,
                    Cyberbullying => 0.25,
                    _ => 0.05,
                }
            },
            1.0,
        );
        maybe(ParentsInformed, if severe { 0.97 } else { 0.65 }, 4.0);
        maybe(
            NetworkAccessRemoved,
            match category {
                FilteringBypass => 0.35,
                AccountMisuse => 0.3,
                AiMisuse => 0.2,
                _ => 0.02,
            },
            2.0,
        );
        let police = match category {
            IllegalContent => 0.6,
            GroomingContact => 0.65,
            YouthProducedSexualImagery => 0.25,
            ExtremismRadicalisation => 0.4,
            _ => 0.3,
        };
        maybe(ReferredPolice, if illegal || category == ExtremismRadicalisation { police } else { 0.0 }, 6.0);
        maybe(
            ReferredCeop,
            match category {
                GroomingContact => 0.45,
                YouthProducedSexualImagery => 0.1,
                _ => 0.0,
            },
            8.0,
        );
        maybe(
            ReferredIwf,
            match category {
                IllegalContent => 0.5,
                YouthProducedSexualImagery => 0.35,
                _ => 0.0,
            },
            8.0,
        );
        let social_care = match category {
            GroomingContact => 0.5,
            YouthProducedSexualImagery => 0.3,
            ExtremismRadicalisation => 0.2,
            _ if severe => 0.12,
            _ => 0.01,
        };
        maybe(ReferredSocialCare, social_care, 24.0);
        maybe(
            SanctionIssued,
            match category {
                Cyberbullying => 0.35,
                AccountMisuse => 0.4,
                FilteringBypass => 0.45,
                AiMisuse => 0.4,
                InappropriateContent => 0.15,
                _ => 0.05,
            },
            30.0,
        );
        maybe(
            SupportProvided,
            if matches!(category, Cyberbullying | YouthProducedSexualImagery | GroomingContact) { 0.7 } else { 0.3 },
            48.0,
        );
        maybe(IrmConvened, if severe { 0.25 } else { 0.02 }, 120.0);
    }
    if out.is_empty() {
        out.push((ReferredDsl, 0.5));
    }
    out
}

/// A correction of one recorded fact, within the values allowed for the subject.
pub fn amendment(rng: &mut Rng, id: &str, amended_at: DateTime<Utc>, facts: &Facts) -> IncidentAmended {
    use IncidentCategory::*;
    let Facts { category, severity, illegal, location, staff } = *facts;
    let mut data = IncidentAmended {
        incident_id: id.to_string(),
        amended_at,
        category: None,
        severity: None,
        illegal: None,
        location: None,
    };
    match rng::pick(rng, &[(0, 0.5), (1, 0.25), (2, 0.15), (3, 0.1)]) {
        0 => {
            data.severity = Some(match (severity, rng.random_bool(0.5)) {
                (Severity::A, _) => Severity::B,
                (Severity::B, true) => Severity::C,
                (Severity::B, false) => Severity::A,
                (Severity::C, _) => Severity::B,
                (Severity::Misconduct, _) => Severity::GrossMisconduct,
                (Severity::GrossMisconduct, _) => Severity::Misconduct,
            })
        }
        1 => {
            let (to, now_illegal) = match category {
                InappropriateContent => (IllegalContent, Some(true)),
                Cyberbullying if !staff => (YouthProducedSexualImagery, Some(true)),
                AccountMisuse => (DataProtection, None),
                FilteringBypass => (AccountMisuse, None),
                Other => (InappropriateContent, None),
                _ => (Other, None),
            };
            data.category = Some(to);
            data.illegal = now_illegal.filter(|&now| now != illegal);
        }
        2 => {
            data.location = Some(match location {
                Location::InSchool => Location::OutOfSchool,
                Location::OutOfSchool => Location::InSchool,
            })
        }
        _ => data.illegal = Some(!illegal),
    }
    data
}
