//! Checklist validation: each rule refuses what it should, names item and field, and lets valid
//! checklists through.

use serde_json::{Value, json};

use super::*;

fn checklist(items: Value) -> ReadinessChecklist {
    checklist_with(json!({"items": items}))
}

fn checklist_with(spec: Value) -> ReadinessChecklist {
    serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "shop"},
        "spec": spec
    }))
    .expect("deserializes")
}

fn item(name: &str, check: Value) -> Value {
    json!({"name": name, "severity": "Critical", "check": check})
}

fn problems_of(check: Value) -> Vec<String> {
    validate_checklist(&checklist(json!([item("probe", check)])))
}

#[test]
fn a_valid_checklist_has_no_problems() {
    let items = json!([
        item(
            "autoscaling",
            json!({"horizontalPodAutoscaler": {
            "target": {"kind": "Deployment", "name": "api"}, "minReplicas": {"atLeast": 3}, "maxReplicas": {"atMost": 10}}})
        ),
        item("version", json!({"kubernetesVersion": {"atLeast": "1.28"}})),
        item("signoff", json!({"manual": {"approvers": {"groups": ["cto"]}}})),
        item("ingress", json!({"ingress": {"hosts": ["shop.example.com"], "requireAnnotations": {"a": "^x-.*$"}}})),
        item("quota", json!({"resourceQuota": {"maxUsedRatio": 0.8}})),
        item(
            "pdb",
            json!({"workload": {"target": {"selector": {"matchLabels": {"app": "api"}}},
                                         "podDisruptionBudget": {"minAvailable": "50%"}}})
        ),
    ]);
    assert_eq!(validate_checklist(&checklist(items)), Vec::<String>::new());
}

#[test]
fn refuses_duplicate_item_names_naming_the_first() {
    let items = json!([
        item("signoff", json!({"manual": {"approvers": {"users": ["a"]}}})),
        item("version", json!({"kubernetesVersion": {"atLeast": "1.28"}})),
        item("signoff", json!({"manual": {"approvers": {"users": ["b"]}}})),
    ]);
    assert_eq!(validate_checklist(&checklist(items)), ["items[2] (signoff).name: duplicate of items[0]"]);
}

#[test]
fn refuses_item_names_that_are_not_dns_labels() {
    for bad in ["Auto_Scaling", "-edge", "edge-", &"x".repeat(64)] {
        let problems =
            validate_checklist(&checklist(json!([item(bad, json!({"kubernetesVersion": {"atLeast": "1.28"}}))])));
        assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
        assert!(problems[0].contains(".name: ") && problems[0].contains("DNS-1123"), "{problems:?}");
    }
}

#[test]
fn refuses_an_empty_item_list() {
    assert_eq!(validate_checklist(&checklist(json!([]))), ["items: at least one item is required"]);
}

#[test]
fn refuses_a_range_whose_lower_bound_exceeds_the_upper() {
    let problems = validate_checklist(&checklist(json!([item(
        "autoscaling",
        json!({"horizontalPodAutoscaler": {
        "target": {"kind": "Deployment", "name": "api"}, "minReplicas": {"atLeast": 5, "atMost": 3}}})
    )])));
    assert_eq!(problems, ["items[0] (autoscaling).check.horizontalPodAutoscaler.minReplicas: atLeast 5 > atMost 3"]);
}

#[test]
fn refuses_a_target_with_both_name_and_selector() {
    let problems = problems_of(json!({"workload": {"target": {"kind": "Deployment", "name": "api",
        "selector": {"matchLabels": {"app": "api"}}}}}));
    assert_eq!(problems, ["items[0] (probe).check.workload.target: give either name or selector, not both"]);
}

#[test]
fn refuses_selectors_with_unknown_operators_or_misplaced_values() {
    let problems = problems_of(json!({"workload": {"target": {"selector": {"matchExpressions": [
        {"key": "app", "operator": "Matches", "values": ["api"]}]}}}}));
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with(
            "items[0] (probe).check.workload.target.selector.matchExpressions[0].operator: unknown selector operator"
        ),
        "{problems:?}"
    );
    let problems = problems_of(json!({"networkPolicy": {"coverWorkloads": {"matchExpressions": [
        {"key": "app", "operator": "In"}]}}}));
    assert!(
        problems[0].starts_with("items[0] (probe).check.networkPolicy.coverWorkloads.matchExpressions[0].values: "),
        "{problems:?}"
    );
}

