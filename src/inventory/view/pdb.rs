//! The view of a PodDisruptionBudget: what the `workload` check's `podDisruptionBudget` rule
//! reads.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Deserialize;
use serde_json::Value;

use super::View;
use super::de::{labels, lenient, nullable, scalar};
use crate::inventory::kind::CatalogueKind;

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PdbView {
    /// `policy/v1beta1` gives an empty selector the opposite meaning.
    #[serde(default, deserialize_with = "nullable")]
    pub api_version: String,
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: PdbMetadata,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: PdbSpec,
}

impl View for PdbView {
    const KINDS: &'static [CatalogueKind] = &[CatalogueKind::PodDisruptionBudget];

    fn labels(&self) -> &BTreeMap<String, String> {
        &self.metadata.labels
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PdbMetadata {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "labels")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PdbSpec {
    /// As written (a count or a percentage; anything else is reported as invalid).
    #[serde(default, deserialize_with = "scalar")]
    pub min_available: Option<Value>,
    #[serde(default, deserialize_with = "scalar")]
    pub max_unavailable: Option<Value>,
    /// `None` when absent or not a selector the API server would accept.
    #[serde(default, deserialize_with = "lenient")]
    pub selector: Option<LabelSelector>,
}
