//! The view of a ResourceQuota: what the `resourceQuota` check reads, `spec.hard` and the
//! quota controller's `status.hard` and `status.used`.
//!
//! Amounts stay as written (a string or a number, or whatever else a manifest holds): the check
//! parses each one it compares and reports one it cannot read, naming the resource and showing
//! the text, so reading them into quantities here would lose what those messages show.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::de::{lenient, nullable};
use super::meta::{Meta, is_default};

/// Resource name to amount, as written (`requests.cpu: "4"`, `pods: 10`).
pub type Amounts = Map<String, Value>;

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct ResourceQuotaView {
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub metadata: Meta,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub spec: QuotaSpec,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub status: QuotaStatus,
}

view_of!(ResourceQuotaView: ResourceQuota);

impl ResourceQuotaView {
    /// The enforced limit of `resource`: `status.hard`, which the quota controller enforces,
    /// else `spec.hard`, which may be newer than the controller has seen.
    pub fn hard(&self, resource: &str) -> Option<&Value> {
        self.status.hard.get(resource).or_else(|| self.spec.hard.get(resource))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct QuotaSpec {
    /// Empty when absent or not a mapping.
    #[serde(default, deserialize_with = "mapping", skip_serializing_if = "Map::is_empty")]
    pub hard: Amounts,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct QuotaStatus {
    #[serde(default, deserialize_with = "mapping", skip_serializing_if = "Map::is_empty")]
    pub hard: Amounts,
    /// `None` when the quota reports no usage (offline manifests, or a quota the controller has
    /// not seen yet); `Some` of an empty mapping is a usage of nothing, which is judged.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub used: Option<Amounts>,
}

/// A mapping of amounts; anything else (null, a list, a string) reads as empty, as the JSON
/// pointer lookups it replaces found nothing in it.
fn mapping<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Amounts, D::Error> {
    Ok(lenient::<D, Amounts>(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::inventory::view::meta::round_trip::{assert_round_trips, corpus_views};

    fn quota(spec: Value, status: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute"},
               "spec": spec, "status": status})
    }

    #[test]
    fn reads_hard_limits_and_usage_as_written() {
        let view: ResourceQuotaView = assert_round_trips(&quota(
            json!({"hard": {"requests.cpu": "4", "pods": 10, "limits.cpu": null},
                   "scopes": ["NotTerminating"]}),
            json!({"hard": {"requests.cpu": "3"}, "used": {"requests.cpu": "1500m", "pods": 9}}),
        ));
        assert_eq!(view.reference(), "resourcequota/compute");
        assert_eq!(view.hard("requests.cpu"), Some(&json!("3")), "status.hard first");
        assert_eq!(view.hard("pods"), Some(&json!(10)), "then spec.hard");
        assert_eq!(view.hard("limits.cpu"), Some(&Value::Null), "a key set to null is still set");
        assert_eq!(view.hard("memory"), None);
        let used = view.status.used.as_ref().expect("usage reported");
        assert_eq!(used.get("requests.cpu"), Some(&json!("1500m")));
    }

    #[test]
    fn tells_no_usage_from_a_usage_of_nothing() {
        let view: ResourceQuotaView = assert_round_trips(&quota(json!({"hard": {"pods": "4"}}), json!({"used": {}})));
        assert_eq!(view.status.used, Some(Map::new()));
        let view: ResourceQuotaView = assert_round_trips(&quota(json!({"hard": {"pods": "4"}}), json!({})));
        assert_eq!(view.status.used, None);
    }

    #[test]
    fn amounts_that_are_not_mappings_read_as_none() {
        let view: ResourceQuotaView =
            assert_round_trips(&quota(json!({"hard": ["pods"]}), json!({"hard": "4", "used": 3})));
        assert_eq!(view.spec, QuotaSpec::default());
        assert_eq!(view.status, QuotaStatus::default());
    }

    #[test]
    fn corpus_quotas_round_trip() {
        for (object, view) in corpus_views::<ResourceQuotaView>("ResourceQuota", 2) {
            assert!(!view.spec.hard.is_empty(), "{object}");
        }
    }
}
