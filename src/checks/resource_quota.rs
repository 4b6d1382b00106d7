//! `resourceQuota`: the namespace has quotas that set the required limits, with headroom, and a
//! LimitRange.

use std::sync::Arc;

use serde_json::Value;

use super::listing::list;
use super::quantity::{self, Quantity};
use super::{Outcome, Scope};
use crate::api::ResourceQuotaCheck;
use crate::inventory::kinds;
use crate::inventory::view::{LimitRangeView, ResourceQuotaView};

/// Quotas a message names before it only counts the rest.
const LISTED: usize = 8;

pub fn evaluate(spec: &ResourceQuotaCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::resource_quota(spec)) {
        return refused;
    }
    let quotas: Vec<Arc<ResourceQuotaView>> =
        match scope.inventory.views_in(kinds::RESOURCE_QUOTA, Some(scope.namespace)).collect() {
            Ok(quotas) => quotas,
            Err(e) => return Outcome::error(format!("{e}")),
        };
    if quotas.is_empty() {
        return Outcome::failed(format!("no ResourceQuota in namespace {}", scope.namespace));
    }
    let references: Vec<String> = quotas.iter().map(|q| q.reference()).collect();
    let names = list(&references, LISTED);
    let mut problems = Vec::new();

    let unset: Vec<&str> =
        spec.require_hard.iter().filter(|r| !quotas.iter().any(|q| sets_hard(q, r))).map(String::as_str).collect();
    if !unset.is_empty() {
        let unset = unset.join(", ");
        problems.push(match references.as_slice() {
            [one] => format!("{one} sets no hard {unset}"),
            _ => format!("none of {names} sets hard {unset}"),
        });
    }
    let mut notes = vec![names];
    if !spec.require_hard.is_empty() && problems.is_empty() {
        notes.push(format!("hard {}", spec.require_hard.join(", ")));
    }

    if let Some(max) = spec.max_used_ratio {
        match usage(&quotas, max) {
            Usage::Judged { highest, over } => {
                if over.is_empty() {
                    notes.push(format!("highest use {} (< {})", percent(highest), percent(max)));
                }
                problems.extend(over);
            }
            Usage::NoStatus => notes.push("maxUsedRatio not judged: no quota reports status.used".to_owned()),
        }
    }

    if spec.require_limit_range {
        match scope.inventory.views_in::<LimitRangeView>(kinds::LIMIT_RANGE, Some(scope.namespace)).next() {
            Some(Ok(limit_range)) => notes.push(format!("{} present", limit_range.reference())),
            Some(Err(e)) => return Outcome::error(format!("{e}")),
            None => problems.push(format!("no LimitRange in namespace {}", scope.namespace)),
        }
    }
    Outcome::from_problems(problems, notes.join("; "))
}

/// Whether the quota's `spec.hard` sets `resource`. Kubernetes charges a pod's requests to both
/// `cpu` and `requests.cpu` (likewise memory, ephemeral-storage and hugepages-*), so either
/// spelling sets the same limit.
fn sets_hard(quota: &ResourceQuotaView, resource: &str) -> bool {
    let bare = resource.strip_prefix("requests.").unwrap_or(resource);
    let aliased = matches!(bare, "cpu" | "memory" | "ephemeral-storage") || bare.starts_with("hugepages-");
    quota
        .spec
        .hard
        .keys()
        .any(|key| key == resource || (aliased && key.strip_prefix("requests.").unwrap_or(key) == bare))
}

enum Usage {
    /// The highest used/hard ratio seen, and one problem per resource at or over the limit.
    Judged { highest: f64, over: Vec<String> },
    /// No quota has `status.used` (offline manifests, or a quota the controller has not seen yet).
    NoStatus,
}

