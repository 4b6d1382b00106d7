//! `resource` scenarios: counting any kind (namespaced or cluster-scoped), CEL `all`/`any` with
//! Kubernetes' absent-field semantics, spec errors, and kube-prometheus manifests.

use serde_json::{Value, json};

use super::*;
use crate::api::ItemState;
use crate::checks::fixtures::{World, merged};

fn service_monitor(name: &str, interval: Option<&str>) -> Value {
    let mut endpoint = json!({"port": "http"});
    if let Some(interval) = interval {
        endpoint["interval"] = json!(interval);
    }
    json!({
        "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": name}},
        "spec": {"endpoints": [endpoint], "selector": {"matchLabels": {"app": name}}}
    })
}

fn check(spec: Value) -> ResourceCheck {
    let value = merged(json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor"}), spec);
    serde_json::from_value(value).expect("valid resource check")
}

fn run_in(namespace: &str, spec: Value, objects: Vec<Value>) -> Outcome {
    let objects = objects.into_iter().map(|o| Object::from_value(o, Some(namespace)).expect("object"));
    evaluate(&check(spec), &World::new(objects).namespace(namespace).scope())
}

fn run(spec: Value, objects: Vec<Value>) -> Outcome {
    run_in("shop", spec, objects)
}

#[test]
fn at_least_one_object_by_default() {
    assert_eq!(
        run(json!({}), vec![service_monitor("api", None)]),
        Outcome::passed("found 1 ServiceMonitor (>= 1): servicemonitor/api")
    );
    assert_eq!(run(json!({}), vec![]), Outcome::failed("no ServiceMonitor in namespace shop"));
}

#[test]
fn count_range_is_enforced_both_ways() {
    let monitors = vec![service_monitor("api", None), service_monitor("web", None)];
    let outcome = run(json!({"count": {"atMost": 1}}), monitors.clone());
    assert_eq!(
        outcome,
        Outcome::failed(
            "found 2 (any ServiceMonitor in namespace shop), expected <= 1: servicemonitor/api, servicemonitor/web"
        )
    );
    assert_eq!(run(json!({"count": {"atLeast": 0, "atMost": 0}}), vec![]).state, ItemState::Passed);
    assert_eq!(run(json!({"count": {"atLeast": 2, "atMost": 2}}), monitors).state, ItemState::Passed);
}

#[test]
fn name_or_selector_picks_the_objects() {
    let monitors = vec![service_monitor("api", None), service_monitor("web", None)];
    assert_eq!(run(json!({"name": "api"}), monitors.clone()).state, ItemState::Passed);
    assert_eq!(
        run(json!({"name": "db"}), monitors.clone()),
        Outcome::failed("no ServiceMonitor named db in namespace shop")
    );
    assert_eq!(
        run(json!({"selector": {"matchLabels": {"app": "db"}}}), monitors),
        Outcome::failed("no ServiceMonitor matches app=db in namespace shop")
    );
}

#[test]
fn the_version_does_not_matter_but_the_group_does() {
    let mut v1beta1 = service_monitor("api", None);
    v1beta1["apiVersion"] = json!("monitoring.coreos.com/v1beta1");
    assert_eq!(run(json!({}), vec![v1beta1]).state, ItemState::Passed);
    let mut other_group = service_monitor("api", None);
    other_group["apiVersion"] = json!("azmonitoring.coreos.com/v1");
    assert_eq!(run(json!({}), vec![other_group]).state, ItemState::Failed);
}

#[test]
fn core_and_cluster_scoped_kinds_are_found() {
    let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}});
    let outcome = run(json!({"apiVersion": "v1", "kind": "ConfigMap", "name": "settings"}), vec![config_map]);
    assert_eq!(outcome.state, ItemState::Passed);
    let class = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "critical"},
                       "value": 1_000_000});
    let spec = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "all": "object.value >= 1000000"});
    assert_eq!(run(spec.clone(), vec![class]).state, ItemState::Passed);
    assert_eq!(run(spec, vec![]), Outcome::failed("no PriorityClass in the cluster"));
}

