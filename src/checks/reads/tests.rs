//! `reads` lists every kind a check looks up: each check runs over an inventory that takes it
//! down every path, once whole and once as the controller would hand it over, with only the
//! kinds `reads` lists (every other kind unreadable); both must come out the same.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::reads;
use crate::api::Check;
use crate::checks::fixtures::{World, resource};
use crate::checks::rbac::fixtures::{cluster_role, cluster_role_binding, role, role_binding, service_account};
use crate::checks::{Facts, Outcome, evaluate};
use crate::inventory::{Kind, Object, kinds};

/// An object labelled `app: api`, as every selector below expects.
fn object(api_version: &str, kind: &str, name: &str, rest: Value) -> Object {
    let mut object = resource(api_version, kind, name, rest);
    object.labels.insert("app".to_owned(), "api".to_owned());
    object
}

/// A pod template serving port 5432 by name, with every field the workload rules look at.
fn workload(kind: &str) -> Object {
    let container = json!({"name": "api", "image": "api:1", "ports": [{"name": "pg", "containerPort": 5432}],
                           "env": [{"name": "DB_PASSWORD", "value": "x"}]});
    object(
        "apps/v1",
        kind,
        "api",
        json!({"spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}},
        "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [container]}}}}),
    )
}

/// One object of every kind the catalogue reads, shaped so no check stops early.
fn everything() -> Vec<Object> {
    let everything = json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]);
    let mut objects = vec![
        workload("Deployment"),
        workload("StatefulSet"),
        workload("DaemonSet"),
        workload("ReplicaSet"),
        object("policy/v1", "PodDisruptionBudget", "api", json!({"spec": {"selector": {}, "minAvailable": 1}})),
        object(
            "v1",
            "Service",
            "api",
            json!({"spec": {"type": "LoadBalancer", "selector": {"app": "api"},
            "ports": [{"port": 80, "targetPort": "pg"}]}}),
        ),
        object(
            "networking.k8s.io/v1",
            "Ingress",
            "api",
            json!({"spec": {"rules": [{"host": "api.example.com"}],
            "tls": [{"hosts": ["api.example.com"]}]}}),
        ),
        object(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "api",
            json!({"spec": {"podSelector": {},
            "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}}),
        ),
        object(
            "v1",
            "ResourceQuota",
            "api",
            json!({"spec": {"hard": {"pods": "10"}},
            "status": {"hard": {"pods": "10"}, "used": {"pods": "9"}}}),
        ),
        object("v1", "LimitRange", "api", json!({"spec": {"limits": []}})),
        object(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "api",
            json!({"spec": {"minReplicas": 3,
            "maxReplicas": 10, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}}}),
        ),
        role("shop", "api", everything.clone()),
        cluster_role("api", everything),
        role_binding("shop", "api", ("Role", "api"), service_account("shop", "api")),
        cluster_role_binding("api", ("ClusterRole", "api"), service_account("shop", "api")),
        object("cert-manager.io/v1", "Issuer", "api", json!({"spec": {"acme": {}}})),
        object("cert-manager.io/v1", "ClusterIssuer", "api", json!({"spec": {"acme": {}}})),
        object(
            "cert-manager.io/v1",
            "Certificate",
            "api",
            json!({"spec": {"issuerRef": {"name": "api"}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}], "notAfter": "2100-01-01T00:00:00Z"}}),
        ),
        object(
            "cert-manager.io/v1",
            "Certificate",
            "web",
            json!({"spec": {"issuerRef": {"kind": "ClusterIssuer",
            "name": "api"}}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
        ),
        object(
            "batch/v1",
            "CronJob",
            "api",
            json!({"spec": {"schedule": "0 * * * *"},
            "status": {"lastSuccessfulTime": "2026-01-01T00:00:00Z"}}),
        ),
        object("v1", "Secret", "api", json!({"data": {"token": "c2VjcmV0"}})),
        object("monitoring.coreos.com/v1", "PrometheusRule", "api", json!({"spec": {"groups": []}})),
        object("readygate.io/v1alpha1", "ReadinessChecklist", "platform", json!({"spec": {"items": []}})),
    ];
    let rollout = object("argoproj.io/v1alpha1", "Rollout", "api", json!({}));
    let mut rollout_hpa = objects[10].clone();
    rollout_hpa.name = "rollout".to_owned();
    rollout_hpa.data["spec"]["scaleTargetRef"] = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                                         "name": "api"});
    objects.extend([rollout, rollout_hpa]);
    objects
}