/// Issue 14: keys, values and operators as `ValidateLabelSelector` refuses them, each named by
/// its field, so a `NotIn` on a value no label can carry never quietly selects everything.
#[test]
fn refuses_selector_keys_and_values_that_kubernetes_refuses() {
    let long_key = format!("{}.io/app", "a".repeat(251));
    let problems = problems_of(json!({"workload": {"target": {"selector": {
        "matchLabels": {"tier": "x".repeat(64)},
        "matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a b"]}, {"key": long_key, "operator": "Exists"}]}}}}));
    assert_eq!(problems.len(), 3, "{problems:?}");
    let at = "items[0] (probe).check.workload.target.selector";
    assert!(problems[0].starts_with(&format!("{at}.matchLabels[tier]: ")), "{problems:?}");
    assert!(problems[0].contains("must be no more than 63 characters"), "{problems:?}");
    assert!(problems[1].starts_with(&format!("{at}.matchExpressions[0].values[0]: ")), "{problems:?}");
    assert!(problems[1].contains("\"a b\""), "{problems:?}");
    assert!(problems[2].starts_with(&format!("{at}.matchExpressions[1].key: ")), "{problems:?}");
    assert!(problems[2].contains("prefix part must be no more than 253 characters"), "{problems:?}");
}

#[test]
fn every_selector_of_the_api_is_validated() {
    let bad = json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a b"]}]});
    let spec = json!({"gate": {"selector": bad},
    "items": [
        item("a", json!({"workload": {"target": {"selector": bad}}})),
        item("b", json!({"horizontalPodAutoscaler": {"target": {"kind": "Deployment", "selector": bad}}})),
        item("c", json!({"service": {"forbidExposedPorts": [22], "selector": bad}})),
        item("d", json!({"networkPolicy": {"coverWorkloads": bad}})),
        item("e", json!({"certificate": {"selector": bad}})),
        item("f", json!({"cronJob": {"selector": bad}})),
        item("g", json!({"resource": {"apiVersion": "v1", "kind": "Pod", "selector": bad}})),
    ]});
    let problems = validate_checklist(&checklist_with(spec));
    let fields: Vec<&str> = problems.iter().map(|p| p.split(": ").next().unwrap_or_default()).collect();
    assert_eq!(
        fields,
        [
            "gate.selector.matchExpressions[0].values[0]",
            "items[0] (a).check.workload.target.selector.matchExpressions[0].values[0]",
            "items[1] (b).check.horizontalPodAutoscaler.target.selector.matchExpressions[0].values[0]",
            "items[2] (c).check.service.selector.matchExpressions[0].values[0]",
            "items[3] (d).check.networkPolicy.coverWorkloads.matchExpressions[0].values[0]",
            "items[4] (e).check.certificate.selector.matchExpressions[0].values[0]",
            "items[5] (f).check.cronJob.selector.matchExpressions[0].values[0]",
            "items[6] (g).check.resource.selector.matchExpressions[0].values[0]",
        ]
    );
}

#[test]
fn refuses_a_gate_selector_the_api_server_would_reject() {
    let spec = json!({"gate": {"selector": {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}},
                      "items": [item("v", json!({"kubernetesVersion": {"atLeast": "1.28"}}))]});
    let problems = validate_checklist(&checklist_with(spec));
    assert_eq!(problems.len(), 1);
    assert!(problems[0].starts_with("gate.selector.matchExpressions[0].values: "), "{problems:?}");
}

#[test]
fn refuses_binding_admissions_to_a_release_the_checklist_does_not_name() {
    let spec = |release: Value| {
        json!({"release": release, "gate": {"selector": {}, "bindRelease": true},
               "items": [item("v", json!({"kubernetesVersion": {"atLeast": "1.28"}}))]})
    };
    assert_eq!(
        validate_checklist(&checklist_with(spec(Value::Null))),
        ["gate.bindRelease: needs spec.release: admitted workloads are bound to that release"]
    );
    assert!(validate_checklist(&checklist_with(spec(json!("v1.0.0")))).is_empty());
}