#[test]
fn all_must_hold_for_every_object_and_names_the_others() {
    let spec = json!({"all": "object.spec.endpoints.all(e, has(e.interval))"});
    let outcome = run(spec.clone(), vec![service_monitor("api", Some("30s")), service_monitor("web", None)]);
    assert_eq!(
        outcome,
        Outcome::failed("all `object.spec.endpoints.all(e, has(e.interval))` is false for servicemonitor/web")
    );
    let outcome = run(spec, vec![service_monitor("api", Some("30s"))]);
    assert_eq!(
        outcome,
        Outcome::passed(
            "found 1 ServiceMonitor (>= 1): servicemonitor/api; all `object.spec.endpoints.all(e, has(e.interval))` holds"
        )
    );
}

#[test]
fn reading_an_absent_field_fails_that_object_with_the_error() {
    let outcome = run(json!({"all": "object.spec.endpoints[0].interval == '30s'"}), vec![service_monitor("web", None)]);
    assert_eq!(
        outcome,
        Outcome::failed(
            "all `object.spec.endpoints[0].interval == '30s'` is false for servicemonitor/web (No such key: interval)"
        )
    );
}

#[test]
fn any_needs_one_object_and_stops_at_it() {
    let monitors = vec![service_monitor("api", None), service_monitor("web", Some("15s"))];
    let outcome = run(json!({"any": "object.spec.endpoints.exists(e, has(e.interval))"}), monitors.clone());
    assert_eq!(
        outcome,
        Outcome::passed(
            "found 2 ServiceMonitor (>= 1): servicemonitor/api, servicemonitor/web; any `object.spec.endpoints.exists(e, has(e.interval))` holds for servicemonitor/web"
        )
    );
    let outcome = run(json!({"any": "object.metadata.name == 'db'"}), monitors.clone());
    assert_eq!(outcome, Outcome::failed("any `object.metadata.name == 'db'` holds for no object"));
    let outcome = run(json!({"any": "object.spec.endpoints[0].interval == '15s'"}), monitors);
    assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
}

#[test]
fn any_over_no_objects_fails_while_all_holds_vacuously() {
    let outcome = run(json!({"count": {"atLeast": 0}, "any": "true", "all": "false"}), vec![]);
    assert_eq!(outcome, Outcome::failed("any `true` holds for no object"));
}

#[test]
fn a_cel_syntax_error_is_an_error_with_cels_position() {
    let outcome = run(json!({"all": "object.spec.(("}), vec![service_monitor("api", None)]);
    assert_eq!(outcome.state, ItemState::Error);
    assert!(outcome.message.starts_with("all: CEL does not compile: ERROR: <input>:1:"), "{}", outcome.message);
    assert!(!outcome.message.contains('\n'));
    // Even without any object to evaluate it against.
    assert_eq!(run(json!({"any": "1 +"}), vec![]).state, ItemState::Error);
}

/// Issue 13: a function CEL in Kubernetes lacks is an Error with cel-go's message, even with no
/// object to evaluate; Kubernetes' libraries work on the objects.
#[test]
fn an_unknown_function_is_an_error_and_the_kubernetes_libraries_work() {
    let outcome = run(json!({"all": "object.spec.endpoints.all(e, isDuration(e.interval))"}), vec![]);
    assert_eq!(
        outcome,
        Outcome::error(
            "all: CEL does not compile: ERROR: <input>:1:40: undeclared reference to 'isDuration' (in container '')"
        )
    );
    let all = "object.spec.endpoints.all(e, has(e.interval) && e.interval.find('[0-9]+').size() > 0)";
    let outcome = run(json!({"all": all}), vec![service_monitor("api", Some("30s")), service_monitor("web", None)]);
    assert_eq!(outcome.state, ItemState::Failed);
    assert!(outcome.message.contains("is false for servicemonitor/web"), "{}", outcome.message);
}

#[test]
fn wrong_variable_or_non_bool_result_is_an_error() {
    let outcome = run(json!({"all": "obj.spec != null"}), vec![service_monitor("api", None)]);
    assert_eq!(outcome.state, ItemState::Error);
    assert!(outcome.message.contains("'obj'"), "{}", outcome.message);
    let outcome = run(json!({"any": "object.metadata.name"}), vec![service_monitor("api", None)]);
    assert_eq!(outcome, Outcome::error("any: returned string, expected bool (for servicemonitor/api)"));
}

