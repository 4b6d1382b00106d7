//! A pure RBAC authorizer over the inventory, matching Kubernetes'
//! (`plugin/pkg/auth/authorizer/rbac` with `pkg/registry/rbac/validation/rule.go`): every
//! ClusterRoleBinding, then the RoleBindings of the request's namespace; the first rule that
//! allows the request decides, and the verdict says which binding and role granted it.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::aggregation::ClusterRole;
use super::cluster::{self, ClusterRbac};
use super::rules::{PolicyRule, ResourceRequest};
use super::subjects::{Requester, subject_applies};
use crate::inventory::view::binding::{RoleRef, Subject};
use crate::inventory::view::{BindingView, RoleView, ViewError};
use crate::inventory::{CatalogueKind, Inventory, kinds};

/// Which binding and role allowed a request: `rolebinding/ops` -> `clusterrole/admin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub binding: String,
    pub role: String,
}

/// The authorizer's answer, with the bindings that applied to the requester but name a role
/// the inventory lacks (Kubernetes ignores them; a report should say they were not judged).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub grant: Option<Grant>,
    pub missing_roles: Vec<String>,
}

impl Verdict {
    pub fn allowed(&self) -> bool {
        self.grant.is_some()
    }
}

/// A RoleBinding (in `namespace`) or a ClusterRoleBinding (`namespace` empty): its view, and
/// where it was found, which the view does not say (a RoleBinding loaded with `-n` carries no
/// `metadata.namespace` of its own).
#[derive(Clone, Debug)]
pub struct Binding {
    view: Arc<BindingView>,
    namespace: String,
    cluster_wide: bool,
}

impl Binding {
    /// A RoleBinding of `namespace`.
    pub(super) fn namespaced(view: Arc<BindingView>, namespace: &str) -> Binding {
        Binding { view, namespace: namespace.to_owned(), cluster_wide: false }
    }

    /// A ClusterRoleBinding.
    pub(super) fn cluster_wide(view: Arc<BindingView>) -> Binding {
        Binding { view, namespace: String::new(), cluster_wide: true }
    }

    pub fn role_ref(&self) -> &RoleRef {
        &self.view.role_ref
    }

    pub fn subjects(&self) -> &[Subject] {
        &self.view.subjects
    }

    /// `rolebinding/ops` or `clusterrolebinding/ops`.
    pub fn reference(&self) -> String {
        let kind = if self.cluster_wide { CatalogueKind::ClusterRoleBinding } else { CatalogueKind::RoleBinding };
        self.view.metadata.reference(kind)
    }

    /// `clusterrole/admin` / `role/reader`.
    pub fn role_reference(&self) -> String {
        let role = self.role_ref();
        format!("{}/{}", role.kind.to_ascii_lowercase(), role.name)
    }

    /// The namespace subjects default to: the binding's own, or none for a ClusterRoleBinding.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Kubernetes' `appliesTo`: does any subject name this requester?
    pub fn applies_to(&self, who: &Requester) -> bool {
        self.subjects().iter().any(|s| subject_applies(s, who, self.namespace()))
    }
}

/// RBAC state of one namespace plus the cluster-wide objects (shared, see `cluster`).
pub struct Authorizer<'a> {
    namespace: &'a str,
    cluster: Arc<ClusterRbac>,
    /// The namespace's Roles by name; their rules are read in place.
    roles: BTreeMap<String, Arc<RoleView>>,
    role_bindings: Vec<Binding>,
}

