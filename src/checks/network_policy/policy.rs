//! A NetworkPolicy as the API server defaults it: which directions it governs, which pods it
//! selects, and its rules (ports and peers), read from its [`NetworkPolicyView`].

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::inventory::selector;
use crate::inventory::view::network_policy::{EgressRule, IngressRule, NetworkPolicyView};
use crate::inventory::view::network_policy::{Peer, PolicyPort, PortRef};

/// Traffic direction, relative to the selected pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// `ingress`: for messages, as the field is spelled.
    pub(super) fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// `Ingress`: as `policyTypes` spells it.
    pub(super) fn policy_type(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

/// One NetworkPolicy, defaulted once per evaluation.
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
    /// rejected the object, so judging it either way would be a guess. (One of the wrong shape
    /// is already an error of the view, naming the field.)
    pub fn from_view(view: &NetworkPolicyView) -> Result<Policy, String> {
        let spec = &view.spec;
        selector::validate(&spec.pod_selector).map_err(|e| format!("{}: podSelector: {e}", view.reference()))?;
        let ingress: Vec<Rule> = spec.ingress.iter().map(Rule::from).collect();
        let egress: Vec<Rule> = spec.egress.iter().map(Rule::from).collect();
        let types = &spec.policy_types;
        // The API server's defaulting: without policyTypes a policy always governs Ingress, and
        // Egress only when it has egress rules. An empty list counts as absent.
        let (governs_ingress, governs_egress) = if types.is_empty() {
            (true, !egress.is_empty())
        } else {
            let named = |t: Direction| types.iter().any(|written| written == t.policy_type());
            (named(Direction::Ingress), named(Direction::Egress))
        };
        Ok(Policy {
            name: view.metadata.name.clone(),
            pod_selector: spec.pod_selector.clone(),
            ingress,
            egress,
            governs_ingress,
            governs_egress,
        })
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

/// One ingress or egress rule. A missing or empty peer list means every peer, and a missing or
/// empty port list means every port, so the rule `{}` allows all traffic.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Rule {
    /// `None`: all peers.
    pub peers: Option<Vec<Peer>>,
    /// Empty: all ports.
    pub ports: Vec<PolicyPort>,
}

impl Rule {
    fn new(peers: &[Peer], ports: &[PolicyPort]) -> Rule {
        Rule { peers: (!peers.is_empty()).then(|| peers.to_vec()), ports: ports.to_vec() }
    }

    /// The sources of this rule that may lie outside the cluster, described for messages; empty
    /// when every peer is a pod or namespace selector. Any `ipBlock` counts as outside: which
    /// CIDRs are pod or node addresses is cluster configuration the manifests do not hold.
    pub fn outside_sources(&self) -> Vec<String> {
        match &self.peers {
            None => vec!["all sources (the rule has no from)".to_owned()],
            Some(peers) => peers.iter().filter_map(outside_source).collect(),
        }
    }
}

impl From<&IngressRule> for Rule {
    fn from(rule: &IngressRule) -> Rule {
        Rule::new(&rule.from, &rule.ports)
    }
}

impl From<&EgressRule> for Rule {
    fn from(rule: &EgressRule) -> Rule {
        Rule::new(&rule.to, &rule.ports)
    }
}

/// How a peer that may lie outside the cluster reads in messages; `None` for one in it.
fn outside_source(peer: &Peer) -> Option<String> {
    if let Some(block) = &peer.ip_block {
        let cidr = block.cidr.as_deref().unwrap_or("<no cidr>");
        return Some(if block.except.is_empty() {
            cidr.to_owned()
        } else {
            format!("{cidr} (except {})", block.except.join(", "))
        });
    }
    // The API server rejects a peer that names nothing; offline we cannot know what a
    // network plugin would make of one, so a security check treats it as open.
    (!peer.pod_selector.0 && !peer.namespace_selector.0).then(|| "an empty peer {}".to_owned())
}

/// Whether a rule's port entry (a protocol, default TCP, and a port number, a number range
/// with `endPort`, a named port, or no port: every port of the protocol) admits
/// `number`/`protocol` on a pod; `resolve` maps a port name to the pod's container port of that
/// name and protocol, as network plugins do.
pub(super) fn admits(
    entry: &PolicyPort,
    number: i64,
    protocol: &str,
    resolve: impl Fn(&str, &str) -> Option<i64>,
) -> bool {
    let entry_protocol = entry.protocol.as_deref().unwrap_or("TCP");
    if !entry_protocol.eq_ignore_ascii_case(protocol) {
        return false;
    }
    match &entry.port {
        None => true,
        Some(PortRef::Number(start)) => match entry.end_port {
            Some(end) => (*start..=end).contains(&number),
            None => *start == number,
        },
        // `endPort` is only valid with a numeric port, so a name always means one port.
        Some(PortRef::Name(name)) => resolve(name, entry_protocol) == Some(number),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::inventory::view::from_value;

    fn view(name: &str, spec: Value) -> NetworkPolicyView {
        from_value(
            &json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": name, "namespace": "shop"}, "spec": spec}),
            || format!("networkpolicy/{name}"),
        )
        .expect("a readable NetworkPolicy")
    }

    fn policy(spec: Value) -> Policy {
        Policy::from_view(&view("p", spec)).expect("valid policy")
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
        let bad = view("bad", json!({"podSelector": {"matchExpressions": [{"key": "app", "operator": "In"}]}}));
        let error = Policy::from_view(&bad).expect_err("invalid selector");
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
        let entry = |v: Value| serde_json::from_value::<PolicyPort>(v).expect("a port entry");
        let none = |_: &str, _: &str| None;
        assert!(admits(&entry(json!({"port": 5432})), 5432, "TCP", none));
        assert!(!admits(&entry(json!({"port": 5432})), 5432, "UDP", none));
        assert!(admits(&entry(json!({"port": 5432, "protocol": "UDP"})), 5432, "UDP", none));
        assert!(admits(&entry(json!({"port": 5000, "endPort": 6000})), 5432, "TCP", none));
        assert!(!admits(&entry(json!({"port": 5000, "endPort": 5100})), 5432, "TCP", none));
        assert!(admits(&entry(json!({"protocol": "TCP"})), 5432, "TCP", none));
        assert!(admits(&entry(json!({"port": "5432"})), 5432, "TCP", none));
        let pg = |name: &str, protocol: &str| (name == "pg" && protocol == "TCP").then_some(5432);
        assert!(admits(&entry(json!({"port": "pg"})), 5432, "TCP", pg));
        assert!(!admits(&entry(json!({"port": "pg", "protocol": "UDP"})), 5432, "UDP", pg));
        assert!(!admits(&entry(json!({"port": "http"})), 5432, "TCP", pg));
    }
}
