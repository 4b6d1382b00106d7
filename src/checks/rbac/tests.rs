//! `rbac` scenarios: role existence, access assertions with their "why", and cluster-admin
//! bindings, over small RBAC fixtures.

use serde_json::{Value, json};

use super::fixtures::{
    access, cluster_role, cluster_role_binding, group, rbac_object, role, role_binding, service_account, user,
};
use super::*;
use crate::api::ItemState;
use crate::checks::Facts;
use crate::checks::fixtures::{World, assert_state};
use crate::inventory::Object;

const NS: &str = "novacron";

/// The parts of the upstream `admin` role these tests need.
fn admin_role() -> Object {
    cluster_role(
        "admin",
        json!([{"apiGroups": ["apps"], "resources": ["deployments", "deployments/scale"],
                "verbs": ["get", "list", "watch", "create", "delete", "patch", "update"]}]),
    )
}

fn run_with(spec: Value, objects: Vec<Object>, facts: Facts) -> Outcome {
    let world = World::new(objects).facts(facts).namespace(NS);
    evaluate(&serde_json::from_value(spec).expect("valid rbac spec"), &world.scope())
}

fn run(spec: Value, objects: Vec<Object>) -> Outcome {
    run_with(spec, objects, Facts::offline())
}

// --- roles

#[test]
fn passes_when_the_listed_roles_exist() {
    let objects = vec![role(NS, "reader", json!([])), cluster_role("auditor", json!([]))];
    let spec = json!({"roles": [{"kind": "Role", "name": "reader"}, {"kind": "ClusterRole", "name": "auditor"}]});
    assert_state(&run(spec, objects), ItemState::Passed, "role/reader, clusterrole/auditor exist");
}

#[test]
fn fails_naming_each_missing_role() {
    let mut elsewhere = role(NS, "reader", json!([]));
    elsewhere.namespace = Some("other".to_owned());
    let spec = json!({"roles": [{"kind": "Role", "name": "reader"}, {"kind": "ClusterRole", "name": "auditor"}]});
    assert_state(
        &run(spec, vec![elsewhere]),
        ItemState::Failed,
        "role/reader not found in namespace novacron; clusterrole/auditor not found",
    );
}

#[test]
fn cluster_admin_exists_in_every_cluster() {
    let spec = json!({"roles": [{"kind": "ClusterRole", "name": "cluster-admin"}]});
    assert_state(&run(spec, vec![]), ItemState::Passed, "clusterrole/cluster-admin (Kubernetes default) exists");
}

#[test]
fn the_default_user_roles_exist_offline_even_when_the_manifests_lack_them() {
    let spec = json!({"roles": [{"kind": "ClusterRole", "name": "view"}, {"kind": "ClusterRole", "name": "edit"}]});
    assert_state(
        &run(spec.clone(), vec![]),
        ItemState::Passed,
        "clusterrole/view (Kubernetes default), clusterrole/edit (Kubernetes default) exist",
    );
    assert_state(&run_with(spec, vec![], Facts::live()), ItemState::Failed, "clusterrole/view not found");
}

// --- access

#[test]
fn fails_when_a_user_may_do_what_is_forbidden_and_names_the_binding_and_role() {
    let objects = vec![admin_role(), role_binding(NS, "ops", ("ClusterRole", "admin"), user("viewer-bob"))];
    let spec = json!({"access": [access(json!({"kind": "User", "name": "viewer-bob"}), "delete", "deployments", "apps", false)]});
    let outcome = run(spec, objects);
    assert_eq!(outcome.state, ItemState::Failed);
    assert_eq!(
        outcome.message,
        "User viewer-bob can delete deployments (via rolebinding/ops -> clusterrole/admin) but allowed: false"
    );
}

