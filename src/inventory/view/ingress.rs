//! The view of an Ingress: what the `ingress` check reads (the hosts its rules route, its
//! default backend, the hosts its TLS entries cover, and its annotations).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::de::{Presence, lenient, nullable};
use super::meta::is_default;
use super::shape::{is_absent, mapping, mappings, present_as_mapping, string_map, strings};
use crate::inventory::whole::LAST_APPLIED;

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct IngressView {
    #[serde(default, deserialize_with = "mapping", skip_serializing_if = "is_default")]
    pub metadata: IngressMeta,
    #[serde(default, deserialize_with = "mapping", skip_serializing_if = "is_default")]
    pub spec: IngressSpec,
}

view_of!(IngressView: Ingress);

impl IngressView {
    /// Whether a default backend takes every request no rule matches: `spec.defaultBackend`,
    /// or `spec.backend` as Ingresses before networking.k8s.io/v1 spell it.
    pub fn has_default_backend(&self) -> bool {
        self.spec.default_backend.0 || self.spec.backend.0
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct IngressMeta {
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, deserialize_with = "string_map", skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// String values only, without the last-applied annotation (a copy of the whole object
    /// that no requirement judges; the live projection never kept it either).
    #[serde(default, deserialize_with = "annotations", skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressSpec {
    #[serde(default, deserialize_with = "mappings", skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<IngressRule>,
    #[serde(default, skip_serializing_if = "is_absent", serialize_with = "present_as_mapping")]
    pub default_backend: Presence,
    #[serde(default, skip_serializing_if = "is_absent", serialize_with = "present_as_mapping")]
    pub backend: Presence,
    #[serde(default, deserialize_with = "mappings", skip_serializing_if = "Vec::is_empty")]
    pub tls: Vec<IngressTls>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct IngressRule {
    /// `None` (or empty): the rule applies to all traffic.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct IngressTls {
    #[serde(default, deserialize_with = "strings", skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
}

fn annotations<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error> {
    let mut annotations = string_map(deserializer)?;
    annotations.remove(LAST_APPLIED);
    Ok(annotations)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::inventory::view::meta::round_trip::{assert_round_trips, corpus_views};

    fn ingress() -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                            "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt",
                                            LAST_APPLIED: "{\"kind\":\"Ingress\"}"}},
               "spec": {"ingressClassName": "nginx",
                        "rules": [{"host": "api.novacron.io", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                   "backend": {"service": {"name": "api", "port": {"number": 80}}}}]}},
                                  {"http": {"paths": []}}],
                        "tls": [{"hosts": ["api.novacron.io", "*.novacron.io"], "secretName": "web-tls"}]}})
    }

    #[test]
    fn reads_what_the_ingress_check_reads() {
        let view: IngressView = assert_round_trips(&ingress());
        assert_eq!(view.reference(), "ingress/web");
        let hosts: Vec<Option<&str>> = view.spec.rules.iter().map(|r| r.host.as_deref()).collect();
        assert_eq!(hosts, [Some("api.novacron.io"), None]);
        assert_eq!(view.spec.tls[0].hosts, ["api.novacron.io", "*.novacron.io"]);
        assert!(!view.has_default_backend());
        assert_eq!(
            view.metadata.annotations,
            BTreeMap::from([("cert-manager.io/cluster-issuer".to_owned(), "letsencrypt".to_owned())]),
            "the last-applied copy is dropped"
        );
    }

    #[test]
    fn either_spelling_of_the_default_backend_counts() {
        for field in ["defaultBackend", "backend"] {
            let mut object = ingress();
            object["spec"][field] = json!({"service": {"name": "web", "port": {"number": 80}}});
            let view: IngressView = assert_round_trips(&object);
            assert!(view.has_default_backend(), "{field}");
            object["spec"][field] = json!("web");
            assert!(!assert_round_trips::<IngressView>(&object).has_default_backend(), "{field} not a mapping");
        }
    }

    #[test]
    fn malformed_fields_read_as_the_json_pointer_reads_did() {
        let view: IngressView = assert_round_trips(&json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "web", "annotations": {"team": 7, "tier": "web"}},
            "spec": {"rules": ["api.novacron.io", {"host": 7}], "tls": [{"hosts": "api.novacron.io"}, "x",
                                                                         {"hosts": [1, "a.novacron.io"]}]}}));
        assert_eq!(view.metadata.annotations, BTreeMap::from([("tier".to_owned(), "web".to_owned())]));
        // A rule that is not a mapping, or whose host is not a string, names no host: it
        // applies to all traffic, as `rule.get("host")` found none before.
        assert_eq!(view.spec.rules, [IngressRule::default(), IngressRule::default()]);
        let tls: Vec<&[String]> = view.spec.tls.iter().map(|t| t.hosts.as_slice()).collect();
        assert_eq!(tls, [&[][..], &[][..], &["a.novacron.io".to_owned()][..]]);
    }

    #[test]
    fn every_ingress_of_the_corpus_round_trips() {
        corpus_views::<IngressView>("Ingress", 6);
    }
}
