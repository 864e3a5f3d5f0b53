//! Typed events, for Rust code that emits them (the generator, tests).
//!
//! These types are a convenience, not a second contract: every enumeration names the
//! `defs.json` definition it mirrors and a test compares the two value by value, and
//! every event a typed value serialises to is checked by the validator in tests.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A closed enumeration of the contract, mirrored from `defs.json`.
pub trait ContractEnum: Sized + Copy + 'static {
    /// The name of the definition in `defs.json`.
    const DEF: &'static str;
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;

    /// The value named `text` exactly as the contract writes it.
    fn named(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.as_str() == text)
    }

    /// Every value's name, comma-separated, for a message that says what to give.
    fn names() -> String {
        Self::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")
    }
}

macro_rules! contract_enum {
    ($(#[$meta:meta])* $name:ident = $def:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }
        impl ContractEnum for $name {
            const DEF: &'static str = $def;
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

mod assurance;
pub use assurance::*;

contract_enum!(SubjectRole = "subject_role" { Pupil => "pupil", Staff => "staff" });
contract_enum!(IncidentCategory = "incident_category" {
    Cyberbullying => "cyberbullying", InappropriateContent => "inappropriate_content",
    IllegalContent => "illegal_content", ExtremismRadicalisation => "extremism_radicalisation",
    YouthProducedSexualImagery => "youth_produced_sexual_imagery", GroomingContact => "grooming_contact",
    AccountMisuse => "account_misuse", FilteringBypass => "filtering_bypass",
    DataProtection => "data_protection", GamingGambling => "gaming_gambling", AiMisuse => "ai_misuse",
    Other => "other",
});
contract_enum!(Location = "location" { InSchool => "in_school", OutOfSchool => "out_of_school" });
contract_enum!(Severity = "severity" {
    A => "A", B => "B", C => "C", Misconduct => "misconduct", GrossMisconduct => "gross_misconduct",
});
contract_enum!(ReportedByRole = "reported_by_role" {
    Pupil => "pupil", Parent => "parent", Staff => "staff", MonitoringSystem => "monitoring_system",
    FilteringSystem => "filtering_system", External => "external",
});
contract_enum!(IncidentAction = "incident_action" {
    ParentsInformed => "parents_informed", NetworkAccessRemoved => "network_access_removed",
    SanctionIssued => "sanction_issued", ReferredDsl => "referred_dsl", ReferredPolice => "referred_police",
    ReferredCeop => "referred_ceop", ReferredIwf => "referred_iwf", ReferredLado => "referred_lado",
    ReferredSocialCare => "referred_social_care", SupportProvided => "support_provided",
    EvidencePreserved => "evidence_preserved", IrmConvened => "irm_convened",
});
contract_enum!(IncidentOutcome = "incident_outcome" {
    Resolved => "resolved", NoFurtherAction => "no_further_action",
    ReferredExternal => "referred_external", Unfounded => "unfounded",
});
contract_enum!(UserGroup = "user_group" { Pupil => "pupil", Staff => "staff", Guest => "guest" });
contract_enum!(WebCategory = "web_category" {
    AdultContent => "adult_content", Gambling => "gambling", Extremism => "extremism",
    SelfHarm => "self_harm", Violence => "violence", Weapons => "weapons", Drugs => "drugs",
    Hate => "hate", IllegalIwf => "illegal_iwf", MalwarePhishing => "malware_phishing",
    ProxyVpnBypass => "proxy_vpn_bypass", SocialMedia => "social_media", Messaging => "messaging",
    Gaming => "gaming", Streaming => "streaming", FileSharing => "file_sharing", Shopping => "shopping",
    Dating => "dating", AiChatbot => "ai_chatbot", SearchUnsafe => "search_unsafe", Piracy => "piracy",
    Cryptocurrency => "cryptocurrency", Advertising => "advertising", Uncategorised => "uncategorised",
    Other => "other",
});
contract_enum!(Verdict = "verdict" { Blocked => "blocked", Flagged => "flagged" });
contract_enum!(Device = "device" { School => "school", Byod => "byod" });
contract_enum!(UnblockDecision = "unblock_decision" { Approved => "approved", Denied => "denied" });
contract_enum!(RuleChange = "rule_change" {
    BlockAdded => "block_added", BlockRemoved => "block_removed", CategoryBlocked => "category_blocked",
    CategoryAllowed => "category_allowed", GroupPolicyChanged => "group_policy_changed",
});
contract_enum!(AlertChannel = "alert_channel" {
    Web => "web", Search => "search", AiChat => "ai_chat", Device => "device", Email => "email",
});
contract_enum!(AlertSeverity = "alert_severity" {
    Low => "low", Medium => "medium", High => "high", Critical => "critical",
});
contract_enum!(AlertOutcome = "alert_outcome" {
    FalsePositive => "false_positive", NoAction => "no_action", IncidentOpened => "incident_opened",
});
contract_enum!(AgreementType = "agreement_type" {
    PupilAup => "pupil_aup", ParentPermission => "parent_permission", StaffAup => "staff_aup",
    VisitorAup => "visitor_aup", HomeLearningAup => "home_learning_aup",
});
contract_enum!(SignerRole = "signer_role" {
    Pupil => "pupil", Parent => "parent", Staff => "staff", Visitor => "visitor",
});
contract_enum!(CensusRole = "census_role" { Pupil => "pupil", Staff => "staff" });

impl WebCategory {
    /// The categories whose blocked attempts alert a DSL (`high_risk_web_category`).
    pub const HIGH_RISK: &'static [WebCategory] = &[
        WebCategory::Extremism,
        WebCategory::SelfHarm,
        WebCategory::AdultContent,
        WebCategory::Weapons,
        WebCategory::IllegalIwf,
        WebCategory::Violence,
        WebCategory::Hate,
    ];
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentRecorded {
    pub incident_id: String,
    pub occurred_at: DateTime<Utc>,
    pub subject_role: SubjectRole,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pupil_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_group: Option<u8>,
    pub category: IncidentCategory,
    pub location: Location,
    pub severity: Severity,
    pub illegal: bool,
    pub reported_by_role: ReportedByRole,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentActionTaken {
    pub incident_id: String,
    pub action: IncidentAction,
    pub taken_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentAmended {
    pub incident_id: String,
    pub amended_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<IncidentCategory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub illegal: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentClosed {
    pub incident_id: String,
    pub closed_at: DateTime<Utc>,
    pub outcome: IncidentOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterBlocked {
    pub occurred_at: DateTime<Utc>,
    pub user_ref: String,
    pub user_group: UserGroup,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_group: Option<u8>,
    pub category: WebCategory,
    pub domain: String,
    pub verdict: Verdict,
    pub rule_id: String,
    pub device: Device,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnblockRequested {
    pub request_id: String,
    pub requested_at: DateTime<Utc>,
    pub requested_by: String,
    pub domain: String,
    pub category: WebCategory,
    pub reason: String,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnblockDecided {
    pub request_id: String,
    pub decided_at: DateTime<Utc>,
    pub decision: UnblockDecision,
    pub decided_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleChanged {
    pub change_id: String,
    pub changed_at: DateTime<Utc>,
    pub rule_id: String,
    pub change: RuleChange,
    pub target: String,
    pub risk_assessed: bool,
    pub authorised_by: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRaised {
    pub alert_id: String,
    pub raised_at: DateTime<Utc>,
    pub user_ref: String,
    pub user_group: UserGroup,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_group: Option<u8>,
    pub channel: AlertChannel,
    pub category: WebCategory,
    pub severity: AlertSeverity,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertReviewed {
    pub alert_id: String,
    pub reviewed_at: DateTime<Utc>,
    pub reviewed_by: String,
    pub outcome: AlertOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementSigned {
    pub agreement_type: AgreementType,
    pub version: String,
    pub signer_ref: String,
    pub signer_role: SignerRole,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pupil_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_group: Option<u8>,
    pub academic_year: String,
    pub signed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementWithdrawn {
    pub agreement_type: AgreementType,
    pub signer_ref: String,
    pub academic_year: String,
    pub withdrawn_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Census {
    pub census_date: NaiveDate,
    pub role: CensusRole,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_group: Option<u8>,
    pub headcount: u32,
}

/// The data of any event type, tagged by the type it is sent as.
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    IncidentRecorded(IncidentRecorded),
    IncidentActionTaken(IncidentActionTaken),
    IncidentAmended(IncidentAmended),
    IncidentClosed(IncidentClosed),
    FilterBlocked(FilterBlocked),
    UnblockRequested(UnblockRequested),
    UnblockDecided(UnblockDecided),
    RuleChanged(RuleChanged),
    AlertRaised(AlertRaised),
    AlertReviewed(AlertReviewed),
    AgreementSigned(AgreementSigned),
    AgreementWithdrawn(AgreementWithdrawn),
    Census(Census),
    CheckPerformed(CheckPerformed),
    ActionAgreed(ActionAgreed),
    ActionClosed(ActionClosed),
    ReviewCompleted(ReviewCompleted),
    ResponsibilityAssigned(ResponsibilityAssigned),
    TrainingCompleted(TrainingCompleted),
}

impl EventData {
    /// The CloudEvents `type` this data is sent as.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventData::IncidentRecorded(_) => "uk.safeguarding.incident.recorded.v1",
            EventData::IncidentActionTaken(_) => "uk.safeguarding.incident.action_taken.v1",
            EventData::IncidentAmended(_) => "uk.safeguarding.incident.amended.v1",
            EventData::IncidentClosed(_) => "uk.safeguarding.incident.closed.v1",
            EventData::FilterBlocked(_) => "uk.safeguarding.filter.blocked.v1",
            EventData::UnblockRequested(_) => "uk.safeguarding.filter.unblock_requested.v1",
            EventData::UnblockDecided(_) => "uk.safeguarding.filter.unblock_decided.v1",
            EventData::RuleChanged(_) => "uk.safeguarding.filter.rule_changed.v1",
            EventData::AlertRaised(_) => "uk.safeguarding.monitor.alert_raised.v1",
            EventData::AlertReviewed(_) => "uk.safeguarding.monitor.alert_reviewed.v1",
            EventData::AgreementSigned(_) => "uk.safeguarding.agreement.signed.v1",
            EventData::AgreementWithdrawn(_) => "uk.safeguarding.agreement.withdrawn.v1",
            EventData::Census(_) => "uk.safeguarding.roster.census.v1",
            EventData::CheckPerformed(_) => "uk.safeguarding.assurance.check_performed.v1",
            EventData::ActionAgreed(_) => "uk.safeguarding.assurance.action_agreed.v1",
            EventData::ActionClosed(_) => "uk.safeguarding.assurance.action_closed.v1",
            EventData::ReviewCompleted(_) => "uk.safeguarding.assurance.review_completed.v1",
            EventData::ResponsibilityAssigned(_) => "uk.safeguarding.assurance.responsibility_assigned.v1",
            EventData::TrainingCompleted(_) => "uk.safeguarding.training.completed.v1",
        }
    }

    /// The business time, the data field `x-business-time` names (a date as the start of
    /// its day, UTC): the validator reads the same field from the JSON.
    pub fn business_time(&self) -> DateTime<Utc> {
        match self {
            EventData::IncidentRecorded(d) => d.occurred_at,
            EventData::IncidentActionTaken(d) => d.taken_at,
            EventData::IncidentAmended(d) => d.amended_at,
            EventData::IncidentClosed(d) => d.closed_at,
            EventData::FilterBlocked(d) => d.occurred_at,
            EventData::UnblockRequested(d) => d.requested_at,
            EventData::UnblockDecided(d) => d.decided_at,
            EventData::RuleChanged(d) => d.changed_at,
            EventData::AlertRaised(d) => d.raised_at,
            EventData::AlertReviewed(d) => d.reviewed_at,
            EventData::AgreementSigned(d) => d.signed_at,
            EventData::AgreementWithdrawn(d) => d.withdrawn_at,
            EventData::Census(d) => d.census_date.and_time(chrono::NaiveTime::MIN).and_utc(),
            EventData::CheckPerformed(d) => d.checked_at,
            EventData::ActionAgreed(d) => d.agreed_at,
            EventData::ActionClosed(d) => d.closed_at,
            EventData::ReviewCompleted(d) => d.completed_at,
            EventData::ResponsibilityAssigned(d) => d.assigned_at,
            EventData::TrainingCompleted(d) => d.completed_at,
        }
    }

    pub fn to_value(&self) -> Value {
        let value = match self {
            EventData::IncidentRecorded(d) => serde_json::to_value(d),
            EventData::IncidentActionTaken(d) => serde_json::to_value(d),
            EventData::IncidentAmended(d) => serde_json::to_value(d),
            EventData::IncidentClosed(d) => serde_json::to_value(d),
            EventData::FilterBlocked(d) => serde_json::to_value(d),
            EventData::UnblockRequested(d) => serde_json::to_value(d),
            EventData::UnblockDecided(d) => serde_json::to_value(d),
            EventData::RuleChanged(d) => serde_json::to_value(d),
            EventData::AlertRaised(d) => serde_json::to_value(d),
            EventData::AlertReviewed(d) => serde_json::to_value(d),
            EventData::AgreementSigned(d) => serde_json::to_value(d),
            EventData::AgreementWithdrawn(d) => serde_json::to_value(d),
            EventData::Census(d) => serde_json::to_value(d),
            EventData::CheckPerformed(d) => serde_json::to_value(d),
            EventData::ActionAgreed(d) => serde_json::to_value(d),
            EventData::ActionClosed(d) => serde_json::to_value(d),
            EventData::ReviewCompleted(d) => serde_json::to_value(d),
            EventData::ResponsibilityAssigned(d) => serde_json::to_value(d),
            EventData::TrainingCompleted(d) => serde_json::to_value(d),
        };
        value.expect("event data serialises")
    }
}

/// A CloudEvent in structured JSON mode, as school systems publish it.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudEvent {
    pub id: String,
    pub source: String,
    pub time: DateTime<Utc>,
    pub school_id: String,
    pub data: EventData,
}

impl CloudEvent {
    pub fn to_value(&self) -> Value {
        serde_json::json!({
            "specversion": "1.0",
            "id": self.id,
            "source": self.source,
            "type": self.data.type_name(),
            "time": self.time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            "schoolid": self.school_id,
            "datacontenttype": "application/json",
            "data": self.data.to_value(),
        })
    }

    /// `sg.<school>.<family>.<action>`, the subject it is published on.
    pub fn subject(&self) -> String {
        let family_action = self.data.type_name().trim_start_matches("uk.safeguarding.");
        let family_action = family_action.rsplit_once('.').map_or(family_action, |(fa, _version)| fa);
        format!("sg.{}.{family_action}", self.school_id)
    }

    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Contract;

    fn check<E: ContractEnum + Serialize>() {
        let contract = Contract::get();
        let schema = contract.enumeration(E::DEF).unwrap_or_else(|| panic!("no enum {} in defs.json", E::DEF));
        let rust: Vec<&str> = E::ALL.iter().map(|v| v.as_str()).collect();
        assert_eq!(rust, schema, "enum {} drifted from defs.json", E::DEF);
        for v in E::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), Value::from(v.as_str()));
        }
    }

    #[test]
    fn rust_enums_equal_the_schema_enums() {
        check::<SubjectRole>();
        check::<IncidentCategory>();
        check::<Location>();
        check::<Severity>();
        check::<ReportedByRole>();
        check::<IncidentAction>();
        check::<IncidentOutcome>();
        check::<UserGroup>();
        check::<WebCategory>();
        check::<Verdict>();
        check::<Device>();
        check::<UnblockDecision>();
        check::<RuleChange>();
        check::<AlertChannel>();
        check::<AlertSeverity>();
        check::<AlertOutcome>();
        check::<AgreementType>();
        check::<SignerRole>();
        check::<CensusRole>();
        check::<AssuredSystem>();
        check::<CheckTarget>();
        check::<CheckResult>();
        check::<DeviceType>();
        check::<Site>();
        check::<ReviewTrigger>();
        check::<Rating>();
        check::<DfeStandard>();
        check::<Responsibility>();
        check::<TraineeRole>();
        check::<TrainingTopic>();
        let high_risk: Vec<&str> = WebCategory::HIGH_RISK.iter().map(|c| c.as_str()).collect();
        assert_eq!(Some(high_risk), Contract::get().enumeration("high_risk_web_category"));
    }
}
