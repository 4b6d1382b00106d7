//! Which objects a set of checklists can read, so a loader can drop the rest as it reads them.
//!
//! A checklist reads the kinds its items name ([`super::reads`]) in its own namespace, plus
//! cluster-scoped objects of those kinds: the same view the controller gives an evaluation
//! (`Cache::snapshot`). Anything else in a manifest stream cannot change any decision, so
//! `readygate check` need not hold it; on a large stream that is most of the memory.

use std::collections::{BTreeSet, HashSet};

use crate::api::ReadinessChecklist;
use crate::inventory::Object;

/// The kinds and namespaces some checklist of a set reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interest {
    kinds: BTreeSet<String>,
    namespaces: HashSet<String>,
}

impl Interest {
    /// What `checklists` read. Checklists without a namespace are in `default`, as evaluated.
    pub fn of<'a>(checklists: impl IntoIterator<Item = &'a ReadinessChecklist>) -> Self {
        let mut interest = Interest::default();
        for checklist in checklists {
            interest.kinds.extend(super::reads(checklist));
            interest.namespaces.insert(checklist.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned()));
        }
        interest
    }

    /// Whether some checklist may read `object`: a kind one reads, in a namespace one is in
    /// (any, for an object without a namespace: cluster-scoped).
    pub fn wants(&self, object: &Object) -> bool {
        self.wants_key(&object.kind_key, object.namespace.as_deref())
    }

    /// [`Self::wants`] by kind key and namespace.
    pub fn wants_key(&self, kind_key: &str, namespace: Option<&str>) -> bool {
        self.kinds.contains(kind_key) && namespace.is_none_or(|ns| self.namespaces.contains(ns))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::inventory::kinds;

    fn checklist(namespace: Option<&str>, check: serde_json::Value) -> ReadinessChecklist {
        let mut metadata = json!({"name": "release"});
        if let Some(ns) = namespace {
            metadata["namespace"] = json!(ns);
        }
        serde_json::from_value(json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist", "metadata": metadata,
            "spec": {"items": [{"name": "a", "check": check}]}
        }))
        .expect("valid checklist")
    }

    fn object(kind: &str, api_version: &str, namespace: Option<&str>) -> Object {
        let mut value = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}});
        if let Some(ns) = namespace {
            value["metadata"]["namespace"] = json!(ns);
        }
        Object::from_value(value, None).expect("valid object")
    }

    #[test]
    fn wants_the_kinds_read_in_the_checklists_namespaces_and_cluster_wide() {
        let interest = Interest::of(&[
            checklist(
                Some("shop"),
                json!({"horizontalPodAutoscaler": {"target": {"kind": "Deployment", "name": "api"}}}),
            ),
            checklist(None, json!({"rbac": {}})),
        ]);
        assert!(interest.wants(&object("HorizontalPodAutoscaler", "autoscaling/v2", Some("shop"))));
        assert!(interest.wants(&object("Deployment", "apps/v1", Some("shop"))), "the scale target's kind");
        assert!(!interest.wants(&object("HorizontalPodAutoscaler", "autoscaling/v2", Some("other"))));
        assert!(!interest.wants(&object("ConfigMap", "v1", Some("shop"))));
        assert!(interest.wants(&object("Role", "rbac.authorization.k8s.io/v1", Some("default"))));
        assert!(interest.wants(&object("ClusterRole", "rbac.authorization.k8s.io/v1", None)));
        assert!(!interest.wants(&object("Namespace", "v1", None)));
        assert!(interest.wants_key(kinds::CLUSTER_ROLE_BINDING, None));
    }

    #[test]
    fn sign_offs_are_wanted_only_when_an_item_is_manual_or_waivable() {
        let manual = Interest::of(&[checklist(Some("shop"), json!({"manual": {"approvers": {"users": ["alice"]}}}))]);
        assert!(manual.wants_key(kinds::SIGNOFF, Some("shop")));
        let version = Interest::of(&[checklist(Some("shop"), json!({"kubernetesVersion": {"atLeast": "1.28"}}))]);
        assert!(!version.wants_key(kinds::SIGNOFF, Some("shop")));
        assert_eq!(version, Interest { kinds: BTreeSet::new(), namespaces: ["shop".to_owned()].into() });
    }
}
