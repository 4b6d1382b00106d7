//! Shapes shared by many checks: ranges, targets, principals, severities.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// An inclusive integer range; an absent bound is open.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("!has(self.atLeast) || !has(self.atMost) || self.atLeast <= self.atMost")
    .message("atLeast must not be greater than atMost"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct IntRange {
    pub at_least: Option<i64>,
    pub at_most: Option<i64>,
}

impl IntRange {
    pub fn contains(&self, value: i64) -> bool {
        self.at_least.is_none_or(|min| value >= min) && self.at_most.is_none_or(|max| value <= max)
    }

    /// `3..10`, `>= 3`, `<= 10` or `any`: how reports describe the expectation.
    pub fn describe(&self) -> String {
        match (self.at_least, self.at_most) {
            (Some(a), Some(b)) if a == b => format!("= {a}"),
            (Some(a), Some(b)) => format!("{a}..{b}"),
            (Some(a), None) => format!(">= {a}"),
            (None, Some(b)) => format!("<= {b}"),
            (None, None) => "any".to_owned(),
        }
    }
}

/// Which objects an item judges: a kind plus either one name or a label selector.
/// The namespace is always the checklist's own (cluster-scoped kinds have none).
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("!has(self.name) || !has(self.selector)").message("give either name or selector, not both"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// Kind of the target, e.g. `Deployment`. Some checks accept it empty and then look at
    /// every kind they understand.
    #[schemars(length(max = 63))]
    pub kind: Option<String>,
    #[schemars(length(max = 253))]
    pub name: Option<String>,
    pub selector: Option<LabelSelector>,
}

/// Who may do something: users by name, or members of groups.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Principals {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

impl Principals {
    /// True when `username` is listed or belongs to a listed group.
    pub fn admits(&self, username: &str, groups: &[String]) -> bool {
        self.users.iter().any(|u| u == username) || self.groups.iter().any(|g| groups.contains(g))
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }
}

/// How much an item matters to the decision. Only Critical items decide Go/NoGo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Severity {
    Critical,
    #[default]
    High,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "Critical",
            Severity::High => "High",
            Severity::Low => "Low",
        }
    }
}