#[test]
fn missing_api_version_or_kind_and_bad_selection_are_spec_errors() {
    assert_eq!(run(json!({"kind": ""}), vec![]).state, ItemState::Error);
    assert_eq!(run(json!({"name": "a", "selector": {}}), vec![]).state, ItemState::Error);
}

#[test]
fn long_expressions_are_echoed_on_one_clipped_line() {
    let expr = format!("object.metadata.name != ''\n  && {}", "object.kind != '' && ".repeat(6) + "false");
    let outcome = run(json!({"all": expr}), vec![service_monitor("api", None)]);
    assert_eq!(
        outcome.message,
        "all `object.metadata.name != '' && object.kind != '' && object.kind != '' && object.k…` is false for servicemonitor/api"
    );
}

#[test]
fn long_lists_of_offenders_are_cut() {
    let monitors: Vec<Value> = (0..8).map(|i| service_monitor(&format!("m{i}"), None)).collect();
    let outcome = run(json!({"all": "false"}), monitors);
    assert!(outcome.message.ends_with("servicemonitor/m4 and 3 more"), "{}", outcome.message);
}

fn kube_prometheus(pattern: &str) -> Option<Vec<Value>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/manifests/kube-prometheus");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("notice: corpus folder {} is absent; skipping this test", dir.display());
        return None;
    };
    let mut paths: Vec<_> =
        entries.flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().contains(pattern)).collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).ok()?;
        out.push(serde_saphyr::from_str(&text).ok()?);
    }
    Some(out)
}

#[test]
fn kube_prometheus_service_monitors_all_but_one_set_a_scrape_interval() {
    let Some(monitors) = kube_prometheus("serviceMonitor") else { return };
    let spec = json!({"count": {"atLeast": 13}, "all": "object.spec.endpoints.all(e, has(e.interval))",
                      "any": "object.metadata.labels['app.kubernetes.io/name'] == 'grafana'"});
    let outcome = run_in("monitoring", spec, monitors);
    assert_eq!(
        outcome,
        Outcome::failed(
            "all `object.spec.endpoints.all(e, has(e.interval))` is false for servicemonitor/prometheus-operator"
        )
    );
}

#[test]
fn kube_prometheus_cluster_roles_are_visible_from_any_namespace() {
    let Some(roles) = kube_prometheus("clusterRole.yaml") else { return };
    let spec = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": "prometheus-k8s",
                      "all": "object.rules.exists(r, 'nodes/metrics' in r.resources)"});
    assert_eq!(run_in("shop", spec, roles).state, ItemState::Passed);
}

/// Issue 8: each object's evaluation is within the per-expression budget, but together they are
/// over the item's (Kubernetes' per-validation 1e8): the item is an Error, and the objects past
/// the limit are not evaluated.
#[test]
fn the_items_cost_across_objects_is_bounded() {
    // Estimated as quadratic in the list (each `exists` may visit every element), yet it stops
    // at the first element: the budget refuses on the estimate, not on time spent.
    let all = "object.spec.list.exists(x, object.spec.list.exists(y, y == x))";
    let config_map = |i: usize| {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i:02}"), "namespace": "shop"},
               "spec": {"list": (0..800).collect::<Vec<_>>()}})
    };
    let per_object = {
        let object = config_map(0);
        let program = compile(all).expect("compiles");
        Bound::new(&object).estimated_cost(&program).expect("within the per-expression budget")
    };
    assert!(per_object < crate::checks::cel::COST_LIMIT, "{per_object}");
    let fits = (crate::checks::cel::ITEM_COST_LIMIT / per_object).floor() as usize;
    let spec = json!({"apiVersion": "v1", "kind": "ConfigMap", "all": all});
    let within = run_in("shop", spec.clone(), (0..fits).map(config_map).collect());
    assert_eq!(within.state, ItemState::Passed, "{}", within.message);
    let over = run_in("shop", spec, (0..fits + 1).map(config_map).collect());
    assert_eq!(over.state, ItemState::Error, "{}", over.message);
    let expected = format!(
        "CEL cost budget exceeded: all: estimated cost {} over {} evaluations exceeds the item's budget 1e8 \
         across objects for configmap/cm-{fits:02}",
        crate::checks::cel::scientific(per_object * (fits + 1) as f64),
        fits + 1
    );
    assert_eq!(over.message, expected);
}
