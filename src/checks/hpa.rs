//! `horizontalPodAutoscaler`: exactly one HPA scales the target, within the replica bounds asked.

use std::sync::Arc;

use super::{Mode, Outcome, Scope};
use crate::api::{HpaCheck, IntRange};
use crate::inventory::view::{HpaView, View, WorkloadView};
use crate::inventory::{Kind, group_of, kind_key, kinds};

pub fn evaluate(spec: &HpaCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::hpa(spec)) {
        return refused;
    }
    // Both set: the spec rules above hold.
    let (kind, name) =
        (spec.target.kind.as_deref().unwrap_or_default(), spec.target.name.as_deref().unwrap_or_default());
    let target = format!("{}/{name}", kind.to_ascii_lowercase());

    // An HPA that cannot be read might be the one that claims the target: an error, not a guess.
    let mut hpas: Vec<Arc<HpaView>> = Vec::new();
    for hpa in scope.inventory.views_in::<HpaView>(kinds::HPA, Some(scope.namespace)) {
        match hpa {
            Ok(hpa) if hpa.targets(kind, name) => hpas.push(hpa),
            Ok(_) => {}
            Err(e) => return Outcome::error(e.to_string()),
        }
    }

    let mut problems = Vec::new();
    if target_missing(scope, kind, name, &hpas) {
        problems.push(format!("target {target} not found"));
    }
    let hpa = match hpas.as_slice() {
        [] => {
            problems.insert(0, format!("no HorizontalPodAutoscaler targets {target}"));
            return Outcome::failed(problems.join("; "));
        }
        [hpa] => hpa,
        several => {
            let names: Vec<String> = several.iter().map(|h| h.short_name()).collect();
            problems.insert(
                0,
                format!(
                    "{} HorizontalPodAutoscalers target {target} ({}): the HPA controller refuses to scale a \
                     target claimed by several (AmbiguousSelector)",
                    several.len(),
                    names.join(", ")
                ),
            );
            return Outcome::failed(problems.join("; "));
        }
    };

    let min = hpa.spec.min_replicas_or_default();
    let max = hpa.spec.max_replicas;
    check_range(&mut problems, hpa, "minReplicas", Some(min), spec.min_replicas.as_ref());
    check_range(&mut problems, hpa, "maxReplicas", max, spec.max_replicas.as_ref());
    let max_text = max.map_or_else(|| "unset".to_owned(), |m| m.to_string());
    Outcome::from_problems(problems, format!("{} targets {target} min={min} max={max_text}", hpa.short_name()))
}

fn check_range(problems: &mut Vec<String>, hpa: &HpaView, field: &str, value: Option<i64>, range: Option<&IntRange>) {
    let Some(range) = range else { return };
    match value {
        Some(v) if range.contains(v) => {}
        Some(v) => problems.push(format!("{} {field} is {v}, expected {}", hpa.short_name(), range.describe())),
        None => problems.push(format!("{} has no {field}, expected {}", hpa.short_name(), range.describe())),
    }
}

/// The inventory key of a built-in scale target kind; custom kinds are known only from an HPA.
pub(super) fn scale_target_key(kind: &str) -> Option<String> {
    match kind {
        "Deployment" => Some(kinds::DEPLOYMENT.to_owned()),
        "StatefulSet" => Some(kinds::STATEFUL_SET.to_owned()),
        "ReplicaSet" => Some(kind_key("apps", "ReplicaSet")),
        _ => None,
    }
}

