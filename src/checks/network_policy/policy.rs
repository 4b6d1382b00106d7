//! A NetworkPolicy as the API server defaults it: which directions it governs, which pods it
//! selects, and its rules (ports and peers).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::Value;

use crate::inventory::{Object, selector};

/// Traffic direction, relative to the selected pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// The `spec` key holding this direction's rules.
    fn rules_key(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The rule key holding this direction's peers.
    fn peers_key(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }

    /// `ingress`: for messages, as the field is spelled.
    pub(super) fn field(self) -> &'static str {
        self.rules_key()
    }

    /// `Ingress`: as `policyTypes` spells it.
    pub(super) fn policy_type(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

/// One NetworkPolicy, parsed once per evaluation.
#[derive(Clone, Debug)]
pub(super) struct Policy {
    pub name: String,
    pub pod_selector: LabelSelector,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
    governs_ingress: bool,
    governs_egress: bool,
}

impl Policy {
    /// Reads a NetworkPolicy. An unusable `podSelector` is an error: the API server would have
    /// rejected the object, so judging it either way would be a guess.
    pub fn parse(object: &Object) -> Result<Policy, String> {
        let reference = object.reference();
        let pod_selector = match object.get("/spec/podSelector") {
            // Required by the API; Go's zero value (and `podSelector: {matchLabels: null}` in
            // hand-written YAML) is the empty selector, which selects every pod.
            None | Some(Value::Null) => LabelSelector::default(),
            Some(value) => serde_json::from_value::<LabelSelector>(value.clone())
                .map_err(|e| format!("{reference}: podSelector: {e}"))?,
        };
        selector::validate(&pod_selector).map_err(|e| format!("{reference}: podSelector: {e}"))?;
        let ingress = rules(object, Direction::Ingress);
        let egress = rules(object, Direction::Egress);
        let types: Vec<&str> = object
            .get("/spec/policyTypes")
            .and_then(Value::as_array)
            .map(|types| types.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // The API server's defaulting: without policyTypes a policy always governs Ingress, and
        // Egress only when it has egress rules. An empty list counts as absent.
        let (governs_ingress, governs_egress) = if types.is_empty() {
            (true, !egress.is_empty())
        } else {
            (types.contains(&"Ingress"), types.contains(&"Egress"))
        };
        Ok(Policy { name: object.name.clone(), pod_selector, ingress, egress, governs_ingress, governs_egress })
    }

    pub fn reference(&self) -> String {
        format!("networkpolicy/{}", self.name)
    }

    pub fn governs(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.governs_ingress,
            Direction::Egress => self.governs_egress,
        }
    }

    pub fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// `podSelector: {}`: every pod of the namespace.
    pub fn selects_all_pods(&self) -> bool {
        selector::is_empty(&self.pod_selector)
    }

    /// Whether the policy applies to pods carrying `labels` (its own namespace is implied).
    pub fn selects(&self, labels: &BTreeMap<String, String>) -> bool {
        selector::matches_lenient(&self.pod_selector, labels)
    }

    /// Governs `direction` and allows nothing in it: the default-deny shape.
    pub fn denies_all(&self, direction: Direction) -> bool {
        self.governs(direction) && self.rules(direction).is_empty()
    }
}

fn rules(object: &Object, direction: Direction) -> Vec<Rule> {
    object
        .get(&format!("/spec/{}", direction.rules_key()))
        .and_then(Value::as_array)
        .map(|list| list.iter().map(|rule| Rule::parse(rule, direction)).collect())
        .unwrap_or_default()
}

/// One ingress or egress rule. A missing or empty peer list means every peer, and a missing or
/// empty port list means every port, so the rule `{}` allows all traffic.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Rule {
    /// `None`: all peers.
    pub peers: Option<Vec<Peer>>,
    /// Empty: all ports.
    pub ports: Vec<PortMatch>,
}

