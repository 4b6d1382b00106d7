//! NetworkPolicy: the policies of Kubernetes' e2e suite (`test/e2e/network/netpol/policies.go`,
//! the model cyclonus contributed upstream), applied to its model namespace `x` with pods
//! `a`, `b`, `c` serving TCP 80 and 81, and the questions readygate's `networkPolicy` check asks
//! of them. Kubernetes' answer to each question follows from the policies' semantics and the
//! test's reachability truth table: default deny holds, as the Kubernetes documentation defines
//! it ("Default deny all ingress traffic"), when a policy isolates every pod of `x` in that
//! direction without allowing anything, whatever allowances other policies stack on top (the
//! e2e tests stack them exactly so); `restrictedPorts` holds when no source outside the cluster
//! reaches a listener on the port.
//!
//! The reachability matrices themselves (pod to pod, per port and protocol) are not a
//! readygate question: the check judges readiness properties, not single connections.

use readygate::api::{Check, ItemState};
use readygate::checks::{self, Facts, Scope};
use readygate::inventory::{Inventory, Object};
use serde_json::{Value, json};

use super::support::{Case, Verdict, Verdict::*, judge};

const POLICIES: &str = "kubernetes test/e2e/network/netpol/policies.go";
const MATRIX: Verdict = NotExpressible(
    "the pod-to-pod reachability matrix (cyclonus truth table): readygate asks readiness questions, not \
     single connections",
);

fn deployment(name: &str) -> Object {
    let labels = json!({"pod": name});
    Object::from_value(
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "x", "labels": labels},
               "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {"containers": [
                   {"name": "cont-80", "image": "agnhost", "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                   {"name": "cont-81", "image": "agnhost", "ports": [{"containerPort": 81, "protocol": "TCP"}]}]}}}}),
        None,
    )
    .expect("a valid Deployment")
}

fn policy(name: &str, spec: Value) -> Object {
    Object::from_value(
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": name, "namespace": "x"}, "spec": spec}),
        None,
    )
    .expect("a valid NetworkPolicy")
}

fn pod(name: &str) -> Value {
    json!({"matchLabels": {"pod": name}})
}

const DNS: &str = r#"{"ports": [{"protocol": "UDP", "port": 53}]}"#;