#[test]
fn fails_when_a_service_account_lacks_a_subresource_permission() {
    let objects = vec![
        role(NS, "deployer", json!([{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"]}])),
        role_binding(NS, "operator", ("Role", "deployer"), json!([{"kind": "ServiceAccount", "name": "operator"}])),
    ];
    let spec = json!({"access": [{"subject": {"kind": "ServiceAccount", "name": "operator"}, "verb": "patch",
                                  "resource": "deployments", "subresource": "scale", "apiGroup": "apps",
                                  "allowed": true}]});
    let outcome = run(spec, objects);
    assert_eq!(outcome.state, ItemState::Failed);
    assert_eq!(outcome.message, "ServiceAccount novacron/operator cannot patch deployments/scale");
}

#[test]
fn passes_when_every_assertion_holds_and_says_why() {
    let objects = vec![admin_role(), role_binding(NS, "ops", ("ClusterRole", "admin"), user("alice"))];
    let spec = json!({"access": [
        access(json!({"kind": "User", "name": "alice"}), "patch", "deployments/scale", "apps", true),
        access(json!({"kind": "User", "name": "mallory"}), "get", "deployments", "apps", false),
    ]});
    assert_state(
        &run(spec, objects),
        ItemState::Passed,
        "User alice can patch deployments/scale (via rolebinding/ops -> clusterrole/admin); User mallory cannot get deployments",
    );
}

#[test]
fn many_holding_assertions_are_counted_not_listed() {
    let objects = vec![admin_role(), role_binding(NS, "ops", ("ClusterRole", "admin"), user("alice"))];
    let checks: Vec<Value> = ["get", "list", "watch", "create"]
        .iter()
        .map(|verb| access(json!({"kind": "User", "name": "alice"}), verb, "deployments", "apps", true))
        .collect();
    let outcome = run(json!({"access": checks}), objects);
    assert_eq!(outcome.message, "all 4 access assertions hold");
}

#[test]
fn a_service_account_of_another_namespace_can_be_bound_here() {
    let objects =
        vec![admin_role(), role_binding(NS, "ci", ("ClusterRole", "admin"), service_account("ci", "deployer"))];
    let ok = access(
        json!({"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"}),
        "create",
        "deployments",
        "apps",
        true,
    );
    let local = access(json!({"kind": "ServiceAccount", "name": "deployer"}), "create", "deployments", "apps", false);
    assert_eq!(run(json!({"access": [ok, local]}), objects).state, ItemState::Passed);
}

#[test]
fn the_api_group_must_match() {
    let objects = vec![admin_role(), role_binding(NS, "ops", ("ClusterRole", "admin"), user("alice"))];
    let core = access(json!({"kind": "User", "name": "alice"}), "get", "deployments", "", true);
    assert_state(&run(json!({"access": [core]}), objects), ItemState::Failed, "User alice cannot get deployments");
}

#[test]
fn resource_names_limit_what_is_granted() {
    let objects = vec![
        role(
            NS,
            "config",
            json!([{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["app"], "verbs": ["get", "list"]}]),
        ),
        role_binding(NS, "config", ("Role", "config"), user("alice")),
    ];
    let named = |name: Option<&str>, verb: &str, allowed: bool| {
        json!({"subject": {"kind": "User", "name": "alice"}, "verb": verb, "resource": "configmaps",
               "resourceName": name, "allowed": allowed})
    };
    let spec = json!({"access": [named(Some("app"), "get", true), named(Some("db"), "get", false), named(None, "list", false)]});
    assert_eq!(run(spec, objects).state, ItemState::Passed);
}

#[test]
fn bindings_to_system_authenticated_apply_to_users_service_accounts_and_every_group_member() {
    let objects = vec![
        cluster_role("pod-reader", json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])),
        cluster_role_binding("everyone", ("ClusterRole", "pod-reader"), group("system:authenticated")),
    ];
    let spec = json!({"access": [
        access(json!({"kind": "User", "name": "anyone"}), "get", "pods", "", true),
        access(json!({"kind": "ServiceAccount", "name": "app"}), "get", "pods", "", true),
        access(json!({"kind": "Group", "name": "contractors"}), "get", "pods", "", true),
        access(json!({"kind": "Group", "name": "system:authenticated"}), "get", "pods", "", true),
        access(json!({"kind": "Group", "name": "system:unauthenticated"}), "get", "pods", "", false),
    ]});
    assert_eq!(run(spec, objects).state, ItemState::Passed);
}

/// Issue 14: every member of `viewers` is authenticated, so a grant to `system:authenticated`
/// reaches them; a prohibition for the group must fail, not pass.
#[test]
fn a_prohibition_for_a_group_fails_when_system_authenticated_may_do_it() {
    let objects = vec![
        cluster_role("secret-reader", json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}])),
        cluster_role_binding("everyone", ("ClusterRole", "secret-reader"), group("system:authenticated")),
    ];
    let spec = json!({"access": [access(json!({"kind": "Group", "name": "viewers"}), "get", "secrets", "", false)]});
    assert_state(
        &run(spec, objects),
        ItemState::Failed,
        "Group viewers can get secrets (via clusterrolebinding/everyone -> clusterrole/secret-reader) but allowed: false",
    );
}