impl Rule {
    fn parse(rule: &Value, direction: Direction) -> Rule {
        let peers = rule
            .get(direction.peers_key())
            .and_then(Value::as_array)
            .filter(|list| !list.is_empty())
            .map(|list| list.iter().map(Peer::parse).collect());
        let ports = rule
            .get("ports")
            .and_then(Value::as_array)
            .map(|list| list.iter().map(PortMatch::parse).collect())
            .unwrap_or_default();
        Rule { peers, ports }
    }

    /// The sources of this rule that may lie outside the cluster, described for messages; empty
    /// when every peer is a pod or namespace selector. Any `ipBlock` counts as outside: which
    /// CIDRs are pod or node addresses is cluster configuration the manifests do not hold.
    pub fn outside_sources(&self) -> Vec<String> {
        match &self.peers {
            None => vec!["all sources (the rule has no from)".to_owned()],
            Some(peers) => peers.iter().filter_map(Peer::outside_source).collect(),
        }
    }
}

/// One `from`/`to` entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Peer {
    pub pod_selector: bool,
    pub namespace_selector: bool,
    pub ip_block: Option<IpBlock>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct IpBlock {
    pub cidr: String,
    pub except: Vec<String>,
}

impl Peer {
    fn parse(peer: &Value) -> Peer {
        let ip_block = peer.get("ipBlock").filter(|b| b.is_object()).map(|block| IpBlock {
            cidr: block.get("cidr").and_then(Value::as_str).unwrap_or("<no cidr>").to_owned(),
            except: block
                .get("except")
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
        });
        Peer {
            pod_selector: peer.get("podSelector").is_some_and(Value::is_object),
            namespace_selector: peer.get("namespaceSelector").is_some_and(Value::is_object),
            ip_block,
        }
    }

    fn outside_source(&self) -> Option<String> {
        if let Some(block) = &self.ip_block {
            return Some(if block.except.is_empty() {
                block.cidr.clone()
            } else {
                format!("{} (except {})", block.cidr, block.except.join(", "))
            });
        }
        // The API server rejects a peer that names nothing; offline we cannot know what a
        // network plugin would make of one, so a security check treats it as open.
        (!self.pod_selector && !self.namespace_selector).then(|| "an empty peer {}".to_owned())
    }
}

/// One entry of a rule's `ports`: a protocol (default TCP) and a port number, a number range
/// (`endPort`), a named port, or no port (every port of the protocol).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct PortMatch {
    pub protocol: String,
    pub port: Option<PortRef>,
    pub end_port: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum PortRef {
    Number(i64),
    Name(String),
}

impl PortMatch {
    fn parse(entry: &Value) -> PortMatch {
        let port = match entry.get("port") {
            Some(Value::Number(n)) => n.as_i64().map(PortRef::Number),
            // The API server would reject `port: "80"` (a port name needs a letter); manifests
            // that quote numbers mean the number.
            Some(Value::String(s)) => Some(s.parse::<i64>().map_or_else(|_| PortRef::Name(s.clone()), PortRef::Number)),
            _ => None,
        };
        PortMatch {
            protocol: entry.get("protocol").and_then(Value::as_str).unwrap_or("TCP").to_owned(),
            port,
            end_port: entry.get("endPort").and_then(Value::as_i64),
        }
    }