#[test]
fn refuses_invalid_regular_expressions() {
    let problems =
        problems_of(json!({"ingress": {"hosts": ["a"], "requireAnnotations": {"cert-manager.io/issuer": "(prod"}}}));
    assert_eq!(
        problems,
        [
            "items[0] (probe).check.ingress.requireAnnotations[cert-manager.io/issuer]: invalid regular expression \"(prod\": unclosed group"
        ]
    );
    let problems =
        problems_of(json!({"http": {"url": "https://shop.example.com/healthz", "requireHeaders": {"hsts": "["}}}));
    assert!(problems[0].starts_with("items[0] (probe).check.http.requireHeaders[hsts]: invalid regular expression"));
}

#[test]
fn refuses_an_unparsable_kubernetes_version() {
    let problems = problems_of(json!({"kubernetesVersion": {"atLeast": "latest"}}));
    assert_eq!(problems.len(), 1);
    assert!(problems[0].starts_with("items[0] (probe).check.kubernetesVersion.atLeast: invalid Kubernetes version"));
}

#[test]
fn refuses_a_prometheus_check_that_expects_nothing() {
    let problems = problems_of(json!({"prometheus": {"url": "http://prometheus:9090", "query": "up", "expect": {}}}));
    assert_eq!(problems, ["items[0] (probe).check.prometheus.expect: give lessThan, greaterThan or equals"]);
}

#[test]
fn refuses_urls_that_are_not_http() {
    let problems = problems_of(json!({"http": {"url": "shop.example.com/healthz"}}));
    assert_eq!(problems, ["items[0] (probe).check.http.url: \"shop.example.com/healthz\" is not an http(s) URL"]);
}

#[test]
fn refuses_a_manual_item_nobody_can_approve() {
    let problems = problems_of(json!({"manual": {"approvers": {}}}));
    assert_eq!(problems, ["items[0] (probe).check.manual.approvers: names nobody: give users or groups"]);
}

#[test]
fn refuses_a_checklist_that_requires_itself() {
    let problems = problems_of(json!({"checklist": {"name": "release"}}));
    assert_eq!(problems, ["items[0] (probe).check.checklist.name: a checklist cannot require itself"]);
}

#[test]
fn refuses_ports_ratios_digests_and_budgets_out_of_range() {
    assert_eq!(problems_of(json!({"service": {"forbidExposedPorts": [5432, 70000]}})).len(), 1);
    assert_eq!(problems_of(json!({"resourceQuota": {"maxUsedRatio": 1.5}})).len(), 1);
    assert_eq!(problems_of(json!({"secret": {"name": "s", "key": "k", "forbidSha256": ["ABC"]}})).len(), 1);
    let problems = problems_of(json!({"workload": {"target": {}, "podDisruptionBudget": {"minAvailable": "half"}}}));
    assert_eq!(
        problems,
        [
            "items[0] (probe).check.workload.podDisruptionBudget.minAvailable: \"half\" is neither a number nor a percentage"
        ]
    );
}

#[test]
fn refuses_resource_checks_without_kind_or_with_both_name_and_selector() {
    let problems = problems_of(json!({"resource": {"apiVersion": "v1", "kind": "", "name": "a",
        "selector": {}, "count": {"atLeast": 2, "atMost": 1}}}));
    assert_eq!(
        problems,
        [
            "items[0] (probe).check.resource.kind: must not be empty",
            "items[0] (probe).check.resource: give either name or selector, not both",
            "items[0] (probe).check.resource.count: atLeast 2 > atMost 1",
        ]
    );
}

#[test]
fn refuses_cel_that_does_not_compile() {
    let problems = problems_of(json!({"resource": {"apiVersion": "v1", "kind": "Service",
        "all": "object.spec.type ==", "any": "has(object.spec.ports)"}}));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("items[0] (probe).check.resource.all: CEL does not compile: "), "{problems:?}");
    assert!(!problems[0].contains('\n'), "one line: {problems:?}");
}

#[test]
fn refuses_cel_over_the_budget_with_its_estimate() {
    let problems = problems_of(json!({"resource": {"apiVersion": "v1", "kind": "Service",
        "all": "lists.range(2000).all(a, lists.range(2000).all(b, lists.range(2000).all(c, true)))"}}));
    assert_eq!(
        problems,
        ["items[0] (probe).check.resource.all: CEL expression's estimated cost 4.0e10 exceeds the budget 1e7"]
    );
}