/// Whether we can tell the scale target is absent. Offline, the manifests are the whole world.
/// Live, the inventory holds only watched kinds: absence means something only for kinds the
/// inventory evidently holds, and only for the built-in kinds `checks::reads` lists (a custom
/// kind watched for another item would otherwise decide this one without re-evaluating it).
fn target_missing(scope: &Scope<'_>, kind: &str, name: &str, hpas: &[Arc<HpaView>]) -> bool {
    let mut keys: Vec<String> = scale_target_key(kind).into_iter().collect();
    // Custom scale targets (Argo Rollouts, KEDA-less CRDs): the group comes from the HPA's ref.
    if scope.facts.mode == Mode::Offline {
        keys.extend(
            hpas.iter()
                .filter_map(|h| h.spec.scale_target_ref.api_version.as_deref())
                .map(|v| kind_key(group_of(v), kind)),
        );
    }
    if keys.is_empty() {
        return false;
    }
    let present = keys.iter().any(|key| is_present(scope, &Kind::from_key(key), name));
    let observable = scope.facts.mode == Mode::Offline || keys.iter().any(|key| scope.inventory.has_kind(key));
    !present && observable
}

/// Whether the scale target exists. Deployments and StatefulSets are looked up through their
/// view, which the live cache keeps small, rather than built whole; one that cannot be read
/// still exists (the `workload` check reports what is wrong with it). Other targets (a
/// ReplicaSet, an Argo `Rollout`) have no view: their presence is all that is asked.
fn is_present(scope: &Scope<'_>, kind: &Kind, name: &str) -> bool {
    let namespace = Some(scope.namespace);
    match kind.catalogue() {
        Some(workload) if WorkloadView::KINDS.contains(&workload) => {
            scope.inventory.view::<WorkloadView>(workload, namespace, name).is_some()
        }
        _ => scope.inventory.get(kind.clone(), namespace, name).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::api::{ItemState, Target};
    use crate::checks::Facts;
    use crate::checks::corpus;
    use crate::checks::fixtures::{World, object, resource};
    use crate::inventory::Object;

    fn hpa(name: &str, api_version: &str, target_kind: &str, target: &str, min: Option<i64>, max: i64) -> Object {
        let mut value = json!({"apiVersion": api_version, "kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": target_kind, "name": target},
                     "maxReplicas": max}});
        if let Some(min) = min {
            value["spec"]["minReplicas"] = json!(min);
        }
        object(value)
    }

    fn deployment(name: &str) -> Object {
        workload("Deployment", name)
    }

    fn workload(kind: &str, name: &str) -> Object {
        resource("apps/v1", kind, name, json!({}))
    }

    fn spec(kind: &str, name: &str, min: Value, max: Value) -> HpaCheck {
        serde_json::from_value(json!({"target": {"kind": kind, "name": name}, "minReplicas": min, "maxReplicas": max}))
            .expect("valid spec")
    }

    fn at_least_3_and_10() -> HpaCheck {
        spec("Deployment", "api", json!({"atLeast": 3}), json!({"atLeast": 10, "atMost": 10}))
    }

    fn run_with(spec: &HpaCheck, objects: Vec<Object>, facts: Facts) -> Outcome {
        evaluate(spec, &World::new(objects).facts(facts).scope())
    }

    fn run(spec: &HpaCheck, objects: Vec<Object>) -> Outcome {
        run_with(spec, objects, Facts::offline())
    }

    #[test]
    fn passes_when_an_hpa_scales_the_target_within_bounds() {
        let objects = vec![deployment("api"), hpa("api", "autoscaling/v2", "Deployment", "api", Some(3), 10)];
        let outcome = run(&at_least_3_and_10(), objects);
        assert_eq!(outcome.state, ItemState::Passed);
        assert_eq!(outcome.message, "hpa/api targets deployment/api min=3 max=10");
    }

    #[test]
    fn autoscaling_v1_hpas_count_the_same() {
        let objects = vec![deployment("api"), hpa("web-scaler", "autoscaling/v1", "Deployment", "api", Some(3), 10)];
        assert_eq!(run(&at_least_3_and_10(), objects).state, ItemState::Passed);
    }

    #[test]
    fn fails_when_hpa_min_is_below_three() {
        let objects = vec![deployment("api"), hpa("api", "autoscaling/v2", "Deployment", "api", Some(2), 10)];
        let outcome = run(&at_least_3_and_10(), objects);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "hpa/api minReplicas is 2, expected >= 3");
    }

    #[test]
    fn min_replicas_defaults_to_one_when_absent() {
        let objects = vec![deployment("api"), hpa("api", "autoscaling/v2", "Deployment", "api", None, 10)];
        let outcome = run(&at_least_3_and_10(), objects);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "hpa/api minReplicas is 1, expected >= 3");
    }

    #[test]
    fn fails_when_max_is_outside_the_range() {
        let objects = vec![deployment("api"), hpa("api", "autoscaling/v2", "Deployment", "api", Some(3), 20)];
        let outcome = run(&at_least_3_and_10(), objects);
        assert_eq!(outcome.message, "hpa/api maxReplicas is 20, expected = 10");
    }

    #[test]
    fn fails_when_no_hpa_targets_the_workload() {
        let objects =
            vec![deployment("api"), deployment("web"), hpa("web", "autoscaling/v2", "Deployment", "web", Some(3), 10)];
        let outcome = run(&at_least_3_and_10(), objects);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "no HorizontalPodAutoscaler targets deployment/api");
    }

    #[test]
    fn the_target_kind_must_match_not_just_the_name() {
        let objects = vec![deployment("api"), hpa("api", "autoscaling/v2", "StatefulSet", "api", Some(3), 10)];
        assert_eq!(run(&at_least_3_and_10(), objects).state, ItemState::Failed);
    }

    #[test]
    fn fails_when_several_hpas_claim_the_same_workload() {
        let objects = vec![
            deployment("api"),
            hpa("api", "autoscaling/v2", "Deployment", "api", Some(3), 10),
            hpa("api-legacy", "autoscaling/v1", "Deployment", "api", Some(3), 10),
        ];
        let outcome = run(&at_least_3_and_10(), objects);
        assert_eq!(outcome.state, ItemState::Failed);
        assert!(
            outcome.message.starts_with("2 HorizontalPodAutoscalers target deployment/api (hpa/api, hpa/api-legacy)")
        );
    }

    #[test]
    fn reports_a_target_missing_from_the_manifests() {
        let objects = vec![hpa("api", "autoscaling/v2", "Deployment", "api", Some(3), 10)];
        let outcome = run(&at_least_3_and_10(), objects);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "target deployment/api not found");
    }

    #[test]
    fn live_does_not_call_a_target_missing_when_its_kind_is_not_in_the_inventory() {
        let objects = vec![hpa("api", "autoscaling/v2", "Deployment", "api", Some(3), 10)];
        assert_eq!(run_with(&at_least_3_and_10(), objects, Facts::live()).state, ItemState::Passed);
        let objects = vec![deployment("web"), hpa("api", "autoscaling/v2", "Deployment", "api", Some(3), 10)];
        assert_eq!(run_with(&at_least_3_and_10(), objects, Facts::live()).state, ItemState::Failed);
    }

    #[test]
    fn finds_custom_scale_targets_through_the_ref_group() {
        let mut rollout = hpa("api", "autoscaling/v2", "Rollout", "api", Some(3), 10);
        rollout.data["spec"]["scaleTargetRef"]["apiVersion"] = json!("argoproj.io/v1alpha1");
        let target = resource("argoproj.io/v1alpha1", "Rollout", "api", json!({}));
        let check = spec("Rollout", "api", json!({"atLeast": 3}), json!({}));
        assert_eq!(run(&check, vec![rollout.clone(), target]).state, ItemState::Passed);
        assert_eq!(run(&check, vec![rollout]).message, "target rollout/api not found");
    }

    #[test]
    fn statefulsets_are_scale_targets_too() {
        let objects = vec![workload("StatefulSet", "db"), hpa("db", "autoscaling/v2", "StatefulSet", "db", Some(3), 5)];
        let check = spec("StatefulSet", "db", json!({"atLeast": 3}), json!({"atMost": 5}));
        assert_eq!(run(&check, objects).state, ItemState::Passed);
    }

    #[test]
    fn an_incomplete_target_is_a_spec_error() {
        let no_kind =
            HpaCheck { target: Target { name: Some("api".to_owned()), ..Target::default() }, ..HpaCheck::default() };
        assert_eq!(run(&no_kind, vec![]).state, ItemState::Error);
        let no_name = HpaCheck {
            target: Target { kind: Some("Deployment".to_owned()), ..Target::default() },
            ..HpaCheck::default()
        };
        assert_eq!(run(&no_name, vec![]).state, ItemState::Error);
        let with_selector: HpaCheck = serde_json::from_value(
            json!({"target": {"kind": "Deployment", "selector": {"matchLabels": {"app": "api"}}}}),
        )
        .expect("valid spec");
        assert_eq!(run(&with_selector, vec![]).state, ItemState::Error);
    }

    #[test]
    fn podinfo_hpa_scales_its_deployment_from_two_to_four() {
        let Some(hpa) = corpus::objects("podinfo/kustomize/hpa.yaml", "shop") else { return };
        let Some(deployment) = corpus::objects("podinfo/kustomize/deployment.yaml", "shop") else { return };
        let objects: Vec<Object> = hpa.into_iter().chain(deployment).collect();
        let check = spec("Deployment", "podinfo", json!({"atLeast": 2}), json!({"atMost": 4}));
        let outcome = run(&check, objects.clone());
        assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
        assert_eq!(outcome.message, "hpa/podinfo targets deployment/podinfo min=2 max=4");
        let stricter = spec("Deployment", "podinfo", json!({"atLeast": 3}), json!({}));
        assert_eq!(run(&stricter, objects).message, "hpa/podinfo minReplicas is 2, expected >= 3");
    }

    #[test]
    fn kubernetes_docs_php_apache_hpa_without_its_deployment_names_the_missing_target() {
        let Some(hpa) = corpus::objects("kubernetes-docs-examples/application__hpa__php-apache.yaml", "shop") else {
            return;
        };
        let check = spec("Deployment", "php-apache", json!({"atLeast": 1}), json!({"atLeast": 10}));
        assert_eq!(run(&check, hpa.clone()).message, "target deployment/php-apache not found");
        let Some(app) = corpus::objects("kubernetes-docs-examples/application__php-apache.yaml", "shop") else {
            return;
        };
        assert_eq!(run(&check, hpa.into_iter().chain(app).collect()).state, ItemState::Passed);
    }

    #[test]
    fn a_target_that_cannot_be_read_still_exists() {
        // Judging the Deployment is the `workload` check's business, not the HPA's.
        let broken =
            resource("apps/v1", "Deployment", "api", json!({"spec": {"template": {"spec": {"containers": "api"}}}}));
        let objects = vec![broken, hpa("api", "autoscaling/v2", "Deployment", "api", Some(3), 10)];
        assert_eq!(run(&at_least_3_and_10(), objects).state, ItemState::Passed);
    }

    #[test]
    fn an_hpa_that_cannot_be_read_is_an_error_naming_it() {
        // It might be the one that claims the target, so no answer is given without it.
        let mut broken = hpa("legacy", "autoscaling/v1", "Deployment", "api", Some(3), 10);
        broken.data["spec"]["scaleTargetRef"] = json!("deployment/api");
        let objects = vec![deployment("api"), hpa("api", "autoscaling/v2", "Deployment", "api", Some(3), 10), broken];
        let outcome = run(&at_least_3_and_10(), objects);
        assert_eq!(outcome.state, ItemState::Error);
        assert!(
            outcome.message.starts_with("horizontalpodautoscaler/legacy: spec.scaleTargetRef: invalid type"),
            "{}",
            outcome.message
        );
    }

    #[test]
    fn replica_fields_of_the_wrong_type_read_as_unset() {
        let mut odd = hpa("api", "autoscaling/v2", "Deployment", "api", None, 10);
        odd.data["spec"]["minReplicas"] = json!("3");
        odd.data["spec"]["maxReplicas"] = json!("10");
        let outcome = run(&at_least_3_and_10(), vec![deployment("api"), odd]);
        assert_eq!(
            outcome.message,
            "hpa/api minReplicas is 1, expected >= 3; hpa/api has no maxReplicas, expected = 10"
        );
    }
}
