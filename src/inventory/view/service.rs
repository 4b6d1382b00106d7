//! The view of a Service: what the `service` check reads (how the Service is reachable from
//! outside, its ports, and the selector that resolves a named `targetPort`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::de::lenient;
use super::meta::{Meta, is_default};
use super::shape::{mapping, mappings, string_map};

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ServiceView {
    #[serde(default, deserialize_with = "mapping", skip_serializing_if = "is_default")]
    pub metadata: Meta,
    #[serde(default, deserialize_with = "mapping", skip_serializing_if = "is_default")]
    pub spec: ServiceSpec,
}

view_of!(ServiceView: Service);

impl ServiceView {
    /// `spec.type`, defaulted as the API server does (`ClusterIP`).
    pub fn service_type(&self) -> &str {
        self.spec.service_type.as_deref().unwrap_or("ClusterIP")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(rename = "type", default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// Whether any is listed is what counts (each routes to the nodes), so an entry of another
    /// type is kept, as its JSON text, rather than dropped.
    #[serde(rename = "externalIPs", default, deserialize_with = "entries", skip_serializing_if = "Vec::is_empty")]
    pub external_ips: Vec<String>,
    /// `spec.selector`: a plain equality map over the pods' labels.
    #[serde(default, deserialize_with = "string_map", skip_serializing_if = "BTreeMap::is_empty")]
    pub selector: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "mappings", skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ServicePort>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    /// A number, or the name of a container port; `None` when absent (it is then `port`) or
    /// neither (a number out of range, a fraction), which resolves to nothing.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub target_port: Option<IntOrString>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

impl ServicePort {
    /// `protocol`, defaulted as the API server does (`TCP`).
    pub fn protocol(&self) -> &str {
        self.protocol.as_deref().unwrap_or("TCP")
    }
}

/// Every element of a list, strings as they are and anything else as its JSON text; anything
/// but a list reads as empty.
fn entries<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let entries = match Value::deserialize(deserializer)? {
        Value::Array(entries) => entries,
        _ => return Ok(Vec::new()),
    };
    Ok(entries
        .into_iter()
        .map(|entry| match entry {
            Value::String(s) => s,
            other => other.to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::inventory::view::meta::round_trip::{assert_round_trips, corpus_views};

    fn load_balancer() -> Value {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "db", "namespace": "shop", "labels": {"tier": "db"},
                            "annotations": {"a": "b"}},
               "spec": {"type": "LoadBalancer", "selector": {"app": "db"}, "clusterIP": "10.0.0.7",
                        "externalIPs": ["203.0.113.7"],
                        "ports": [{"name": "pg", "port": 5432, "targetPort": "pg", "protocol": "TCP"},
                                  {"port": 80, "targetPort": 8080}, {"port": 53, "protocol": "UDP"}]}})
    }

    #[test]
    fn reads_what_the_service_check_reads() {
        let view: ServiceView = assert_round_trips(&load_balancer());
        assert_eq!(view.reference(), "service/db");
        assert_eq!(view.service_type(), "LoadBalancer");
        assert_eq!(view.spec.external_ips, ["203.0.113.7"]);
        assert_eq!(view.spec.selector, BTreeMap::from([("app".to_owned(), "db".to_owned())]));
        let ports: Vec<_> =
            view.spec.ports.iter().map(|p| (p.port, p.target_port.clone(), p.protocol().to_owned())).collect();
        assert_eq!(
            ports,
            [
                (Some(5432), Some(IntOrString::String("pg".into())), "TCP".to_owned()),
                (Some(80), Some(IntOrString::Int(8080)), "TCP".to_owned()),
                (Some(53), None, "UDP".to_owned()),
            ]
        );
        let serialized = serde_json::to_value(&view).expect("serializes");
        assert!(
            serialized.pointer("/spec/clusterIP").is_none() && serialized.pointer("/metadata/annotations").is_none()
        );
    }

    #[test]
    fn a_bare_service_is_a_cluster_ip_one_without_ports() {
        let view: ServiceView = assert_round_trips(&json!({"apiVersion": "v1", "kind": "Service",
                                                            "metadata": {"name": "db"}}));
        assert_eq!((view.service_type(), view.spec.ports.len()), ("ClusterIP", 0));
    }

    #[test]
    fn malformed_fields_read_as_the_json_pointer_reads_did() {
        let view: ServiceView = assert_round_trips(&json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "db", "labels": "tier=db"},
            "spec": {"type": 3, "externalIPs": [7], "selector": ["app"],
                     "ports": ["5432", {"port": "5432", "targetPort": 70000.5, "protocol": 6}]}}));
        assert!(view.metadata.labels.is_empty() && view.spec.selector.is_empty());
        assert_eq!(view.service_type(), "ClusterIP");
        // Any entry routes traffic to the nodes, whatever its type: the Service stays exposed.
        assert_eq!(view.spec.external_ips, ["7"]);
        assert_eq!(view.spec.ports, [ServicePort::default(), ServicePort::default()]);
        let spec_not_a_mapping: ServiceView = assert_round_trips(&json!({"apiVersion": "v1", "kind": "Service",
                                                                          "metadata": {"name": "db"}, "spec": "x"}));
        assert_eq!(spec_not_a_mapping.spec, ServiceSpec::default());
    }

    #[test]
    fn every_service_of_the_corpus_round_trips() {
        corpus_views::<ServiceView>("Service", 51);
    }
}