fn usage(quotas: &[Arc<ResourceQuotaView>], max: f64) -> Usage {
    let mut judged = false;
    let mut highest = 0.0f64;
    let mut over = Vec::new();
    for quota in quotas {
        let Some(used) = &quota.status.used else { continue };
        judged = true;
        for (resource, used_value) in used {
            let Some(hard_value) = quota.hard(resource) else { continue };
            match (quantity::from_json(used_value), quantity::from_json(hard_value)) {
                (Ok(used_q), Ok(hard_q)) => {
                    let ratio = ratio(used_q, hard_q);
                    highest = highest.max(ratio);
                    if ratio >= max {
                        over.push(format!(
                            "{} {resource} used {}/{} ({}, limit {})",
                            quota.reference(),
                            show(used_value),
                            show(hard_value),
                            percent(ratio),
                            percent(max)
                        ));
                    }
                }
                (Err(e), _) | (_, Err(e)) => over.push(format!("{} {resource}: {e}", quota.reference())),
            }
        }
    }
    if judged { Usage::Judged { highest, over } } else { Usage::NoStatus }
}

/// used/hard; a zero hard limit is full as soon as anything is used, and empty otherwise.
fn ratio(used: Quantity, hard: Quantity) -> f64 {
    if hard.is_zero() { if used.is_zero() { 0.0 } else { f64::INFINITY } } else { used.as_f64() / hard.as_f64() }
}

fn percent(ratio: f64) -> String {
    if ratio.is_finite() { format!("{:.0}%", ratio * 100.0) } else { "over a zero limit".to_owned() }
}