/// Every check key with a spec that uses every rule it has (several specs where the kinds read
/// depend on the spec).
fn specs() -> Vec<Value> {
    let target = |kind: &str| json!({"kind": kind, "name": "api"});
    let workload_rules = |target: Value| {
        json!({"workload": {"target": target, "replicas": {"atLeast": 1}, "probes": ["Readiness"],
            "resources": {"requests": ["cpu"]}, "zeroDowntimeRollout": true,
            "terminationGracePeriodSeconds": {"atLeast": 1}, "preStopHook": true, "image": {"forbidLatest": true},
            "forbidLiteralSecretEnv": true, "runAsNonRoot": true, "podDisruptionBudget": {"minAvailable": 1}}})
    };
    let hpa = |kind: &str| json!({"horizontalPodAutoscaler": {"target": target(kind), "minReplicas": {"atLeast": 1}}});
    vec![
        workload_rules(json!({})),
        workload_rules(target("Deployment")),
        workload_rules(target("StatefulSet")),
        workload_rules(target("DaemonSet")),
        json!({"workload": {"target": target("Deployment")}}),
        json!({"service": {"forbidExposedPorts": [5432]}}),
        json!({"ingress": {"hosts": ["api.example.com"], "requireTls": true}}),
        json!({"networkPolicy": {"defaultDenyIngress": true, "defaultDenyEgress": true,
            "coverWorkloads": {}, "restrictedPorts": [{"port": 5432}]}}),
        json!({"networkPolicy": {"defaultDenyIngress": true}}),
        json!({"resourceQuota": {"requireHard": ["pods"], "maxUsedRatio": 0.5, "requireLimitRange": true}}),
        hpa("Deployment"),
        hpa("StatefulSet"),
        hpa("ReplicaSet"),
        hpa("Rollout"),
        json!({"rbac": {"roles": [{"kind": "Role", "name": "api"}, {"kind": "ClusterRole", "name": "api"}],
            "access": [{"subject": {"kind": "ServiceAccount", "name": "api"}, "verb": "get", "resource": "pods",
                        "allowed": true}], "forbidClusterAdminBindings": true}}),
        json!({"rbac": {"roles": [{"kind": "Role", "name": "api"}]}}),
        json!({"certificate": {"requireAcme": true, "issuer": {"name": "api"}, "requireRenewBefore": true,
            "minRemainingValidity": "1h"}}),
        json!({"certificate": {"names": ["api"]}}),
        json!({"cronJob": {"name": "api", "maxInterval": "1h", "lastSuccessWithin": "1h"}}),
        json!({"secret": {"name": "api", "key": "token", "minBytes": 1}}),
        json!({"kubernetesVersion": {"atLeast": "1.28"}}),
        json!({"resource": {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "all": "true"}}),
        json!({"http": {"url": "https://api.example.com"}}),
        json!({"prometheus": {"url": "http://prometheus:9090", "query": "up", "expect": {"equals": 1}}}),
        json!({"checklist": {"name": "platform"}}),
    ]
}

