//! The view of a HorizontalPodAutoscaler: what the `horizontalPodAutoscaler` check reads.
//!
//! `autoscaling/v1` and `autoscaling/v2` HPAs (and the retired `v2beta1`/`v2beta2`) share one
//! index (see `inventory::kind`), so one struct reads every version. The fields read here,
//! `scaleTargetRef`, `minReplicas` and `maxReplicas`, are written alike in all of them; what
//! differs (v1's `targetCPUUtilizationPercentage`, v2's `metrics` and `behavior`) is never
//! judged, so it is skipped unbuilt.

use serde::{Deserialize, Serialize};

use super::de::{lenient, nullable};
use super::meta::{Meta, is_default};

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct HpaView {
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub metadata: Meta,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub spec: HpaSpec,
}

view_of!(HpaView: HorizontalPodAutoscaler);

impl HpaView {
    /// `hpa/api`, the short name kubectl users know.
    pub fn short_name(&self) -> String {
        format!("hpa/{}", self.metadata.name)
    }

    /// Whether this HPA scales the `kind` named `name`. The API version of the reference is not
    /// compared: the HPA controller resolves the kind through discovery, so `apps/v1` and
    /// `extensions/v1beta1` refs reach the same Deployment.
    pub fn targets(&self, kind: &str, name: &str) -> bool {
        let target = &self.spec.scale_target_ref;
        target.kind.as_deref() == Some(kind) && target.name.as_deref() == Some(name)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HpaSpec {
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub scale_target_ref: ScaleTargetRef,
    /// Unset (or not an integer) means the API default, 1.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<i64>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<i64>,
}

impl HpaSpec {
    /// `minReplicas`, defaulted as the API server does.
    pub fn min_replicas_or_default(&self) -> i64 {
        self.min_replicas.unwrap_or(1)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleTargetRef {
    /// Offline, the group of a custom scale target (an Argo `Rollout`) comes from here.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use crate::inventory::view::View as _;
    use serde_json::{Value, json};

    use super::*;
    use crate::inventory::view::from_value;
    use crate::inventory::view::meta::round_trip::{assert_round_trips, corpus_views};

    fn hpa(api_version: &str, spec: Value) -> Value {
        json!({"apiVersion": api_version, "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": "api", "labels": {"app": "api"}, "managedFields": [{}]}, "spec": spec})
    }

    #[test]
    fn reads_v1_and_v2_alike() {
        let target = json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"});
        let v1 = hpa(
            "autoscaling/v1",
            json!({"scaleTargetRef": target, "minReplicas": 3, "maxReplicas": 10,
                   "targetCPUUtilizationPercentage": 80}),
        );
        let v2 = hpa(
            "autoscaling/v2",
            json!({"scaleTargetRef": target, "minReplicas": 3, "maxReplicas": 10,
                   "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                "target": {"type": "Utilization", "averageUtilization": 80}}}]}),
        );
        let v1: HpaView = assert_round_trips(&v1);
        let v2: HpaView = assert_round_trips(&v2);
        assert_eq!(v1, v2);
        assert!(v1.targets("Deployment", "api") && !v1.targets("StatefulSet", "api"));
        assert_eq!((v1.spec.min_replicas, v1.spec.max_replicas), (Some(3), Some(10)));
        assert_eq!(v1.short_name(), "hpa/api");
        assert_eq!(v1.labels().get("app").map(String::as_str), Some("api"));
    }

    #[test]
    fn scalars_of_the_wrong_type_read_as_unset() {
        let odd = hpa(
            "autoscaling/v2",
            json!({"scaleTargetRef": {"kind": 7, "name": "api"}, "minReplicas": "3", "maxReplicas": 2.5}),
        );
        let view: HpaView = assert_round_trips(&odd);
        assert!(!view.targets("Deployment", "api"));
        assert_eq!((view.spec.min_replicas_or_default(), view.spec.max_replicas), (1, None));
    }

    #[test]
    fn a_spec_that_is_not_a_mapping_names_the_object_and_the_field() {
        let error = from_value::<HpaView>(&hpa("autoscaling/v2", json!({"scaleTargetRef": "api"})), || {
            "horizontalpodautoscaler/api".to_owned()
        })
        .expect_err("scaleTargetRef is a mapping");
        assert_eq!(
            (error.object.as_str(), error.path.as_str()),
            ("horizontalpodautoscaler/api", "spec.scaleTargetRef")
        );
    }

    #[test]
    fn corpus_hpas_round_trip() {
        for (object, view) in corpus_views::<HpaView>("HorizontalPodAutoscaler", 5) {
            assert!(view.spec.scale_target_ref.kind.is_some(), "{object}");
        }
    }
}