#[test]
fn members_of_a_namespace_service_account_group_carry_system_serviceaccounts() {
    let objects = vec![
        cluster_role("pod-reader", json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])),
        cluster_role_binding("sas", ("ClusterRole", "pod-reader"), group("system:serviceaccounts")),
    ];
    let spec = json!({"access": [
        access(json!({"kind": "Group", "name": "system:serviceaccounts:novacron"}), "get", "pods", "", true),
        access(json!({"kind": "Group", "name": "viewers"}), "get", "pods", "", false),
    ]});
    assert_eq!(run(spec, objects).state, ItemState::Passed);
}

#[test]
fn bindings_to_the_service_account_groups_apply_to_service_accounts_of_that_namespace() {
    let objects = vec![
        cluster_role("pod-reader", json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])),
        role_binding(NS, "sas", ("ClusterRole", "pod-reader"), group("system:serviceaccounts:novacron")),
    ];
    let spec = json!({"access": [
        access(json!({"kind": "ServiceAccount", "name": "app"}), "get", "pods", "", true),
        access(json!({"kind": "ServiceAccount", "name": "app", "namespace": "other"}), "get", "pods", "", false),
        access(json!({"kind": "User", "name": "alice"}), "get", "pods", "", false),
    ]});
    assert_eq!(run(spec, objects).state, ItemState::Passed);
}

#[test]
fn cluster_role_bindings_grant_in_every_namespace() {
    let objects = vec![admin_role(), cluster_role_binding("global", ("ClusterRole", "admin"), user("alice"))];
    let spec =
        json!({"access": [access(json!({"kind": "User", "name": "alice"}), "delete", "deployments", "apps", true)]});
    assert_state(&run(spec, objects), ItemState::Passed, "via clusterrolebinding/global -> clusterrole/admin");
}

#[test]
fn aggregated_cluster_roles_are_computed_from_offline_manifests() {
    let objects = vec![
        rbac_object(
            "ClusterRole",
            None,
            "monitoring-edit",
            json!({}),
            json!({"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"example.com/aggregate-to-monitoring": "true"}}]},
                   "rules": []}),
        ),
        rbac_object(
            "ClusterRole",
            None,
            "servicemonitors-edit",
            json!({"example.com/aggregate-to-monitoring": "true"}),
            json!({"rules": [{"apiGroups": ["monitoring.coreos.com"], "resources": ["servicemonitors"], "verbs": ["*"]}]}),
        ),
        role_binding(NS, "mon", ("ClusterRole", "monitoring-edit"), user("alice")),
    ];
    let spec = json!({"access": [access(json!({"kind": "User", "name": "alice"}), "create", "servicemonitors", "monitoring.coreos.com", true)]});
    assert_state(&run(spec, objects), ItemState::Passed, "via rolebinding/mon -> clusterrole/monitoring-edit");
}

