//! The view of a PodDisruptionBudget: what the `workload` check's `podDisruptionBudget` rule
//! reads.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::de::{is_default, lenient, nullable, scalar};
use super::shape::string_map;

/// Written (for the live cache's projection) with every empty field left out, and read back
/// the same: `from_value(to_value(view)) == view`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PdbView {
    /// `policy/v1beta1` gives an empty selector the opposite meaning.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub metadata: PdbMetadata,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub spec: PdbSpec,
}

view_of!(PdbView: PodDisruptionBudget);

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct PdbMetadata {
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, deserialize_with = "string_map", skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PdbSpec {
    /// As written (a count or a percentage; anything else is reported as invalid).
    #[serde(default, deserialize_with = "scalar", skip_serializing_if = "Option::is_none")]
    pub min_available: Option<Value>,
    #[serde(default, deserialize_with = "scalar", skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<Value>,
    /// `None` when absent or not a selector the API server would accept.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::inventory::view::from_value;
    use crate::inventory::view::meta::round_trip::{assert_round_trips, corpus_objects};

    fn pdb(api_version: &str, spec: Value) -> Value {
        json!({"apiVersion": api_version, "kind": "PodDisruptionBudget",
               "metadata": {"name": "api", "namespace": "shop", "labels": {"app": "api"}, "uid": "u-1"},
               "spec": spec, "status": {"currentHealthy": 3}})
    }

    #[test]
    fn writes_back_to_itself_keeping_what_was_written() {
        let legacy_everything = pdb("policy/v1beta1", json!({"selector": {}, "maxUnavailable": "25%"}));
        let view: PdbView = from_value(&legacy_everything, || "poddisruptionbudget/api".into()).expect("reads");
        let written = serde_json::to_value(&view).expect("writes");
        assert_eq!(
            written,
            json!({"apiVersion": "policy/v1beta1", "metadata": {"name": "api", "labels": {"app": "api"}},
                   "spec": {"maxUnavailable": "25%", "selector": {}}})
        );
        for object in [
            legacy_everything,
            pdb(
                "policy/v1",
                json!({"minAvailable": 2, "selector": {"matchLabels": {"app": "api"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}}),
            ),
            pdb("policy/v1", json!({"minAvailable": "150%", "selector": "not a selector"})),
            pdb("policy/v1", json!(null)),
        ] {
            assert_round_trips::<PdbView>(&object);
        }
        for object in corpus_objects("PodDisruptionBudget").unwrap_or_default() {
            assert_round_trips::<PdbView>(&object);
        }
    }
}