/// The policies of policies.go (by their constructor), as the e2e tests instantiate them.
fn shapes() -> Vec<(&'static str, Vec<Object>)> {
    let dns: Value = serde_json::from_str(DNS).expect("json");
    vec![
        (
            "GetDenyIngress",
            vec![policy("deny-ingress", json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": []}))],
        ),
        (
            "GetDenyIngressEmptyPeerSelector",
            vec![policy(
                "deny-ingress-empty-peer",
                json!({"podSelector": {},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {}}}]}]}),
            )],
        ),
        (
            "GetDenyEgress",
            vec![policy("deny-egress", json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": []}))],
        ),
        (
            "GetAllowIngress",
            vec![policy("allow-ingress", json!({"podSelector": {"matchLabels": {}}, "ingress": [{}]}))],
        ),
        (
            "GetAllowIngressByPort(80)",
            vec![policy(
                "allow-ingress-port-80",
                json!({"podSelector": {"matchLabels": {}},
            "ingress": [{"ports": [{"port": 80}]}]}),
            )],
        ),
        (
            "GetDenyAll",
            vec![policy(
                "deny-all",
                json!({"podSelector": {}, "policyTypes": ["Egress", "Ingress"], "ingress": [], "egress": []}),
            )],
        ),
        (
            "GetDenyAllWithEgressDNS",
            vec![policy(
                "deny-all-tcp-allow-dns",
                json!({"podSelector": {},
            "policyTypes": ["Egress", "Ingress"], "ingress": [], "egress": [dns.clone()]}),
            )],
        ),
        (
            "GetAllowIngressByPod(pod=a from pod=b)",
            vec![policy(
                "x-a-allows-x-b",
                json!({"podSelector": pod("a"),
            "ingress": [{"from": [{"podSelector": pod("b")}]}]}),
            )],
        ),
        (
            "GetAllowIngressForTarget(pod=a)",
            vec![policy(
                "allow-client-a",
                json!({"podSelector": pod("a"), "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {}, "namespaceSelector": {}}]}]}),
            )],
        ),
        (
            "GetDenyIngressForTarget(pod=a)",
            vec![policy(
                "deny-ingress-via-label-selector",
                json!({"podSelector": pod("a"),
            "policyTypes": ["Ingress"], "ingress": []}),
            )],
        ),
        (
            "GetAllowIngressByNamespace(ns=y)",
            vec![policy(
                "allow-ns-y",
                json!({"podSelector": {"matchLabels": {}},
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}),
            )],
        ),
        (
            "GetAllowIngressByNamespaceAndPort(ns=y, 80/TCP)",
            vec![policy(
                "allow-ns-y-80",
                json!({"podSelector": {"matchLabels": {}},
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}], "ports": [{"port": 80, "protocol": "TCP"}]}]}),
            )],
        ),
        (
            "GetAllowIngressByProtocol(TCP)",
            vec![policy(
                "allow-tcp",
                json!({"podSelector": {"matchLabels": {}},
            "ingress": [{"ports": [{"protocol": "TCP"}]}]}),
            )],
        ),
        (
            "GetAllowIngressByProtocol(UDP)",
            vec![policy(
                "allow-udp",
                json!({"podSelector": {"matchLabels": {}},
            "ingress": [{"ports": [{"protocol": "UDP"}]}]}),
            )],
        ),
        (
            "GetAllowIngressByNamespaceOrPod(ns=y or pod=b)",
            vec![policy(
                "allow-ns-y-or-b",
                json!({"podSelector": {"matchLabels": {}},
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}, {"podSelector": pod("b")}]}]}),
            )],
        ),
        (
            "GetAllowIngressByAnyPod(pod=b, pod=c)",
            vec![policy(
                "allow-b-or-c",
                json!({"podSelector": {"matchLabels": {}},
            "ingress": [{"from": [{"podSelector": pod("b")}, {"podSelector": pod("c")}]}]}),
            )],
        ),
        (
            "GetAllowIngressByNamespaceAndPod(ns=y and pod=b)",
            vec![policy(
                "allow-ns-y-and-b",
                json!({"podSelector": {"matchLabels": {}},
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}, "podSelector": pod("b")}]}]}),
            )],
        ),
        (
            "GetAllowEgressByNamespaceAndPod(ns=y and pod=b)",
            vec![policy(
                "allow-egress-ns-y-and-b",
                json!({"podSelector": {"matchLabels": {}},
            "policyTypes": ["Egress"], "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}, "podSelector": pod("b")}]}, dns.clone()]}),
            )],
        ),
        (
            "GetAllowEgress",
            vec![policy(
                "allow-egress",
                json!({"podSelector": {"matchLabels": {}}, "policyTypes": ["Egress"], "egress": [{}]}),
            )],
        ),
        (
            "GetAllowEgressByCIDR(pod=a)",
            vec![policy(
                "allow-client-a-via-cidr-egress-rule",
                json!({"podSelector": pod("a"),
            "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.10/32"}}]}, dns.clone()]}),
            )],
        ),
        (
            "GetRandomIngressPolicies(3)",
            (0..3)
                .map(|i| {
                    policy(
                        &format!("allow-all-{i}"),
                        json!({"podSelector": {"matchLabels": {"unique": i.to_string()}},
            "ingress": [{}]}),
                    )
                })
                .collect(),
        ),
        (
            "GetDenyIngress + GetAllowIngressByPort(81) (stacked)",
            vec![
                policy("deny-ingress", json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": []})),
                policy(
                    "allow-ingress-port-81",
                    json!({"podSelector": {"matchLabels": {}}, "ingress": [{"ports": [{"port": 81}]}]}),
                ),
            ],
        ),
        (
            "GetDenyAll + GetAllowEgress (stacked)",
            vec![
                policy(
                    "deny-all",
                    json!({"podSelector": {}, "policyTypes": ["Egress", "Ingress"], "ingress": [], "egress": []}),
                ),
                policy(
                    "allow-egress",
                    json!({"podSelector": {"matchLabels": {}}, "policyTypes": ["Egress"], "egress": [{}]}),
                ),
            ],
        ),
    ]
}

