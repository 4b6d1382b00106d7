//! The view of a NetworkPolicy: what the `networkPolicy` check reads (the pods it selects, the
//! directions it names, and of each rule its peers' shape and its ports), as written; the API
//! server's defaulting is the check's (`checks::network_policy::policy`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::de::{Presence, lenient, nullable};
use super::meta::{Meta, is_default};
use super::shape::{
    is_absent, list_of_mappings, mapping, mappings, optional_mapping, present_as_mapping, strict_mapping, strings,
};

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct NetworkPolicyView {
    #[serde(default, deserialize_with = "mapping", skip_serializing_if = "is_default")]
    pub metadata: Meta,
    /// Read strictly, as are `policyTypes`, `ingress` and `egress`: read leniently, a value of
    /// the wrong shape would be a policy without rules, that is a default deny selecting every
    /// pod, where the API server would refuse the object. The check reports it instead (the view
    /// is then an error naming the field). Absent or null reads as the empty spec.
    #[serde(default, deserialize_with = "strict_mapping", skip_serializing_if = "is_default")]
    pub spec: NetworkPolicySpec,
}

view_of!(NetworkPolicyView: NetworkPolicy);

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    /// Read strictly, unlike the other fields: a selector of the wrong shape is an object the
    /// API server would reject, which the check reports rather than judge either way (the view
    /// is then an error naming the field). Absent or null is the empty selector (every pod), as
    /// Go's zero value is.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub pod_selector: LabelSelector,
    /// Strictly a list of strings (null: absent): `policyTypes: [1]` read as `[]` would default
    /// to governing Ingress.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub policy_types: Vec<String>,
    /// Strictly lists (null: absent, as no rules); a rule that is not a mapping still reads as
    /// the rule `{}`, which allows everything, so it never passes for a deny.
    #[serde(default, deserialize_with = "list_of_mappings", skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<IngressRule>,
    #[serde(default, deserialize_with = "list_of_mappings", skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<EgressRule>,
}

/// One ingress rule: the sources (`from`) and ports it admits. Empty lists mean every source
/// and every port (the check's reading).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct IngressRule {
    #[serde(default, deserialize_with = "mappings", skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<Peer>,
    #[serde(default, deserialize_with = "mappings", skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PolicyPort>,
}

/// One egress rule: the destinations (`to`) and ports it admits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct EgressRule {
    #[serde(default, deserialize_with = "mappings", skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<Peer>,
    #[serde(default, deserialize_with = "mappings", skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PolicyPort>,
}

/// One `from`/`to` entry. Which pods or namespaces a selector names is never judged, only
/// whether the peer is one (in the cluster) or an `ipBlock` (possibly outside it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    #[serde(default, skip_serializing_if = "is_absent", serialize_with = "present_as_mapping")]
    pub pod_selector: Presence,
    #[serde(default, skip_serializing_if = "is_absent", serialize_with = "present_as_mapping")]
    pub namespace_selector: Presence,
    /// `None` unless a mapping.
    #[serde(default, deserialize_with = "optional_mapping", skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct IpBlock {
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    #[serde(default, deserialize_with = "strings", skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
}

/// One entry of a rule's `ports`, as written: `None` fields are absent (or unusable).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyPort {
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, deserialize_with = "port_ref", skip_serializing_if = "Option::is_none")]
    pub port: Option<PortRef>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub end_port: Option<i64>,
}

/// A port by number or by the name of a container port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortRef {
    Number(i64),
    Name(String),
}

impl Serialize for PortRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            PortRef::Number(n) => serializer.serialize_i64(*n),
            PortRef::Name(name) => serializer.serialize_str(name),
        }
    }
}

