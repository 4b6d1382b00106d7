//! `ReadinessSignoff`: a person's approval (or waiver) of one checklist item.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

#[skip_serializing_none]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, KubeSchema)]
#[kube(
    group = "readygate.io",
    version = "v1alpha1",
    kind = "ReadinessSignoff",
    namespaced,
    shortname = "rso",
    category = "readygate",
    printcolumn = r#"{"name":"Checklist","type":"string","jsonPath":".spec.checklist"}"#,
    printcolumn = r#"{"name":"Item","type":"string","jsonPath":".spec.item"}"#,
    printcolumn = r#"{"name":"Action","type":"string","jsonPath":".spec.action"}"#,
    printcolumn = r#"{"name":"Signer","type":"string","jsonPath":".spec.signer.username"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    doc = "A sign-off of one ReadinessChecklist item by the person who created it"
)]
// Every string and list below is bounded so the API server's cost estimate of this rule stays
// small: equality walks the whole spec.
#[x_kube(validation = Rule::new("self == oldSelf").message("spec is immutable; delete and create anew"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct ReadinessSignoffSpec {
    #[schemars(length(min = 1, max = 253))]
    pub checklist: String,
    #[schemars(length(min = 1, max = 63))]
    pub item: String,
    pub action: SignoffAction,
    /// Must equal the checklist's `spec.release`.
    #[schemars(length(max = 256))]
    pub release: Option<String>,
    #[schemars(length(min = 1, max = 1024))]
    pub reason: String,
    pub expires_at: Option<Time>,
    /// A ticket or change reference (`CHG-1234`); items whose `waiver.requireTicket` is set
    /// count only waivers that carry one.
    #[schemars(length(min = 1, max = 256))]
    pub ticket: Option<String>,
    /// Must equal the identity of the user who creates the object.
    pub signer: Signer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SignoffAction {
    /// Approve a manual item.
    Approve,
    /// Waive a failing item.
    Waive,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Signer {
    #[schemars(length(min = 1, max = 512))]
    pub username: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1024), inner(length(max = 512)))]
    pub groups: Vec<String>,
}