/// Kubernetes' answers for each shape, from its truth table: default deny ingress, default deny
/// egress, every workload covered, only pod=a covered, port 80 in-cluster only, port 81 likewise.
fn kubernetes(shape: &str) -> [bool; 6] {
    match shape {
        "GetDenyIngress" => [true, false, true, true, true, true],
        "GetDenyIngressEmptyPeerSelector" => [false, false, true, true, true, true],
        "GetDenyEgress" => [false, true, true, true, false, false],
        "GetAllowIngress" => [false, false, true, true, false, false],
        "GetAllowIngressByPort(80)" => [false, false, true, true, false, true],
        "GetDenyAll" => [true, true, true, true, true, true],
        "GetDenyAllWithEgressDNS" => [true, false, true, true, true, true],
        "GetAllowIngressByPod(pod=a from pod=b)" => [false, false, false, true, false, false],
        "GetAllowIngressForTarget(pod=a)" => [false, false, false, true, false, false],
        "GetDenyIngressForTarget(pod=a)" => [false, false, false, true, false, false],
        "GetAllowIngressByNamespace(ns=y)" => [false, false, true, true, true, true],
        "GetAllowIngressByNamespaceAndPort(ns=y, 80/TCP)" => [false, false, true, true, true, true],
        "GetAllowIngressByProtocol(TCP)" => [false, false, true, true, false, false],
        // The model's servers here declare TCP only, so a UDP-only rule opens nothing.
        "GetAllowIngressByProtocol(UDP)" => [false, false, true, true, true, true],
        "GetAllowIngressByNamespaceOrPod(ns=y or pod=b)" => [false, false, true, true, true, true],
        "GetAllowIngressByAnyPod(pod=b, pod=c)" => [false, false, true, true, true, true],
        "GetAllowIngressByNamespaceAndPod(ns=y and pod=b)" => [false, false, true, true, true, true],
        "GetAllowEgressByNamespaceAndPod(ns=y and pod=b)" => [false, false, true, true, false, false],
        "GetAllowEgress" => [false, false, true, true, false, false],
        "GetAllowEgressByCIDR(pod=a)" => [false, false, false, true, false, false],
        "GetRandomIngressPolicies(3)" => [false, false, false, false, false, false],
        "GetDenyIngress + GetAllowIngressByPort(81) (stacked)" => [true, false, true, true, true, false],
        "GetDenyAll + GetAllowEgress (stacked)" => [true, true, true, true, true, true],
        other => panic!("no truth table for {other}"),
    }
}

const QUESTIONS: [(&str, &str); 6] = [
    ("defaultDenyIngress", r#"{"defaultDenyIngress": true}"#),
    ("defaultDenyEgress", r#"{"defaultDenyEgress": true}"#),
    ("coverWorkloads {}", r#"{"coverWorkloads": {}}"#),
    ("coverWorkloads pod=a", r#"{"coverWorkloads": {"matchLabels": {"pod": "a"}}}"#),
    ("restrictedPorts 80", r#"{"restrictedPorts": [{"port": 80}]}"#),
    ("restrictedPorts 81", r#"{"restrictedPorts": [{"port": 81}]}"#),
];

fn cases() -> Vec<Case<bool>> {
    let facts = Facts::offline();
    let mut cases = Vec::new();
    for (shape, policies) in shapes() {
        let mut objects = vec![deployment("a"), deployment("b"), deployment("c")];
        objects.extend(policies);
        let inventory = Inventory::from_objects(objects);
        let scope = Scope { namespace: "x", inventory: &inventory, facts: &facts, now: jiff::Timestamp::UNIX_EPOCH };
        for ((question, spec), expected) in QUESTIONS.iter().zip(kubernetes(shape)) {
            let spec: Value = serde_json::from_str(spec).expect("json");
            let check: Check = serde_json::from_value(json!({"networkPolicy": spec})).expect("valid check");
            let outcome = checks::evaluate(&check, &scope);
            let passed = outcome.state == ItemState::Passed;
            cases.push((format!("{POLICIES} {shape}: {question}"), Agree, Some((expected, passed))));
        }
        cases.push((format!("{POLICIES} {shape}: reachability matrix"), MATRIX, None));
    }
    cases
}

#[test]
fn readiness_questions_agree_with_the_e2e_truth_tables() {
    judge("NetworkPolicy (e2e netpol shapes)", cases());
}