/// A number (an integer: a fraction is no port), or a string: a name, or a quoted number. The
/// API server would reject `port: "80"` (a port name needs a letter); manifests that quote
/// numbers mean the number. Anything else is no port.
fn port_ref<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<PortRef>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(n) => n.as_i64().map(PortRef::Number),
        Value::String(s) => Some(s.parse::<i64>().map_or(PortRef::Name(s), PortRef::Number)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::inventory::view::from_value;
    use crate::inventory::view::meta::round_trip::{assert_round_trips, corpus_views};

    fn policy(spec: Value) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "pg", "namespace": "shop"}, "spec": spec})
    }

    #[test]
    fn reads_what_the_network_policy_check_reads() {
        let view: NetworkPolicyView = assert_round_trips(&policy(json!({
            "podSelector": {"matchLabels": {"app": "postgres"}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}},
                                  {"namespaceSelector": {}, "podSelector": {}},
                                  {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                         "ports": [{"port": 5432}, {"port": "pg", "protocol": "TCP"}, {"port": 5000, "endPort": 6000}]}],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "UDP", "port": 53}]}]
        })));
        assert_eq!(view.reference(), "networkpolicy/pg");
        let spec = &view.spec;
        assert_eq!(
            spec.pod_selector.match_labels.as_ref().and_then(|l| l.get("app")).map(String::as_str),
            Some("postgres")
        );
        assert_eq!(spec.policy_types, ["Ingress", "Egress"]);
        let from = &spec.ingress[0].from;
        assert_eq!((from[0].pod_selector, from[0].namespace_selector), (Presence(true), Presence(false)));
        assert_eq!((from[1].pod_selector, from[1].namespace_selector), (Presence(true), Presence(true)));
        assert_eq!(
            from[2].ip_block,
            Some(IpBlock { cidr: Some("10.0.0.0/8".into()), except: vec!["10.1.0.0/16".into()] })
        );
        let ports: Vec<_> = spec.ingress[0].ports.iter().map(|p| (p.port.clone(), p.end_port)).collect();
        assert_eq!(
            ports,
            [
                (Some(PortRef::Number(5432)), None),
                (Some(PortRef::Name("pg".into())), None),
                (Some(PortRef::Number(5000)), Some(6000))
            ]
        );
        assert_eq!(spec.egress[0].to[0].ip_block.as_ref().and_then(|b| b.cidr.as_deref()), Some("0.0.0.0/0"));
        assert_eq!(spec.egress[0].ports[0].protocol.as_deref(), Some("UDP"));
    }

    #[test]
    fn empty_and_absent_read_alike_where_the_api_gives_them_one_meaning() {
        let bare: NetworkPolicyView = assert_round_trips(&policy(json!({"podSelector": {}})));
        let null_labels: NetworkPolicyView = assert_round_trips(&policy(json!({"podSelector": {"matchLabels": null},
                                                                                "policyTypes": [], "ingress": []})));
        assert_eq!(bare, null_labels);
        let no_spec: NetworkPolicyView = assert_round_trips(&json!({"apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy", "metadata": {"name": "pg"}}));
        assert_eq!(no_spec.spec, bare.spec);
        // An empty rule is kept: it allows everything, unlike no rule at all.
        let allow_all: NetworkPolicyView = assert_round_trips(&policy(json!({"podSelector": {}, "ingress": [{}]})));
        assert_eq!(allow_all.spec.ingress, [IngressRule::default()]);
        // As is an empty ipBlock, an outside source without a CIDR.
        let block: NetworkPolicyView = assert_round_trips(&policy(json!({"ingress": [{"from": [{"ipBlock": {}}]}]})));
        assert_eq!(block.spec.ingress[0].from[0].ip_block, Some(IpBlock::default()));
    }

    #[test]
    fn malformed_fields_within_a_rule_read_as_the_json_pointer_reads_did() {
        let view: NetworkPolicyView = assert_round_trips(&policy(json!({
            "ingress": ["x", {"from": "everyone", "ports": [80, {"port": 80.5}, {"port": true, "endPort": "90"}]},
                       {"from": [{"podSelector": "app=api", "ipBlock": "0.0.0.0/0"}, {"ipBlock": {"cidr": 10, "except": "x"}}]}]
        })));
        // A rule that is not a mapping names no peers and no ports: it allows everything, as
        // `rule.get("from")` and `rule.get("ports")` found nothing before.
        assert_eq!(view.spec.ingress[0], IngressRule::default());
        assert!(view.spec.ingress[1].from.is_empty());
        assert_eq!(view.spec.ingress[1].ports, [PolicyPort::default(), PolicyPort::default(), PolicyPort::default()]);
        assert_eq!(
            view.spec.ingress[2].from,
            [Peer::default(), Peer { ip_block: Some(IpBlock::default()), ..Peer::default() }]
        );
        let quoted: NetworkPolicyView =
            assert_round_trips(&policy(json!({"ingress": [{"ports": [{"port": "5432"}]}]})));
        assert_eq!(quoted.spec.ingress[0].ports[0].port, Some(PortRef::Number(5432)));
    }

    #[test]
    fn a_pod_selector_of_the_wrong_shape_is_an_error_naming_the_field() {
        for selector in [json!("app=api"), json!({"matchLabels": {"app": 1}}), json!({"matchLabels": ["app"]})] {
            let error = from_value::<NetworkPolicyView>(&policy(json!({"podSelector": selector})), || {
                "networkpolicy/pg".to_owned()
            })
            .expect_err("not a label selector");
            assert_eq!(error.object, "networkpolicy/pg");
            assert!(error.path.starts_with("spec.podSelector"), "{}", error.path);
        }
    }

    /// Read as absent, any of these would make the policy one without rules, i.e. a default
    /// deny, where the API server refuses to store the object at all.
    #[test]
    fn a_spec_rule_list_or_policy_types_of_the_wrong_shape_is_an_error_naming_the_field() {
        let cases = [
            (json!("x"), "spec"),
            (json!([{"podSelector": {}}]), "spec"),
            (json!({"podSelector": {}, "ingress": "x"}), "spec.ingress"),
            (json!({"podSelector": {}, "ingress": {"from": []}}), "spec.ingress"),
            (json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": "x"}), "spec.egress"),
            (json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": {"to": []}}), "spec.egress"),
            (json!({"podSelector": {}, "policyTypes": "Ingress"}), "spec.policyTypes"),
            (json!({"podSelector": {}, "policyTypes": [1]}), "spec.policyTypes[0]"),
        ];
        for (spec, field) in cases {
            let error = from_value::<NetworkPolicyView>(&policy(spec.clone()), || "networkpolicy/bad".to_owned())
                .expect_err("the API server would reject this policy");
            assert_eq!((error.object.as_str(), error.path.as_str()), ("networkpolicy/bad", field), "{spec}");
            assert!(error.message.starts_with("invalid type"), "{spec}: {}", error.message);
        }
    }

    #[test]
    fn a_null_spec_rule_list_or_policy_types_is_absent() {
        let bare: NetworkPolicyView = assert_round_trips(&policy(json!({})));
        let nulls: NetworkPolicyView =
            assert_round_trips(&policy(json!({"policyTypes": null, "ingress": null, "egress": null})));
        let null_spec: NetworkPolicyView = assert_round_trips(&policy(Value::Null));
        assert_eq!((&nulls, &null_spec), (&bare, &bare));
    }

    #[test]
    fn every_network_policy_of_the_corpus_round_trips() {
        corpus_views::<NetworkPolicyView>("NetworkPolicy", 41);
    }
}
