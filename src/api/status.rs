//! `ReadinessChecklist.status`: per-item results, summary, decision, conditions and history.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::{AdmissionStatus, ExpiringWaiver, Severity};

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessChecklistStatus {
    #[serde(default)]
    pub decision: Decision,
    pub observed_generation: Option<i64>,
    pub last_evaluation_time: Option<Time>,
    #[serde(default)]
    pub summary: Summary,
    /// `passed/total`, for the printer column.
    pub progress: Option<String>,
    /// Critical items not Passed/Waived, sorted.
    #[serde(default)]
    pub blocking: Vec<String>,
    /// `blocking.len()`, for the printer column.
    #[serde(default)]
    pub blocking_count: u32,
    #[serde(default)]
    pub items: Vec<ItemStatus>,
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// The last 10 decision changes, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
    /// What the gate's windows and soak time mean for admission (only with a gate that sets
    /// them).
    pub admission: Option<AdmissionStatus>,
    /// Waivers that count but expire within the controller's lead time, soonest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expiring_waivers: Vec<ExpiringWaiver>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Decision {
    Go,
    NoGo,
    #[default]
    Unknown,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Go => "Go",
            Decision::NoGo => "NoGo",
            Decision::Unknown => "Unknown",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub enum ItemState {
    Passed,
    Failed,
    Pending,
    Error,
    Skipped,
    Waived,
}

impl ItemState {
    /// Every state, in the order reports list them.
    pub const ALL: [ItemState; 6] = [
        ItemState::Passed,
        ItemState::Failed,
        ItemState::Pending,
        ItemState::Error,
        ItemState::Skipped,
        ItemState::Waived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Passed => "Passed",
            ItemState::Failed => "Failed",
            ItemState::Pending => "Pending",
            ItemState::Error => "Error",
            ItemState::Skipped => "Skipped",
            ItemState::Waived => "Waived",
        }
    }

    /// Passed and Waived both satisfy an item.
    pub fn is_satisfied(self) -> bool {
        matches!(self, ItemState::Passed | ItemState::Waived)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub total: u32,
    pub passed: u32,
    pub failed: u32,
    pub pending: u32,
    pub error: u32,
    pub skipped: u32,
    pub waived: u32,
}

#[skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemStatus {
    pub name: String,
    pub state: ItemState,
    pub severity: Severity,
    #[serde(default)]
    pub message: String,
    /// When `state` last changed.
    pub last_transition_time: Option<Time>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub decision: Decision,
    pub time: Time,
    pub generation: Option<i64>,
}
