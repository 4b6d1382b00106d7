//! Test fixtures for RBAC: roles, cluster roles, bindings and the subjects they name.

use serde_json::{Value, json};

use crate::inventory::Object;

/// An RBAC object in `namespace` (`None` for the cluster-scoped kinds), with `labels` and the
/// top-level keys of `rest` (`rules`, `roleRef`, `subjects`, `aggregationRule`).
pub(crate) fn rbac_object(kind: &str, namespace: Option<&str>, name: &str, labels: Value, rest: Value) -> Object {
    let mut value = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
                           "metadata": {"name": name, "labels": labels}});
    if let Some(namespace) = namespace {
        value["metadata"]["namespace"] = json!(namespace);
    }
    Object::from_value(crate::checks::fixtures::merged(value, rest), None).expect("a valid RBAC object")
}

pub(crate) fn role(namespace: &str, name: &str, rules: Value) -> Object {
    rbac_object("Role", Some(namespace), name, json!({}), json!({"rules": rules}))
}

pub(crate) fn cluster_role(name: &str, rules: Value) -> Object {
    rbac_object("ClusterRole", None, name, json!({}), json!({"rules": rules}))
}

/// A ClusterRole whose rules are the union of those of the ClusterRoles labelled `to: "true"`.
pub(crate) fn aggregating_role(name: &str, labels: Value, to: &str) -> Object {
    let rule = json!({"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {to: "true"}}]}});
    rbac_object("ClusterRole", None, name, labels, rule)
}

/// A RoleBinding of `role_ref` (kind, name) to `subjects`.
pub(crate) fn role_binding(namespace: &str, name: &str, role_ref: (&str, &str), subjects: Value) -> Object {
    rbac_object("RoleBinding", Some(namespace), name, json!({}), binding(role_ref, subjects))
}

pub(crate) fn cluster_role_binding(name: &str, role_ref: (&str, &str), subjects: Value) -> Object {
    rbac_object("ClusterRoleBinding", None, name, json!({}), binding(role_ref, subjects))
}

fn binding(role_ref: (&str, &str), subjects: Value) -> Value {
    json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_ref.0, "name": role_ref.1},
           "subjects": subjects})
}

/// `get pods`, the rule most scenarios grant.
pub(crate) fn get_pods_rule() -> Value {
    json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])
}

/// An `access` assertion of the `rbac` check.
pub(crate) fn access(subject: Value, verb: &str, resource: &str, api_group: &str, allowed: bool) -> Value {
    json!({"subject": subject, "verb": verb, "resource": resource, "apiGroup": api_group, "allowed": allowed})
}

/// One-subject lists, as `subjects` takes them.
pub(crate) fn user(name: &str) -> Value {
    json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": name}])
}

pub(crate) fn group(name: &str) -> Value {
    json!([{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": name}])
}

pub(crate) fn service_account(namespace: &str, name: &str) -> Value {
    json!([{"kind": "ServiceAccount", "name": name, "namespace": namespace}])
}