impl<'a> Authorizer<'a> {
    /// The authorizer of `namespace`; an RBAC object that cannot be read is an error naming it.
    pub fn new(inventory: &Inventory, namespace: &'a str) -> Result<Authorizer<'a>, ViewError> {
        let roles = inventory
            .views_in::<RoleView>(kinds::ROLE, Some(namespace))
            .map(|role| role.map(|role| (role.name().to_owned(), role)))
            .collect::<Result<_, _>>()?;
        let role_bindings = inventory
            .views_in::<BindingView>(kinds::ROLE_BINDING, Some(namespace))
            .map(|binding| binding.map(|binding| Binding::namespaced(binding, namespace)))
            .collect::<Result<_, _>>()?;
        Ok(Authorizer { namespace, cluster: cluster::resolve(inventory)?, roles, role_bindings })
    }

    pub fn namespace(&self) -> &str {
        self.namespace
    }

    pub fn cluster_role(&self, name: &str) -> Option<&ClusterRole> {
        self.cluster.roles.get(name)
    }

    pub fn has_role(&self, name: &str) -> bool {
        self.roles.contains_key(name)
    }

    pub fn cluster_role_bindings(&self) -> &[Binding] {
        &self.cluster.bindings
    }

    pub fn role_bindings(&self) -> &[Binding] {
        &self.role_bindings
    }

    /// The rules a binding's `roleRef` resolves to (`GetRoleReferenceRules`): a Role in the
    /// binding's namespace or a ClusterRole. `None` when the role is missing, or a
    /// ClusterRoleBinding names a Role (which Kubernetes cannot resolve either).
    pub fn rules_of(&self, binding: &Binding) -> Option<&[PolicyRule]> {
        let role = binding.role_ref();
        match role.kind.as_str() {
            "ClusterRole" => self.cluster.roles.get(&role.name).map(|r| r.rules.as_slice()),
            "Role" if binding.namespace() == self.namespace => self.roles.get(&role.name).map(|r| r.rules.as_slice()),
            _ => None,
        }
    }

    /// May `who` perform `request` in this authorizer's namespace?
    pub fn authorize(&self, who: &Requester, request: &ResourceRequest) -> Verdict {
        let mut verdict = Verdict::default();
        for binding in self.cluster.bindings.iter().chain(&self.role_bindings) {
            if !binding.applies_to(who) {
                continue;
            }
            match self.rules_of(binding) {
                None => verdict.missing_roles.push(format!("{} -> {}", binding.reference(), binding.role_reference())),
                Some(rules) if rules.iter().any(|rule| rule.allows(request)) => {
                    verdict.grant = Some(Grant { binding: binding.reference(), role: binding.role_reference() });
                    verdict.missing_roles.clear();
                    return verdict;
                }
                Some(_) => {}
            }
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::checks::rbac::fixtures::{
        aggregating_role, cluster_role, cluster_role_binding, get_pods_rule, group, rbac_object, role, role_binding,
        service_account, user,
    };
    use crate::inventory::Object;

    const NS: &str = "shop";

    fn get_pods() -> ResourceRequest {
        ResourceRequest { verb: "get".to_owned(), resource: "pods".to_owned(), ..ResourceRequest::default() }
    }

    fn verdict(objects: Vec<Object>, who: &Requester) -> Verdict {
        let inventory = Inventory::from_objects(objects);
        Authorizer::new(&inventory, NS).expect("readable RBAC objects").authorize(who, &get_pods())
    }

    /// The cluster role `pod-reader` (get pods) bound cluster-wide to `subjects`.
    fn pod_reader_for_the_cluster(subjects: Value) -> Vec<Object> {
        vec![
            cluster_role("pod-reader", get_pods_rule()),
            cluster_role_binding("crb", ("ClusterRole", "pod-reader"), subjects),
        ]
    }

    /// The role `reader` (get pods) of `namespace` bound there to `subjects`.
    fn reader_in(namespace: &str, subjects: Value) -> Vec<Object> {
        vec![role(namespace, "reader", get_pods_rule()), role_binding(namespace, "read", ("Role", "reader"), subjects)]
    }

    #[test]
    fn a_role_binding_grants_its_role_in_its_namespace_and_says_so() {
        let v = verdict(reader_in(NS, user("bob")), &Requester::user("bob"));
        assert_eq!(v.grant, Some(Grant { binding: "rolebinding/read".to_owned(), role: "role/reader".to_owned() }));
        assert!(!verdict(vec![], &Requester::user("bob")).allowed());
    }

    #[test]
    fn role_bindings_of_other_namespaces_grant_nothing_here() {
        assert!(!verdict(reader_in("other", user("bob")), &Requester::user("bob")).allowed());
    }

    #[test]
    fn a_role_binding_may_grant_a_cluster_role_within_its_namespace() {
        let objects = vec![
            cluster_role("pod-reader", get_pods_rule()),
            role_binding(NS, "read", ("ClusterRole", "pod-reader"), group("devs")),
        ];
        assert_eq!(
            verdict(objects, &Requester::group("devs")).grant.map(|g| g.role),
            Some("clusterrole/pod-reader".to_owned())
        );
    }

    #[test]
    fn a_cluster_role_binding_to_a_role_resolves_to_nothing() {
        let objects =
            vec![role(NS, "reader", get_pods_rule()), cluster_role_binding("odd", ("Role", "reader"), user("bob"))];
        let v = verdict(objects, &Requester::user("bob"));
        assert!(!v.allowed());
        assert_eq!(v.missing_roles, ["clusterrolebinding/odd -> role/reader"]);
    }

    #[test]
    fn service_account_subjects_default_to_the_role_binding_namespace() {
        let objects = reader_in(NS, json!([{"kind": "ServiceAccount", "name": "app"}]));
        assert!(verdict(objects.clone(), &Requester::service_account(NS, "app")).allowed());
        assert!(!verdict(objects, &Requester::service_account("other", "app")).allowed());
    }

    #[test]
    fn service_account_subjects_without_namespace_name_nobody_in_cluster_role_bindings() {
        let objects = pod_reader_for_the_cluster(json!([{"kind": "ServiceAccount", "name": "app"}]));
        assert!(!verdict(objects, &Requester::service_account(NS, "app")).allowed());
        let qualified = pod_reader_for_the_cluster(service_account(NS, "app"));
        assert!(verdict(qualified, &Requester::service_account(NS, "app")).allowed());
    }

    #[test]
    fn service_accounts_belong_to_their_groups_and_to_system_authenticated() {
        for holder in ["system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"] {
            let objects = pod_reader_for_the_cluster(group(holder));
            assert!(verdict(objects.clone(), &Requester::service_account(NS, "app")).allowed(), "{holder}");
            let devs_are_authenticated = holder == "system:authenticated";
            assert_eq!(verdict(objects, &Requester::group("devs")).allowed(), devs_are_authenticated, "{holder}");
        }
        let other_namespace = pod_reader_for_the_cluster(group("system:serviceaccounts:other"));
        assert!(!verdict(other_namespace, &Requester::service_account(NS, "app")).allowed());
    }

    #[test]
    fn every_user_and_every_group_member_is_authenticated_but_the_anonymous_one() {
        let objects = pod_reader_for_the_cluster(group("system:authenticated"));
        assert!(verdict(objects.clone(), &Requester::user("alice")).allowed());
        assert!(verdict(objects.clone(), &Requester::group("devs")).allowed());
        assert!(!verdict(objects.clone(), &Requester::group("system:unauthenticated")).allowed());
        assert!(!verdict(objects, &Requester::user("system:anonymous")).allowed());
    }

    #[test]
    fn bindings_to_missing_roles_are_ignored_but_reported() {
        let objects = vec![role_binding(NS, "edit", ("ClusterRole", "edit"), user("bob"))];
        let v = verdict(objects, &Requester::user("bob"));
        assert!(!v.allowed());
        assert_eq!(v.missing_roles, ["rolebinding/edit -> clusterrole/edit"]);
    }

    #[test]
    fn a_binding_to_cluster_admin_grants_everything_even_when_the_role_is_not_shipped() {
        let objects = vec![role_binding(NS, "admins", ("ClusterRole", "cluster-admin"), user("bob"))];
        let v = verdict(objects, &Requester::user("bob"));
        assert_eq!(v.grant.map(|g| g.role), Some("clusterrole/cluster-admin".to_owned()));
    }

    #[test]
    fn unknown_subject_kinds_and_bindings_without_subjects_name_nobody() {
        let objects = vec![
            role(NS, "reader", get_pods_rule()),
            role_binding(NS, "a", ("Role", "reader"), json!([{"kind": "Robot", "name": "bob"}])),
            role_binding(NS, "b", ("Role", "reader"), Value::Null),
        ];
        assert!(!verdict(objects, &Requester::user("bob")).allowed());
    }

    #[test]
    fn aggregated_cluster_roles_grant_what_they_aggregate() {
        let objects = vec![
            aggregating_role("monitoring", json!({}), "aggregate-to-monitoring"),
            rbac_object(
                "ClusterRole",
                None,
                "pods",
                json!({"aggregate-to-monitoring": "true"}),
                json!({"rules": get_pods_rule()}),
            ),
            role_binding(NS, "mon", ("ClusterRole", "monitoring"), user("bob")),
        ];
        assert!(verdict(objects, &Requester::user("bob")).allowed());
    }
}
