//! The typed events of the evidence the DfE filtering and monitoring standards ask for
//! (checks, reviews, their actions, named responsibilities) and of online-safety training.
//!
//! Kept apart from the safeguarding events because they describe governance, not pupils:
//! every reference here is to an adult.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{ContractEnum, Device, UserGroup};

contract_enum!(AssuredSystem = "assured_system" { Filtering => "filtering", Monitoring => "monitoring" });
contract_enum!(CheckTarget = "check_target" {
    IwfList => "iwf_list", CounterTerrorismList => "counter_terrorism_list", AdultContent => "adult_content",
    WebCategory => "web_category", AiTool => "ai_tool", MonitoringAlert => "monitoring_alert", Other => "other",
});
contract_enum!(CheckResult = "check_result" {
    Blocked => "blocked", Allowed => "allowed", Alerted => "alerted", NotAlerted => "not_alerted",
});
contract_enum!(DeviceType = "device_type" {
    Desktop => "desktop", Laptop => "laptop", Tablet => "tablet", Mobile => "mobile", Other => "other",
});
contract_enum!(Site = "site" { OnSite => "on_site", OffSite => "off_site" });
contract_enum!(ReviewTrigger = "review_trigger" {
    Annual => "annual", RiskChange => "risk_change", PracticeChange => "practice_change",
    NewTechnology => "new_technology",
});
contract_enum!(Rating = "rating" { Red => "red", Amber => "amber", Green => "green" });
contract_enum!(DfeStandard = "dfe_standard" {
    Roles => "roles", AnnualReview => "annual_review", Filtering => "filtering", Monitoring => "monitoring",
});
contract_enum!(Responsibility = "responsibility" {
    SeniorLeader => "senior_leader", Governor => "governor", Dsl => "dsl", ItProvider => "it_provider",
});
contract_enum!(TraineeRole = "trainee_role" {
    Staff => "staff", Volunteer => "volunteer", Governor => "governor", Trustee => "trustee",
});
contract_enum!(TrainingTopic = "training_topic" {
    OnlineSafety => "online_safety", FilteringAndMonitoring => "filtering_and_monitoring",
    Safeguarding => "safeguarding", GenerativeAi => "generative_ai",
});

/// The action a failed check (or a review) needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub action_id: String,
    pub action: String,
    pub action_owner: String,
    pub action_due_by: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckPerformed {
    pub check_id: String,
    pub checked_at: DateTime<Utc>,
    pub checked_by: String,
    pub system: AssuredSystem,
    pub tested: CheckTarget,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub device_type: DeviceType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
    pub site: Site,
    pub user_group: UserGroup,
    pub expected: CheckResult,
    pub observed: CheckResult,
    pub passed: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionAgreed {
    pub review_id: String,
    pub standard: DfeStandard,
    #[serde(flatten)]
    pub action: Action,
    pub agreed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionClosed {
    pub action_id: String,
    pub closed_at: DateTime<Utc>,
    pub closed_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewCompleted {
    pub review_id: String,
    pub completed_at: DateTime<Utc>,
    pub trigger: ReviewTrigger,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_detail: Option<String>,
    pub with_senior_leader: bool,
    pub with_dsl: bool,
    pub with_it_provider: bool,
    pub with_governor: bool,
    pub roles_rating: Rating,
    pub annual_review_rating: Rating,
    pub filtering_rating: Rating,
    pub monitoring_rating: Rating,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponsibilityAssigned {
    pub responsibility: Responsibility,
    pub person_ref: String,
    pub assigned_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingCompleted {
    pub person_ref: String,
    pub role: TraineeRole,
    pub topic: TrainingTopic,
    pub completed_at: DateTime<Utc>,
}