#[test]
fn a_binding_to_a_missing_role_grants_nothing_and_the_message_says_it_was_not_judged() {
    let objects = vec![role_binding(NS, "ops", ("ClusterRole", "edit"), user("bob"))];
    let spec =
        json!({"access": [access(json!({"kind": "User", "name": "bob"}), "update", "deployments", "apps", true)]});
    assert_state(
        &run(spec, objects),
        ItemState::Failed,
        "User bob cannot update deployments (not judged, role missing: rolebinding/ops -> clusterrole/edit)",
    );
}

#[test]
fn a_subresource_given_twice_is_an_error() {
    let spec = json!({"access": [{"subject": {"kind": "User", "name": "a"}, "verb": "get", "resource": "pods/log",
                                  "subresource": "log", "allowed": true}]});
    assert_state(&run(spec, vec![]), ItemState::Error, "access[0]: give the subresource either");
}

#[test]
fn an_assertion_without_a_subject_name_is_an_error() {
    let spec = json!({"access": [access(json!({"kind": "User", "name": " "}), "get", "pods", "", true)]});
    assert_state(&run(spec, vec![]), ItemState::Error, "access[0]: subject.name is empty");
}

// --- forbidClusterAdminBindings

fn forbid() -> Value {
    json!({"forbidClusterAdminBindings": true})
}

#[test]
fn forbids_a_role_binding_to_cluster_admin_even_when_the_role_is_not_shipped() {
    let objects = vec![role_binding(NS, "admins", ("ClusterRole", "cluster-admin"), user("bob"))];
    assert_state(
        &run(forbid(), objects),
        ItemState::Failed,
        "rolebinding/admins grants clusterrole/cluster-admin to User bob",
    );
}

#[test]
fn forbids_a_cluster_role_binding_of_cluster_admin_to_a_service_account_of_the_namespace() {
    let objects = vec![cluster_role_binding("ci-admin", ("ClusterRole", "cluster-admin"), service_account(NS, "ci"))];
    assert_state(
        &run(forbid(), objects),
        ItemState::Failed,
        "clusterrolebinding/ci-admin grants clusterrole/cluster-admin to ServiceAccount novacron/ci",
    );
}

#[test]
fn ignores_cluster_admin_bindings_of_other_namespaces_subjects() {
    let objects = vec![
        cluster_role_binding("theirs", ("ClusterRole", "cluster-admin"), service_account("kube-system", "ci")),
        cluster_role_binding("people", ("ClusterRole", "cluster-admin"), group("platform-admins")),
    ];
    assert_state(
        &run(forbid(), objects),
        ItemState::Passed,
        "no binding grants cluster-admin to subjects of namespace novacron",
    );
}

#[test]
fn forbids_cluster_admin_for_groups_that_hold_the_namespace_service_accounts() {
    for holder in ["system:serviceaccounts:novacron", "system:serviceaccounts", "system:authenticated"] {
        let objects = vec![cluster_role_binding("wide", ("ClusterRole", "cluster-admin"), group(holder))];
        assert_state(&run(forbid(), objects), ItemState::Failed, &format!("to Group {holder}"));
    }
}

#[test]
fn forbids_a_service_account_named_as_a_user() {
    let objects = vec![cluster_role_binding(
        "sneaky",
        ("ClusterRole", "cluster-admin"),
        user("system:serviceaccount:novacron:ci"),
    )];
    assert_state(&run(forbid(), objects), ItemState::Failed, "clusterrolebinding/sneaky");
}

#[test]
fn forbids_roles_with_every_verb_on_every_resource() {
    let god = json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]);
    let objects = vec![role(NS, "god", god), role_binding(NS, "god", ("Role", "god"), user("bob"))];
    assert_state(
        &run(forbid(), objects),
        ItemState::Failed,
        "rolebinding/god grants role/god (a rule with * verbs on * resources) to User bob",
    );
}

#[test]
fn forbids_aggregated_roles_that_end_up_with_every_verb_on_every_resource() {
    let objects = vec![
        rbac_object(
            "ClusterRole",
            None,
            "sum",
            json!({}),
            json!({"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to-sum": "true"}}]}}),
        ),
        rbac_object(
            "ClusterRole",
            None,
            "part",
            json!({"to-sum": "true"}),
            json!({"rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
        ),
        cluster_role_binding("sum", ("ClusterRole", "sum"), service_account(NS, "ci")),
    ];
    assert_state(&run(forbid(), objects), ItemState::Failed, "clusterrolebinding/sum grants clusterrole/sum");
}