#[test]
fn every_kind_a_check_reads_live_is_listed() {
    let facts = Facts { secret_checks: true, ..Facts::live() };
    let at = "2026-01-01T00:30:00Z".parse().expect("timestamp");
    let world = World::new(everything()).facts(facts.clone()).at(at);
    let every_kind: BTreeSet<Kind> = everything().into_iter().map(|o| o.kind_key).collect();
    let mut keys_seen = BTreeSet::new();
    for spec in specs() {
        let check: Check = serde_json::from_value(spec.clone()).expect("valid check");
        let listed: BTreeSet<Kind> = reads(&check).into_iter().collect();
        let mut live_facts = facts.clone();
        for unlisted in every_kind.difference(&listed) {
            live_facts.unavailable_kinds.insert(unlisted.to_string(), "not listed by reads".to_owned());
        }
        let live =
            World::new(everything().into_iter().filter(|o| listed.contains(&o.kind_key))).facts(live_facts).at(at);
        let (whole, seen_live) = (evaluate(&check, &world.scope()), evaluate(&check, &live.scope()));
        assert_eq!(seen_live, whole, "{spec} reads a kind it does not list (it lists {listed:?})");
        keys_seen.insert(check.key());
    }
    let untested: Vec<&str> =
        Check::KEYS.iter().copied().filter(|k| *k != "manual" && !keys_seen.contains(k)).collect();
    assert!(untested.is_empty(), "no spec exercises {untested:?}");
}

fn outcome_with_unreadable(kind_key: &str, spec: Value) -> Outcome {
    let mut facts = Facts::live();
    facts.unavailable_kinds.insert(kind_key.to_owned(), "forbidden".to_owned());
    evaluate(&serde_json::from_value(spec).expect("valid check"), &World::new(everything()).facts(facts).scope())
}

#[test]
fn a_workload_item_whose_target_kind_cannot_be_read_is_an_error_not_a_failure() {
    let outcome = outcome_with_unreadable(
        kinds::STATEFUL_SET,
        json!({"workload": {"target": {"kind": "StatefulSet", "name": "db"}}}),
    );
    assert_eq!(outcome, Outcome::error("cannot read StatefulSet.apps: forbidden"));
}

#[test]
fn an_unreadable_kind_the_item_does_not_target_does_not_matter() {
    let outcome = outcome_with_unreadable(
        kinds::DEPLOYMENT,
        json!({"workload": {"target": {"kind": "StatefulSet", "name": "api"}, "replicas": {"atLeast": 3}}}),
    );
    assert_eq!(outcome.state, crate::api::ItemState::Passed, "{}", outcome.message);
}

/// What the catalogue's checks read live is watched (and so granted: the install's ClusterRole
/// grants every catalogue watch, see tests/packaging/kustomize.rs), or comes another way.
#[test]
fn every_kind_the_catalogue_checks_read_is_watched() {
    let watched: BTreeSet<Kind> =
        crate::controller::watches::catalogue().into_iter().map(|spec| spec.kind_key).collect();
    let elsewhere = [
        // Watched by name, only with secret checks on (`controller::watch_set`).
        kinds::SECRET,
        // Decisions come from the controller's own checklist store (`Facts::checklists`).
        kinds::CHECKLIST,
        // An HPA's scale target: judged missing only where the inventory evidently holds the
        // kind (`hpa::target_missing`), so not watching it never fails an item.
        "ReplicaSet.apps",
    ];
    for spec in specs() {
        let check: Check = serde_json::from_value(spec.clone()).expect("valid check");
        let reads = super::ChecklistReads::of(&checklist_of(&check));
        for key in &reads.keys {
            let whole_watch = crate::inventory::whole::kind_of(key) != *key || reads.whole.contains_key(key);
            assert!(
                watched.contains(key) || elsewhere.iter().any(|e| key == e) || whole_watch,
                "{spec} reads {key}, which nothing watches"
            );
        }
    }
}

fn checklist_of(check: &Check) -> crate::api::ReadinessChecklist {
    serde_json::from_value(json!({"apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "c", "namespace": "shop"}, "spec": {"items": [{"name": "a", "check": check}]}}))
    .expect("valid checklist")
}
