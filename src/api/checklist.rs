//! `ReadinessChecklist`: the items a release must satisfy, and the gate it drives.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::{Check, Duration, Principals, ReadinessChecklistStatus, Severity, TimeWindow, WaiverPolicy};

#[skip_serializing_none]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, KubeSchema)]
#[kube(
    group = "readygate.io",
    version = "v1alpha1",
    kind = "ReadinessChecklist",
    namespaced,
    status = "ReadinessChecklistStatus",
    shortname = "rcl",
    category = "readygate",
    printcolumn = r#"{"name":"Decision","type":"string","jsonPath":".status.decision"}"#,
    printcolumn = r#"{"name":"Passed","type":"string","jsonPath":".status.progress"}"#,
    printcolumn = r#"{"name":"Blocking","type":"integer","jsonPath":".status.blockingCount"}"#,
    printcolumn = r#"{"name":"Wired","type":"string","description":"Whether the workloads webhook receives this gate's namespace (condition GateWired)","jsonPath":".status.conditions[?(@.type==\"GateWired\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    doc = "A production-readiness checklist whose items readygate evaluates continuously",
    // The root is the only place a rule sees the object's own name.
    validation = Rule::new("!self.spec.items.exists(i, has(i.check.checklist) && i.check.checklist.name == self.metadata.name)")
        .message("a checklist cannot require itself (items[].check.checklist.name)")
)]
#[cfg_attr(test, kube(cel))]
#[x_kube(validation = Rule::new("!has(self.gate) || !has(self.gate.bindRelease) || !self.gate.bindRelease || has(self.release)")
    .message("gate.bindRelease needs spec.release: admitted workloads are bound to that release"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct ReadinessChecklistSpec {
    pub description: Option<String>,
    /// Free text naming the release; sign-offs are bound to it.
    #[schemars(length(max = 256))]
    pub release: Option<String>,
    /// Periodic re-evaluation on top of watch-driven evaluation (default 5m).
    pub reevaluate_every: Option<Duration>,
    pub gate: Option<Gate>,
    #[schemars(length(min = 1, max = 256))]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub items: Vec<ChecklistItem>,
}

/// Which workloads the checklist gates, and how.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("!has(self.freezeWindows) || !has(self.allowedWindows) || \
    !self.freezeWindows.exists(f, self.allowedWindows.exists(a, a.name == f.name))")
    .message("window names must be unique across freezeWindows and allowedWindows"))]
#[x_kube(validation = Rule::new("!has(self.minGoDuration) || self.minGoDuration.matches('[1-9]')")
    .message("minGoDuration must be positive"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct Gate {
    /// Deployments whose labels match are gated by this checklist.
    pub selector: LabelSelector,
    #[serde(default)]
    pub enforcement: Enforcement,
    /// An evaluation older than this counts as Unknown (default 10m).
    pub max_staleness: Option<Duration>,
    /// Members of these groups may override with the `readygate.io/override` annotation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub override_groups: Vec<String>,
    /// Admitted workloads must carry `app.kubernetes.io/version` equal to `spec.release`.
    #[serde(default)]
    pub bind_release: bool,
    /// Change freezes: while one is open, admission is blocked whatever the decision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub freeze_windows: Vec<TimeWindow>,
    /// When given, admission is possible only while one of these windows is open.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub allowed_windows: Vec<TimeWindow>,
    /// Admission waits until the checklist has been Go without interruption this long.
    #[schemars(length(min = 1, max = 64))]
    pub min_go_duration: Option<Duration>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Enforcement {
    /// Deny admission.
    #[default]
    Enforce,
    /// Allow with a warning.
    Warn,
    /// Allow and record.
    Audit,
}

#[skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, KubeSchema)]
// Approvals are personal (docs/checks.md, `manual`): a waiver would let someone else stand in
// for the approvers.
#[x_kube(validation = Rule::new("!has(self.waivableBy) || !has(self.check.manual)")
    .message("a manual item cannot be waived: approvals are personal (remove waivableBy)"))]
#[x_kube(validation = Rule::new("!has(self.waiver) || has(self.waivableBy)")
    .message("waiver rules need waivableBy: nobody may waive this item"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct ChecklistItem {
    /// DNS-1123 label, unique in the list.
    #[schemars(length(min = 1, max = 63), regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))]
    pub name: String,
    pub title: Option<String>,
    /// Grouping for reports, e.g. `Infrastructure / Compute`.
    pub section: Option<String>,
    #[serde(default)]
    pub severity: Severity,
    /// Who may waive this item when it fails.
    pub waivable_by: Option<Principals>,
    /// What a waiver of this item must carry to count (expiry, ticket).
    pub waiver: Option<WaiverPolicy>,
    /// Exactly one check key.
    pub check: Check,
}

impl ChecklistItem {
    /// The title, or the name when no title was given.
    pub fn display_title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }
}