fn show(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::ItemState;
    use crate::checks::corpus;
    use crate::checks::fixtures::{World, object, resource};
    use crate::inventory::Object;

    fn quota(name: &str, hard: Value, status: Option<Value>) -> Object {
        let mut value = json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name},
                               "spec": {"hard": hard}});
        if let Some(status) = status {
            value["status"] = status;
        }
        object(value)
    }

    fn limit_range(namespace: &str) -> Object {
        let mut limits = resource(
            "v1",
            "LimitRange",
            "defaults",
            json!({"spec": {"limits": [{"type": "Container",
                                                                          "default": {"cpu": "500m"}}]}}),
        );
        limits.namespace = Some(namespace.to_owned());
        limits
    }

    fn run(spec: ResourceQuotaCheck, objects: Vec<Object>) -> Outcome {
        evaluate(&spec, &World::new(objects).scope())
    }

    fn require(resources: &[&str]) -> ResourceQuotaCheck {
        ResourceQuotaCheck { require_hard: resources.iter().map(|r| (*r).to_owned()).collect(), ..Default::default() }
    }

    fn max_ratio(ratio: f64) -> ResourceQuotaCheck {
        ResourceQuotaCheck { max_used_ratio: Some(ratio), ..Default::default() }
    }

    #[test]
    fn fails_when_the_namespace_has_no_quota() {
        let outcome = run(require(&["requests.cpu"]), vec![limit_range("shop")]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "no ResourceQuota in namespace shop");
    }

    #[test]
    fn ignores_quotas_of_other_namespaces() {
        let mut other = quota("compute", json!({"requests.cpu": "4"}), None);
        other.namespace = Some("other".to_owned());
        assert_eq!(run(require(&["requests.cpu"]), vec![other]).state, ItemState::Failed);
    }

    #[test]
    fn passes_when_some_quota_sets_every_required_resource() {
        let objects = vec![
            quota("compute", json!({"requests.cpu": "4", "limits.cpu": "8"}), None),
            quota("objects", json!({"pods": "20"}), None),
        ];
        let outcome = run(require(&["limits.cpu", "pods"]), objects);
        assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
        assert!(outcome.message.contains("resourcequota/compute"));
    }

    #[test]
    fn fails_naming_each_resource_no_quota_sets() {
        let outcome = run(require(&["limits.memory", "pods"]), vec![quota("compute", json!({"cpu": "4"}), None)]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "resourcequota/compute sets no hard limits.memory, pods");
        let two = vec![quota("compute", json!({"cpu": "4"}), None), quota("objects", json!({"secrets": "9"}), None)];
        assert_eq!(
            run(require(&["pods"]), two).message,
            "none of resourcequota/compute, resourcequota/objects sets hard pods"
        );
    }

    #[test]
    fn short_and_requests_forms_of_cpu_and_memory_are_the_same_limit() {
        let objects =
            vec![quota("compute", json!({"cpu": "4", "requests.memory": "8Gi", "ephemeral-storage": "10Gi"}), None)];
        let outcome = run(require(&["requests.cpu", "memory", "requests.ephemeral-storage"]), objects);
        assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
    }

    #[test]
    fn limits_are_not_aliases_of_requests() {
        let outcome = run(require(&["limits.cpu"]), vec![quota("compute", json!({"cpu": "4"}), None)]);
        assert_eq!(outcome.state, ItemState::Failed);
        let outcome = run(require(&["pods"]), vec![quota("compute", json!({"count/pods": "4"}), None)]);
        assert_eq!(outcome.state, ItemState::Failed, "count/pods counts terminated pods too; not the same limit");
    }

    #[test]
    fn passes_when_usage_stays_below_the_ratio() {
        let status = json!({"hard": {"requests.memory": "8Gi", "requests.cpu": "4"},
                            "used": {"requests.memory": "4Gi", "requests.cpu": "1500m"}});
        let objects = vec![quota("compute", json!({"requests.memory": "8Gi", "requests.cpu": "4"}), Some(status))];
        let outcome = run(max_ratio(0.8), objects);
        assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
        assert!(outcome.message.contains("highest use 50% (< 80%)"), "{}", outcome.message);
    }

    #[test]
    fn fails_when_a_resource_reaches_the_ratio_across_units() {
        let status = json!({"hard": {"requests.memory": "1Gi"}, "used": {"requests.memory": "972Mi"}});
        let outcome = run(max_ratio(0.9), vec![quota("compute", json!({"requests.memory": "1Gi"}), Some(status))]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "resourcequota/compute requests.memory used 972Mi/1Gi (95%, limit 90%)");
    }

    #[test]
    fn a_zero_hard_limit_with_usage_is_over_the_ratio() {
        let status = json!({"hard": {"services.loadbalancers": "0"}, "used": {"services.loadbalancers": "1"}});
        let outcome = run(max_ratio(0.9), vec![quota("lb", json!({"services.loadbalancers": "0"}), Some(status))]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert!(outcome.message.contains("over a zero limit"), "{}", outcome.message);
        let idle = json!({"hard": {"services.loadbalancers": "0"}, "used": {"services.loadbalancers": "0"}});
        let outcome = run(max_ratio(0.9), vec![quota("lb", json!({"services.loadbalancers": "0"}), Some(idle))]);
        assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
    }

    #[test]
    fn falls_back_to_spec_hard_and_reads_numeric_quantities() {
        let status = json!({"used": {"pods": 9}});
        let outcome = run(max_ratio(0.9), vec![quota("objects", json!({"pods": 10}), Some(status))]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert!(outcome.message.contains("pods used 9/10 (90%"), "{}", outcome.message);
    }

    #[test]
    fn an_unparsable_quantity_is_reported_not_ignored() {
        let status = json!({"hard": {"cpu": "4"}, "used": {"cpu": "lots"}});
        let outcome = run(max_ratio(0.9), vec![quota("compute", json!({"cpu": "4"}), Some(status))]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert!(outcome.message.starts_with("resourcequota/compute cpu: not a quantity"), "{}", outcome.message);
    }

    #[test]
    fn offline_quotas_without_status_skip_the_ratio_with_a_note() {
        let outcome = run(max_ratio(0.9), vec![quota("compute", json!({"cpu": "4"}), None)]);
        assert_eq!(outcome.state, ItemState::Passed);
        assert!(outcome.message.contains("maxUsedRatio not judged"), "{}", outcome.message);
    }

    #[test]
    fn rejects_a_ratio_that_is_not_positive() {
        for bad in [0.0, -0.5, f64::NAN, f64::INFINITY] {
            let outcome = run(max_ratio(bad), vec![quota("compute", json!({"cpu": "4"}), None)]);
            assert_eq!(outcome.state, ItemState::Error, "{bad}");
        }
    }

    #[test]
    fn requires_a_limit_range_in_the_same_namespace() {
        let spec = ResourceQuotaCheck { require_limit_range: true, ..Default::default() };
        let outcome = run(spec.clone(), vec![quota("compute", json!({"cpu": "4"}), None), limit_range("other")]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "no LimitRange in namespace shop");
        let outcome = run(spec, vec![quota("compute", json!({"cpu": "4"}), None), limit_range("shop")]);
        assert_eq!(outcome.state, ItemState::Passed);
        assert!(outcome.message.contains("limitrange/defaults present"));
    }

    #[test]
    fn kubernetes_docs_quotas_and_limit_range_meet_the_rules() {
        let Some(quota) = corpus::objects("kubernetes-docs-examples/admin__resource__quota-mem-cpu.yaml", "shop")
        else {
            return;
        };
        let Some(limits) = corpus::objects("kubernetes-docs-examples/admin__resource__cpu-constraints.yaml", "shop")
        else {
            return;
        };
        let spec = ResourceQuotaCheck {
            require_hard: vec!["cpu".to_owned(), "limits.memory".to_owned()],
            max_used_ratio: Some(0.9),
            require_limit_range: true,
        };
        let outcome = run(spec.clone(), quota.iter().cloned().chain(limits).collect());
        assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
        assert!(outcome.message.contains("maxUsedRatio not judged"), "{}", outcome.message);
        assert_eq!(run(spec, quota).message, "no LimitRange in namespace shop");
    }

    #[test]
    fn kubernetes_docs_scoped_quotas_set_short_form_cpu() {
        let Some(objects) = corpus::objects("kubernetes-docs-examples/policy__quota.yaml", "shop") else { return };
        let outcome = run(require(&["requests.cpu", "requests.memory", "pods"]), objects.clone());
        assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
        let outcome = run(require(&["limits.cpu"]), objects);
        assert!(outcome.message.ends_with("sets hard limits.cpu"), "{}", outcome.message);
    }

    /// Amounts that are not mappings read as none, as the JSON pointers found nothing in them.
    #[test]
    fn hard_and_used_that_are_not_mappings_set_nothing() {
        let listed = quota("compute", json!(["requests.cpu"]), Some(json!({"used": "all"})));
        let outcome = run(ResourceQuotaCheck { max_used_ratio: Some(0.9), ..require(&["requests.cpu"]) }, vec![listed]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "resourcequota/compute sets no hard requests.cpu");
        let mut unjudged = quota("compute", json!({"cpu": "4"}), Some(json!({"used": ["cpu"]})));
        assert_eq!(
            run(max_ratio(0.9), vec![unjudged.clone()]).message,
            "resourcequota/compute; maxUsedRatio not judged: no quota reports status.used"
        );
        // An empty usage is a usage of nothing, which is judged.
        unjudged.data["status"]["used"] = json!({});
        assert_eq!(run(max_ratio(0.9), vec![unjudged]).message, "resourcequota/compute; highest use 0% (< 90%)");
    }

    /// A `status` that is not a mapping cannot be read: an error naming the quota and the field.
    #[test]
    fn a_status_that_is_not_a_mapping_is_an_error_naming_the_quota() {
        let broken = quota("compute", json!({"cpu": "4"}), Some(json!("Active")));
        let outcome = run(require(&["cpu"]), vec![broken]);
        assert_eq!(outcome.state, ItemState::Error);
        assert!(outcome.message.starts_with("resourcequota/compute: status: invalid type"), "{}", outcome.message);
    }
}