    /// Whether this entry admits `number`/`protocol` on a pod; `resolve` maps a port name to the
    /// pod's container port of that name and protocol, as network plugins do.
    pub fn admits(&self, number: i64, protocol: &str, resolve: impl Fn(&str, &str) -> Option<i64>) -> bool {
        if !self.protocol.eq_ignore_ascii_case(protocol) {
            return false;
        }
        match &self.port {
            None => true,
            Some(PortRef::Number(start)) => match self.end_port {
                Some(end) => (*start..=end).contains(&number),
                None => *start == number,
            },
            // `endPort` is only valid with a numeric port, so a name always means one port.
            Some(PortRef::Name(name)) => resolve(name, &self.protocol) == Some(number),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn policy(spec: Value) -> Policy {
        let object = Object::from_value(
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "p", "namespace": "shop"}, "spec": spec}),
            None,
        )
        .expect("valid object");
        Policy::parse(&object).expect("valid policy")
    }

    #[test]
    fn without_policy_types_ingress_is_always_governed_and_egress_only_with_rules() {
        let bare = policy(json!({"podSelector": {}}));
        assert!(bare.governs(Direction::Ingress) && !bare.governs(Direction::Egress));
        let empty_egress = policy(json!({"podSelector": {}, "egress": []}));
        assert!(!empty_egress.governs(Direction::Egress));
        let with_egress = policy(json!({"podSelector": {}, "egress": [{}]}));
        assert!(with_egress.governs(Direction::Ingress) && with_egress.governs(Direction::Egress));
        let empty_types = policy(json!({"podSelector": {}, "policyTypes": []}));
        assert!(empty_types.governs(Direction::Ingress));
    }

    #[test]
    fn explicit_policy_types_decide_the_directions() {
        let egress_only = policy(json!({"podSelector": {}, "policyTypes": ["Egress"], "ingress": [{}]}));
        assert!(!egress_only.governs(Direction::Ingress) && egress_only.denies_all(Direction::Egress));
    }

    #[test]
    fn null_match_labels_select_every_pod() {
        let p = policy(json!({"podSelector": {"matchLabels": null}, "ingress": [{"from": [{"podSelector": {}}]}]}));
        assert!(p.selects_all_pods());
        assert!(!p.denies_all(Direction::Ingress));
    }

    #[test]
    fn an_invalid_pod_selector_is_an_error() {
        let object = Object::from_value(
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "bad"},
                   "spec": {"podSelector": {"matchExpressions": [{"key": "app", "operator": "In"}]}}}),
            None,
        )
        .expect("valid object");
        let error = Policy::parse(&object).expect_err("invalid selector");
        assert!(error.starts_with("networkpolicy/bad: podSelector"), "{error}");
    }

    #[test]
    fn the_empty_rule_allows_every_source_and_port() {
        let p = policy(json!({"podSelector": {}, "ingress": [{}]}));
        assert_eq!(p.ingress, vec![Rule::default()]);
        assert_eq!(p.ingress[0].outside_sources(), ["all sources (the rule has no from)"]);
        let empty_from = policy(json!({"podSelector": {}, "ingress": [{"from": []}]}));
        assert_eq!(empty_from.ingress[0].peers, None);
    }

    #[test]
    fn ip_blocks_and_empty_peers_are_outside_sources_but_selectors_are_not() {
        let p = policy(json!({"podSelector": {}, "ingress": [{"from": [
            {"podSelector": {}},
            {"namespaceSelector": {"matchLabels": {"team": "ops"}}, "podSelector": {}},
            {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}},
            {}
        ]}]}));
        assert_eq!(p.ingress[0].outside_sources(), ["0.0.0.0/0 (except 10.0.0.0/8)", "an empty peer {}"]);
        let inside = policy(json!({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]}));
        assert!(inside.ingress[0].outside_sources().is_empty());
    }

    #[test]
    fn ports_match_by_number_range_name_and_protocol() {
        let entry = |v: Value| PortMatch::parse(&v);
        let none = |_: &str, _: &str| None;
        assert!(entry(json!({"port": 5432})).admits(5432, "TCP", none));
        assert!(!entry(json!({"port": 5432})).admits(5432, "UDP", none));
        assert!(entry(json!({"port": 5432, "protocol": "UDP"})).admits(5432, "UDP", none));
        assert!(entry(json!({"port": 5000, "endPort": 6000})).admits(5432, "TCP", none));
        assert!(!entry(json!({"port": 5000, "endPort": 5100})).admits(5432, "TCP", none));
        assert!(entry(json!({"protocol": "TCP"})).admits(5432, "TCP", none));
        assert!(entry(json!({"port": "5432"})).admits(5432, "TCP", none));
        let pg = |name: &str, protocol: &str| (name == "pg" && protocol == "TCP").then_some(5432);
        assert!(entry(json!({"port": "pg"})).admits(5432, "TCP", pg));
        assert!(!entry(json!({"port": "pg", "protocol": "UDP"})).admits(5432, "UDP", pg));
        assert!(!entry(json!({"port": "http"})).admits(5432, "TCP", pg));
    }
}
