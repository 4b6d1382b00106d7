//! Which checklists a change concerns: those in the change's namespace (every namespace for
//! cluster-scoped kinds) that read what changed, per their [`ChecklistReads`].

use std::sync::Arc;

use kube::runtime::reflector::ObjectRef;

use super::cache::Change;
use crate::api::ReadinessChecklist;
use crate::checks::ChecklistReads;
/// The checklists to re-evaluate after `change`.
pub fn affected(change: &Change, checklists: &[Arc<ReadinessChecklist>]) -> Vec<ObjectRef<ReadinessChecklist>> {
    checklists
        .iter()
        .filter(|c| match &change.namespace {
            Some(ns) => c.metadata.namespace.as_deref() == Some(ns.as_str()),
            None => true,
        })
        .filter(|c| ChecklistReads::of(c).reads_key(&change.kind_key))
        .map(|c| ObjectRef::from_obj(c.as_ref()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::kinds;

    fn checklist(ns: &str, name: &str, check: serde_json::Value) -> Arc<ReadinessChecklist> {
        Arc::new(
            serde_json::from_value(serde_json::json!({
                "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
                "metadata": {"name": name, "namespace": ns},
                "spec": {"items": [{"name": "x", "check": check}]}
            }))
            .expect("valid checklist"),
        )
    }

    fn hpa_check() -> serde_json::Value {
        serde_json::json!({"horizontalPodAutoscaler": {"target": {"kind": "Deployment", "name": "api"}}})
    }

    fn names(refs: Vec<ObjectRef<ReadinessChecklist>>) -> Vec<String> {
        refs.into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn an_hpa_change_reevaluates_only_hpa_readers_in_its_namespace() {
        let all = vec![
            checklist("novacron", "scaling", hpa_check()),
            checklist("novacron", "ingress", serde_json::json!({"ingress": {"hosts": ["api.novacron.io"]}})),
            checklist("other", "scaling", hpa_check()),
        ];
        let change = Change { kind_key: kinds::HPA.into(), namespace: Some("novacron".into()) };
        assert_eq!(names(affected(&change, &all)), ["scaling"]);
        assert_eq!(affected(&change, &all)[0].namespace.as_deref(), Some("novacron"));
    }

    #[test]
    fn cluster_scoped_changes_reach_every_namespace() {
        let rbac = serde_json::json!({"rbac": {"forbidClusterAdminBindings": true}});
        let all = vec![
            checklist("a", "one", rbac.clone()),
            checklist("b", "two", rbac),
            checklist("c", "three", hpa_check()),
        ];
        let change = Change::everywhere(kinds::CLUSTER_ROLE_BINDING);
        assert_eq!(names(affected(&change, &all)), ["one", "two"]);
    }

    #[test]
    fn signoffs_reach_the_checklists_of_their_namespace_they_can_change() {
        let manual = serde_json::json!({"manual": {"approvers": {"users": ["alice"]}}});
        let mut waivable = (*checklist("a", "waivable", hpa_check())).clone();
        waivable.spec.items[0].waivable_by =
            Some(serde_json::from_value(serde_json::json!({"groups": ["leads"]})).expect("principals"));
        let all = vec![
            checklist("a", "one", manual.clone()),
            Arc::new(waivable),
            checklist("a", "unwaivable", hpa_check()),
            checklist("b", "two", manual),
        ];
        let change = Change { kind_key: kinds::SIGNOFF.into(), namespace: Some("a".into()) };
        assert_eq!(names(affected(&change, &all)), ["one", "waivable"]);
    }

    #[test]
    fn whole_object_changes_reach_resource_items_and_projection_changes_the_catalogue() {
        let all = vec![
            checklist("a", "rules", serde_json::json!({"resource": {"apiVersion": "apps/v1", "kind": "Deployment"}})),
            checklist("a", "workloads", serde_json::json!({"workload": {"target": {}, "replicas": {"atLeast": 1}}})),
        ];
        let whole = Change { kind_key: crate::inventory::whole::key(kinds::DEPLOYMENT), namespace: Some("a".into()) };
        assert_eq!(names(affected(&whole, &all)), ["rules"]);
        let projected = Change { kind_key: kinds::DEPLOYMENT.into(), namespace: Some("a".into()) };
        assert_eq!(names(affected(&projected, &all)), ["workloads"]);
    }

    #[test]
    fn checklist_references_follow_other_checklists() {
        let all = vec![
            checklist("a", "umbrella", serde_json::json!({"checklist": {"name": "db"}})),
            checklist("a", "db", hpa_check()),
        ];
        let change = Change { kind_key: kinds::CHECKLIST.into(), namespace: Some("a".into()) };
        assert_eq!(names(affected(&change, &all)), ["umbrella"]);
    }
}