#[test]
fn allows_wildcards_narrower_than_everything() {
    let objects = vec![
        role(NS, "pods-admin", json!([{"apiGroups": [""], "resources": ["*"], "verbs": ["*"]}])),
        role_binding(NS, "pods", ("Role", "pods-admin"), user("bob")),
    ];
    assert_eq!(run(forbid(), objects).state, ItemState::Passed);
}

// --- spec and inventory problems

#[test]
fn an_empty_spec_is_an_error() {
    assert_state(&run(json!({}), vec![]), ItemState::Error, "nothing to check");
}

#[test]
fn an_unreadable_rbac_kind_is_an_error() {
    let mut facts = Facts::live();
    facts.unavailable_kinds.insert(kinds::CLUSTER_ROLE_BINDING.to_owned(), "forbidden".to_owned());
    assert_state(
        &run_with(forbid(), vec![], facts.clone()),
        ItemState::Error,
        "cannot read ClusterRoleBinding.rbac.authorization.k8s.io: forbidden",
    );
    let roles_only = json!({"roles": [{"kind": "ClusterRole", "name": "cluster-admin"}]});
    assert_eq!(run_with(roles_only, vec![], facts).state, ItemState::Passed);
}

// --- malformed RBAC objects: judged as the JSON-pointer readers judged them, never refused

#[test]
fn a_binding_whose_role_ref_is_no_mapping_names_no_role_and_is_reported_as_not_judged() {
    let objects = vec![rbac_object(
        "RoleBinding",
        Some(NS),
        "odd",
        json!({}),
        json!({"roleRef": "admin", "subjects": [{"kind": "User", "name": "bob"}]}),
    )];
    let spec = json!({"access": [access(json!({"kind": "User", "name": "bob"}), "get", "pods", "", true)]});
    assert_state(
        &run(spec, objects),
        ItemState::Failed,
        "User bob cannot get pods (not judged, role missing: rolebinding/odd -> /)",
    );
}

#[test]
fn malformed_rules_and_subjects_grant_nothing_while_the_well_formed_ones_still_do() {
    let objects = vec![
        role(NS, "reader", json!(["get pods", {"apiGroups": [""], "resources": ["pods", 7], "verbs": ["get"]}])),
        role_binding(NS, "read", ("Role", "reader"), json!(["bob", {"kind": "User", "name": "alice"}])),
    ];
    let spec = json!({"access": [
        access(json!({"kind": "User", "name": "alice"}), "get", "pods", "", true),
        access(json!({"kind": "User", "name": "bob"}), "get", "pods", "", false),
    ]});
    assert_eq!(run(spec, objects).state, ItemState::Passed);
}

#[test]
fn a_cluster_role_with_malformed_selectors_keeps_its_written_rules() {
    let objects = vec![
        rbac_object(
            "ClusterRole",
            None,
            "odd",
            json!({}),
            json!({"aggregationRule": {"clusterRoleSelectors": {"matchLabels": {"x": "y"}}},
                   "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}),
        ),
        role_binding(NS, "odd", ("ClusterRole", "odd"), user("bob")),
    ];
    let spec = json!({"access": [access(json!({"kind": "User", "name": "bob"}), "get", "pods", "", true)]});
    assert_state(&run(spec, objects), ItemState::Passed, "via rolebinding/odd -> clusterrole/odd");
}

#[test]
fn a_role_binding_with_a_malformed_subject_lists_it_as_empty_in_the_cluster_admin_finding() {
    let objects = vec![role_binding(NS, "admins", ("ClusterRole", "cluster-admin"), json!([7]))];
    assert_state(
        &run(forbid(), objects),
        ItemState::Failed,
        "rolebinding/admins grants clusterrole/cluster-admin to  ",
    );
}
