//! The view of a RoleBinding or ClusterRoleBinding: the role it grants and to whom, as the
//! `rbac` check's authorizer reads them.

use serde::{Deserialize, Deserializer, Serialize};

use super::de::{items, lenient, nullable, text};
use super::meta::{Meta, is_default};

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BindingView {
    /// The name is how messages name the binding (views come without their inventory key).
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: Meta,
    /// A `roleRef` that is no mapping names no role (empty kind and name), as in Go.
    #[serde(default, deserialize_with = "role_ref", skip_serializing_if = "is_default")]
    pub role_ref: RoleRef,
    #[serde(default, deserialize_with = "items", skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<Subject>,
}

view_of!(BindingView: RoleBinding, ClusterRoleBinding);

impl BindingView {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }
}

/// `roleRef`: `Role` or `ClusterRole`, and its name. Missing or non-string fields are empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct RoleRef {
    #[serde(default, deserialize_with = "text", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, deserialize_with = "text", skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// One `subjects[]` entry. Missing or non-string fields are empty, as in Go; an empty
/// `namespace` is none (the binding's own applies).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Subject {
    #[serde(default, deserialize_with = "text", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, deserialize_with = "text", skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, deserialize_with = "non_empty", skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

fn role_ref<'de, D: Deserializer<'de>>(deserializer: D) -> Result<RoleRef, D::Error> {
    Ok(lenient::<D, RoleRef>(deserializer)?.unwrap_or_default())
}

fn non_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(lenient::<D, String>(deserializer)?.filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use crate::inventory::view::View as _;
    use serde_json::{Value, json};

    use super::*;
    use crate::checks::rbac::fixtures::{cluster_role_binding, role_binding, service_account, user};
    use crate::inventory::view::meta::round_trip::assert_round_trips;

    /// Reads the view, whatever the fields hold, and checks it round-trips.
    fn read(value: &Value) -> BindingView {
        assert_round_trips(value)
    }

    fn subject(kind: &str, name: &str, namespace: Option<&str>) -> Subject {
        Subject { kind: kind.into(), name: name.into(), namespace: namespace.map(str::to_owned) }
    }

    #[test]
    fn reads_the_role_and_the_subjects() {
        let view = read(&role_binding("shop", "ops", ("ClusterRole", "admin"), user("bob")).data);
        assert_eq!(view.name(), "ops");
        assert_eq!(view.role_ref, RoleRef { kind: "ClusterRole".into(), name: "admin".into() });
        assert_eq!(view.subjects, [subject("User", "bob", None)]);
        let sa = read(&cluster_role_binding("ci", ("ClusterRole", "edit"), service_account("ci", "deployer")).data);
        assert_eq!(sa.subjects, [subject("ServiceAccount", "deployer", Some("ci"))]);
    }

    /// The malformed shapes the JSON-pointer readers tolerated read the same way: empty
    /// strings for what is missing or not a string, an entry that is no mapping as a subject
    /// naming nobody, and a view that always reads.
    #[test]
    fn malformed_fields_read_as_the_pointer_readers_read_them() {
        let odd = read(&json!({"metadata": {"name": "b", "labels": ["x"]}, "roleRef": "admin",
            "subjects": [{"kind": "User", "name": 7}, "bob", {"kind": "ServiceAccount", "name": "a", "namespace": ""}]}));
        assert_eq!(odd.role_ref, RoleRef::default());
        assert_eq!(odd.subjects, [subject("User", "", None), Subject::default(), subject("ServiceAccount", "a", None)]);
        assert!(odd.labels().is_empty());
        let partial = read(&json!({"metadata": {"name": "b"}, "roleRef": {"kind": "Role", "name": null},
                                   "subjects": {"kind": "User"}}));
        assert_eq!(partial.role_ref, RoleRef { kind: "Role".into(), name: String::new() });
        assert!(partial.subjects.is_empty());
    }

    #[test]
    fn every_binding_of_the_corpus_round_trips() {
        let Some(objects) = crate::checks::corpus::objects("", "default") else { return };
        let bindings: Vec<BindingView> = objects
            .iter()
            .filter(|o| matches!(o.kind.as_str(), "RoleBinding" | "ClusterRoleBinding"))
            .map(|o| read(&o.data))
            .collect();
        assert!(bindings.len() > 20, "the corpus has bindings: {}", bindings.len());
    }
}
