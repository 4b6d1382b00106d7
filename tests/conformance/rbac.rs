//! RBAC: the authorizer (`plugin/pkg/auth/authorizer/rbac/rbac_test.go`), subject matching and
//! rule resolution (`pkg/registry/rbac/validation/rule_test.go`), the subject locator, ClusterRole
//! aggregation, and the groups authenticators add (issue 14, finding 1).
//!
//! Requests go to `checks::rbac::Authorizer`, the engine of the `rbac` check; a request in
//! namespace `ns` is judged by an authorizer for `ns` (ClusterRoleBindings plus the RoleBindings
//! of `ns`), and a cluster-scoped request by one for the empty namespace, as Kubernetes does.

use readygate::api::{Check, ItemState};
use readygate::checks::rbac::{Authorizer, PolicyRule, Requester, ResourceRequest};
use readygate::checks::{self, Facts, Scope};
use readygate::inventory::{Inventory, Object};
use serde_json::{Value, json};

use super::support::{Case, Verdict, Verdict::*, judge};

const AUTHORIZER: &str = "kubernetes plugin/pkg/auth/authorizer/rbac/rbac_test.go TestAuthorizer";
const RULE_MATCHES: &str = "kubernetes plugin/pkg/auth/authorizer/rbac/rbac_test.go TestRuleMatches";
const APPLIES_TO: &str = "kubernetes pkg/registry/rbac/validation/rule_test.go TestAppliesTo";
const RESOLVER: &str = "kubernetes pkg/registry/rbac/validation/rule_test.go TestDefaultRuleResolver";
const LOCATOR: &str = "kubernetes plugin/pkg/auth/authorizer/rbac/subject_locator_test.go TestSubjectLocator";
const AGGREGATION: &str =
    "kubernetes pkg/controller/clusterroleaggregation/clusterroleaggregation_controller_test.go TestSyncClusterRole";
const GROUPS: &str = "kubernetes staging/src/k8s.io/apiserver/pkg/authentication/group/authenticated_group_adder.go \
                      and serviceaccount.MakeGroupNames (issue 14)";

const NON_RESOURCE: Verdict =
    NotExpressible("a non-resource URL request: rbac access assertions are resource requests only");
const PRIVILEGED: Verdict = NotExpressible(
    "system:masters and --authorization-always-allow superusers are granted by authorizers in front of RBAC, \
     not by RBAC objects",
);

fn object(value: Value) -> Object {
    Object::from_value(value, None).expect("a valid RBAC object")
}

fn rbac(kind: &str, namespace: Option<&str>, name: &str, rest: Value) -> Object {
    let mut value = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": name}});
    if let Some(namespace) = namespace {
        value["metadata"]["namespace"] = json!(namespace);
    }
    for (key, field) in rest.as_object().expect("fields").clone() {
        value[key] = field;
    }
    object(value)
}

/// Kubernetes' `newRule(verbs, apiGroups, resources, nonResourceURLs)`: comma-separated lists.
fn rule(verbs: &str, groups: &str, resources: &str, urls: &str) -> Value {
    let split = |s: &str| s.split(',').map(str::to_owned).collect::<Vec<_>>();
    json!({"verbs": split(verbs), "apiGroups": split(groups), "resources": split(resources),
           "nonResourceURLs": split(urls)})
}

/// A rule as a Role holds it.
fn policy_rule(rule: Value) -> PolicyRule {
    serde_json::from_value(rule).expect("a rule is a mapping")
}

/// `Kind:name` subjects, as `newRoleBinding` writes them.
fn subjects(list: &[&str]) -> Value {
    Value::Array(
        list.iter()
            .map(|s| {
                let (kind, name) = s.split_once(':').expect("Kind:name");
                json!({"kind": kind, "name": name, "apiGroup": if kind == "ServiceAccount" { "" } else { "rbac.authorization.k8s.io" }})
            })
            .collect(),
    )
}

fn cluster_role(name: &str, rules: Value) -> Object {
    rbac("ClusterRole", None, name, json!({"rules": rules}))
}

fn cluster_role_binding(name: &str, role: &str, who: &[&str]) -> Object {
    rbac(
        "ClusterRoleBinding",
        None,
        name,
        json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
               "subjects": subjects(who)}),
    )
}

fn role_binding(namespace: &str, name: &str, role: (&str, &str), who: &[&str]) -> Object {
    rbac(
        "RoleBinding",
        Some(namespace),
        name,
        json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role.0, "name": role.1},
               "subjects": subjects(who)}),
    )
}

/// A user with exactly these groups (`defaultAttributes` splits "" into one empty group).
fn user(name: &str, groups: &str) -> Requester {
    Requester {
        name: (!name.is_empty()).then(|| name.to_owned()),
        groups: groups.split(',').map(str::to_owned).collect(),
    }
}

fn request(verb: &str, group: &str, resource: &str, subresource: &str) -> ResourceRequest {
    ResourceRequest {
        verb: verb.to_owned(),
        api_group: group.to_owned(),
        resource: resource.to_owned(),
        subresource: subresource.to_owned(),
        name: String::new(),
    }
}

fn allowed(inventory: &Inventory, namespace: &str, who: &Requester, what: &ResourceRequest) -> bool {
    Authorizer::new(inventory, namespace).expect("readable RBAC objects").authorize(who, what).allowed()
}

fn authorizer() -> Vec<Case<bool>> {
    let mut cases = Vec::new();
    // Case 0: admin (* on *) bound in ns1 to User:admin and Group:admins.
    let world = Inventory::from_objects([
        cluster_role("admin", json!([rule("*", "*", "*", "*")])),
        role_binding("ns1", "b", ("ClusterRole", "admin"), &["User:admin", "Group:admins"]),
    ]);
    for (name, groups, verb, resource, namespace, expected) in [
        ("admin", "", "get", "Pods", "ns1", true),
        ("admin", "", "watch", "Pods", "ns1", true),
        ("admin", "group1", "watch", "Foobar", "ns1", true),
        ("joe", "admins", "watch", "Foobar", "ns1", true),
        ("joe", "group1,admins", "watch", "Foobar", "ns1", true),
        ("admin", "", "GET", "Pods", "ns2", false),
        ("admin", "", "GET", "Nodes", "", false),
        ("admin", "admins", "GET", "Pods", "ns2", false),
        ("admin", "admins", "GET", "Nodes", "", false),
    ] {
        let got = allowed(&world, namespace, &user(name, groups), &request(verb, "", resource, ""));
        let case = format!("{AUTHORIZER} case 0: {name} [{groups}] {verb} {resource} in {namespace:?}");
        cases.push((case, Agree, Some((expected, got))));
    }
    // Case 1: non-resource URLs, 10 allowed and 8 refused requests.
    for i in 0..18 {
        cases.push((format!("{AUTHORIZER} case 1 (non-resource URL request {i})"), NON_RESOURCE, None));
    }
    // Cases 2 and 3: subresources must be granted explicitly.
    for (case, granted, subresource, expected) in [
        (2, "pods", "", true),
        (2, "pods", "status", false),
        (3, "pods/status", "status", true),
        (3, "pods/status", "", false),
    ] {
        let world = Inventory::from_objects([
            cluster_role("admin", json!([rule("*", "*", granted, "*")])),
            role_binding("ns1", "b", ("ClusterRole", "admin"), &["User:admin", "Group:admins"]),
        ]);
        let got = allowed(&world, "ns1", &user("admin", ""), &request("get", "", "pods", subresource));
        let name = format!("{AUTHORIZER} case {case}: rule {granted}, get pods/{subresource}");
        cases.push((name, Agree, Some((expected, got))));
    }
    cases
}

fn rule_matches() -> Vec<Case<bool>> {
    let requests = || {
        let mut all = Vec::new();
        for verb in ["verb1", "verb2"] {
            for (group, resource) in
                [("group1", "resource1"), ("group2", "resource1"), ("group1", "resource2"), ("group2", "resource2")]
            {
                all.push((verb, group, resource));
            }
        }
        all
    };
    // (name, rule, expected per request in `requests` order)
    let table: [(&str, Value, [bool; 8]); 4] = [
        (
            "star verb, exact match other",
            json!({"verbs": ["*"], "apiGroups": ["group1"], "resources": ["resource1"]}),
            [true, false, false, false, true, false, false, false],
        ),
        (
            "star group, exact match other",
            json!({"verbs": ["verb1"], "apiGroups": ["*"], "resources": ["resource1"]}),
            [true, true, false, false, false, false, false, false],
        ),
        (
            "star resource, exact match other",
            json!({"verbs": ["verb1"], "apiGroups": ["group1"], "resources": ["*"]}),
            [true, false, true, false, false, false, false, false],
        ),
        (
            "tuple expansion",
            json!({"verbs": ["verb1", "verb2"], "apiGroups": ["group1", "group2"], "resources": ["resource1", "resource2"]}),
            [true; 8],
        ),
    ];
    let mut cases = Vec::new();
    for (name, rule, expected) in table {
        let rule = policy_rule(rule);
        for ((verb, group, resource), expected) in requests().into_iter().zip(expected) {
            let got = rule.allows(&request(verb, group, resource, ""));
            cases.push((format!("{RULE_MATCHES} {name:?}: {verb} {group}/{resource}"), Agree, Some((expected, got))));
        }
    }
    // "subresource expansion": rule * / * / resource1/subresource1; the table's subresources vary.
    let rule = policy_rule(json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["resource1/subresource1"]}));
    for (verb, group, resource, sub, expected) in [
        ("verb1", "group1", "resource1", "subresource1", true),
        ("verb1", "group2", "resource1", "subresource2", false),
        ("verb1", "group1", "resource2", "subresource1", false),
        ("verb1", "group2", "resource2", "subresource1", false),
        ("verb2", "group1", "resource1", "subresource1", true),
        ("verb2", "group2", "resource1", "subresource2", false),
        ("verb2", "group1", "resource2", "subresource1", false),
        ("verb2", "group2", "resource2", "subresource1", false),
    ] {
        let got = rule.allows(&request(verb, group, resource, sub));
        let name = format!("{RULE_MATCHES} \"subresource expansion\": {verb} {group}/{resource}/{sub}");
        cases.push((name, Agree, Some((expected, got))));
    }
    for (name, count) in [
        ("star nonresource, exact match other", 10),
        ("star nonresource subpath", 10),
        ("star verb, exact nonresource", 10),
    ] {
        for i in 0..count {
            cases.push((format!("{RULE_MATCHES} {name:?} request {i}"), NON_RESOURCE, None));
        }
    }
    cases
}

fn applies_to() -> Vec<Case<bool>> {
    let pod_reader = cluster_role("pod-reader", json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]));
    let table: [(&str, &[&str], Requester, &str, bool); 9] = [
        ("single subject that matches username", &["User:foobar"], user("foobar", ""), "", true),
        ("multiple subjects, one that matches username", &["User:barfoo", "User:foobar"], user("foobar", ""), "", true),
        ("multiple subjects, none that match username", &["User:barfoo", "User:foobar"], user("zimzam", ""), "", false),
        (
            "multiple subjects, one that match group",
            &["User:barfoo", "Group:foobar"],
            user("zimzam", "foobar"),
            "",
            true,
        ),
        (
            "one that match group, should ignore namespace",
            &["User:barfoo", "Group:foobar"],
            user("zimzam", "foobar"),
            "namespace1",
            true,
        ),
        ("* user subject name doesn't match all users", &["User:*"], user("foobar", ""), "default", false),
        (
            "all authenticated and unauthenticated match authenticated user",
            &["Group:system:authenticated", "Group:system:unauthenticated"],
            user("foobar", "system:authenticated"),
            "default",
            true,
        ),
        (
            "all authenticated and unauthenticated match anonymous user",
            &["Group:system:authenticated", "Group:system:unauthenticated"],
            user("system:anonymous", "system:unauthenticated"),
            "default",
            true,
        ),
        (
            "multiple subjects with a service account that matches",
            &[],
            user("system:serviceaccount:kube-system:default", ""),
            "default",
            true,
        ),
    ];
    let mut cases = Vec::new();
    for (name, who, requester, namespace, expected) in table {
        let binding = if who.is_empty() {
            let mut s = subjects(&["User:barfoo", "Group:foobar"]);
            s.as_array_mut()
                .expect("list")
                .push(json!({"kind": "ServiceAccount", "name": "default", "namespace": "kube-system"}));
            rbac(
                "RoleBinding",
                Some(namespace),
                "b",
                json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                 "kind": "ClusterRole", "name": "pod-reader"}, "subjects": s}),
            )
        } else if namespace.is_empty() {
            cluster_role_binding("b", "pod-reader", who)
        } else {
            role_binding(namespace, "b", ("ClusterRole", "pod-reader"), who)
        };
        let world = Inventory::from_objects([pod_reader.clone(), binding]);
        let got = allowed(&world, namespace, &requester, &request("get", "", "pods", ""));
        cases.push((format!("{APPLIES_TO}: {name}"), Agree, Some((expected, got))));
    }
    cases
}

fn rule_resolver() -> Vec<Case<bool>> {
    let world = Inventory::from_objects([
        rbac(
            "Role",
            Some("namespace1"),
            "readthings",
            json!({"rules": [
            {"verbs": ["GET", "WATCH"], "apiGroups": ["v1"], "resources": ["pods"]},
            {"verbs": ["GET", "WATCH"], "apiGroups": ["v1"], "resources": ["services"]}]}),
        ),
        cluster_role("cluster-admin", json!([{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}])),
        cluster_role(
            "write-nodes",
            json!([{"verbs": ["PUT", "CREATE", "UPDATE"], "apiGroups": ["v1"], "resources": ["nodes"]}]),
        ),
        role_binding("namespace1", "rb", ("Role", "readthings"), &["User:foobar", "Group:group1"]),
        cluster_role_binding("crb", "cluster-admin", &["User:admin", "Group:admin"]),
    ]);
    let read_pods = request("GET", "v1", "pods", "");
    let read_services = request("WATCH", "v1", "services", "");
    let anything = request("delete", "apps", "deployments", "");
    let table: [(&str, Requester, &str, &ResourceRequest, bool); 7] = [
        ("foobar in namespace1 gets readthings: pods", user("foobar", ""), "namespace1", &read_pods, true),
        ("foobar in namespace1 gets readthings: services", user("foobar", ""), "namespace1", &read_services, true),
        ("foobar in namespace1 gets nothing more", user("foobar", ""), "namespace1", &anything, false),
        ("foobar in namespace2 gets nothing", user("foobar", ""), "namespace2", &read_pods, false),
        ("foobar in group admin, no namespace: cluster rules only", user("foobar", "admin"), "", &anything, true),
        ("foobar in group admin, no namespace: not the Role", user("foobar", ""), "", &read_pods, false),
        ("an empty user gets nothing", user("", ""), "", &read_pods, false),
    ];
    table
        .into_iter()
        .map(|(name, who, namespace, what, expected)| {
            (format!("{RESOLVER}: {name}"), Agree, Some((expected, allowed(&world, namespace, &who, what))))
        })
        .collect()
}

fn subject_locator() -> Vec<Case<bool>> {
    let mut cases = Vec::new();
    // "no super user, star matches star"
    let world = Inventory::from_objects([
        cluster_role("admin", json!([rule("*", "*", "*", "*")])),
        cluster_role_binding("crb", "admin", &["User:super-admin", "Group:super-admins"]),
        role_binding("ns1", "rb", ("ClusterRole", "admin"), &["User:admin", "Group:admins"]),
    ]);
    let people = [("super-admin", ""), ("", "super-admins"), ("admin", ""), ("", "admins")];
    for (verb, namespace, allowed_people) in [("get", "ns1", 4), ("*", "*", 2), ("*", "", 2)] {
        for (i, (name, group)) in people.iter().enumerate() {
            let got = allowed(&world, namespace, &user(name, group), &request(verb, "", "Pods", ""));
            let case = format!("{LOCATOR} \"star matches star\": {verb} Pods in {namespace:?} by {name}{group}");
            cases.push((case, Agree, Some((i < allowed_people, got))));
        }
        cases.push((format!("{LOCATOR}: {verb} Pods in {namespace:?} by system:masters"), PRIVILEGED, None));
    }
    // "super user, local roles work"
    let world = Inventory::from_objects([
        cluster_role("admin", json!([rule("*", "*", "*", "*")])),
        cluster_role_binding("crb", "admin", &["User:super-admin", "Group:super-admins"]),
        rbac("Role", Some("ns1"), "admin", json!({"rules": [rule("get", "*", "Pods", "*")]})),
        role_binding("ns1", "rb", ("Role", "admin"), &["User:admin", "Group:admins"]),
    ]);
    for (verb, namespace, allowed_people) in [("get", "ns1", 4), ("create", "ns1", 2), ("get", "ns2", 2)] {
        for (i, (name, group)) in people.iter().enumerate() {
            let got = allowed(&world, namespace, &user(name, group), &request(verb, "", "Pods", ""));
            let case = format!("{LOCATOR} \"local roles work\": {verb} Pods in {namespace} by {name}{group}");
            cases.push((case, Agree, Some((i < allowed_people, got))));
        }
        cases.push((
            format!("{LOCATOR}: {verb} Pods in {namespace} by superuser foo and system:masters"),
            PRIVILEGED,
            None,
        ));
    }
    cases
}

fn aggregation() -> Vec<Case<Vec<PolicyRule>>> {
    let rules = |list: &[(&str, &str)]| -> Vec<Value> {
        list.iter().map(|(verb, resource)| json!({"verbs": [verb], "resources": [resource]})).collect()
    };
    let hammer = rules(&[("hammer", "nails"), ("hammer", "wedges")]);
    let chisel = rules(&[("chisel", "mortises")]);
    let saw = rules(&[("saw", "boards")]);
    let role = |name: &str, label: &str, rules: &[Value]| {
        rbac("ClusterRole", None, name, json!({"metadata": {"name": name, "labels": {"foo": label}}, "rules": rules}))
    };
    let combined = |selectors: &[&str], rules: &[Value]| {
        let selectors: Vec<Value> = selectors.iter().map(|v| json!({"matchLabels": {"foo": v}})).collect();
        rbac(
            "ClusterRole",
            None,
            "combined",
            json!({"aggregationRule": {"clusterRoleSelectors": selectors}, "rules": rules}),
        )
    };
    let cat = |parts: &[&Vec<Value>]| -> Vec<Value> { parts.iter().flat_map(|p| p.iter().cloned()).collect() };
    let table: Vec<(&str, Vec<Object>, Vec<Value>)> = vec![
        ("remove dead rules", vec![role("hammer", "bar", &hammer), combined(&["bar"], &saw)], hammer.clone()),
        ("strip rules", vec![role("hammer", "not-bar", &hammer), combined(&["bar"], &hammer)], vec![]),
        (
            "select properly and put in order",
            vec![
                role("hammer", "bar", &hammer),
                role("chisel", "bar", &chisel),
                role("saw", "not-bar", &saw),
                combined(&["bar"], &[]),
            ],
            cat(&[&chisel, &hammer]),
        ),
        (
            "select properly with multiple selectors",
            vec![
                role("hammer", "bar", &hammer),
                role("chisel", "bar", &chisel),
                role("saw", "not-bar", &saw),
                combined(&["bar", "not-bar"], &[]),
            ],
            cat(&[&chisel, &hammer, &saw]),
        ),
        (
            "select properly remove duplicates",
            vec![
                role("hammer", "bar", &hammer),
                role("chisel", "bar", &chisel),
                role("saw", "bar", &saw),
                role("other-saw", "not-bar", &saw),
                combined(&["bar", "not-bar"], &[]),
            ],
            cat(&[&chisel, &hammer, &saw]),
        ),
        ("no diff skip", vec![role("hammer", "bar", &hammer), combined(&["bar"], &hammer)], hammer.clone()),
    ];
    table
        .into_iter()
        .map(|(name, objects, expected)| {
            let world = Inventory::from_objects(objects);
            let authorizer = Authorizer::new(&world, "").expect("readable RBAC objects");
            let got = authorizer.cluster_role("combined").map(|r| r.rules.clone()).unwrap_or_default();
            let expected = expected.into_iter().map(policy_rule).collect();
            (format!("{AGGREGATION}: {name}"), Agree, Some((expected, got)))
        })
        .collect()
}

/// The groups an authenticated identity carries, through the `rbac` check's own `access`
/// assertions: a grant to `system:authenticated` reaches every member of every group.
fn authenticated_groups() -> Vec<Case<bool>> {
    let world = Inventory::from_objects([
        cluster_role("secret-reader", json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}])),
        cluster_role_binding("everyone", "secret-reader", &["Group:system:authenticated"]),
        cluster_role("pod-reader", json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])),
        cluster_role_binding("sas", "pod-reader", &["Group:system:serviceaccounts"]),
    ]);
    let facts = Facts::offline();
    let scope = Scope { namespace: "shop", inventory: &world, facts: &facts, now: jiff::Timestamp::UNIX_EPOCH };
    let table = [
        (
            "Group viewers may get secrets (the issue's prohibition must fail)",
            json!({"kind": "Group", "name": "viewers"}),
            "secrets",
            true,
        ),
        ("User alice may get secrets", json!({"kind": "User", "name": "alice"}), "secrets", true),
        ("ServiceAccount shop/app may get secrets", json!({"kind": "ServiceAccount", "name": "app"}), "secrets", true),
        ("system:anonymous may not get secrets", json!({"kind": "User", "name": "system:anonymous"}), "secrets", false),
        (
            "Group system:unauthenticated may not get secrets",
            json!({"kind": "Group", "name": "system:unauthenticated"}),
            "secrets",
            false,
        ),
        (
            "Group system:serviceaccounts:shop may get pods (via system:serviceaccounts)",
            json!({"kind": "Group", "name": "system:serviceaccounts:shop"}),
            "pods",
            true,
        ),
        (
            "Group viewers may not get pods (not service accounts)",
            json!({"kind": "Group", "name": "viewers"}),
            "pods",
            false,
        ),
        ("ServiceAccount shop/app may get pods", json!({"kind": "ServiceAccount", "name": "app"}), "pods", true),
    ];
    table
        .into_iter()
        .map(|(name, subject, resource, may)| {
            // Assert the opposite: the item passes only if readygate reaches Kubernetes' answer.
            let check: Check = serde_json::from_value(json!({"rbac": {"access": [
                {"subject": subject, "verb": "get", "resource": resource, "allowed": may}]}}))
            .expect("valid rbac check");
            let outcome = checks::evaluate(&check, &scope);
            (format!("{GROUPS}: {name}"), Agree, Some((true, outcome.state == ItemState::Passed)))
        })
        .collect()
}

#[test]
fn the_authorizer_agrees_with_test_authorizer() {
    judge("RBAC TestAuthorizer", authorizer());
}

#[test]
fn rules_match_as_in_test_rule_matches() {
    judge("RBAC TestRuleMatches", rule_matches());
}

#[test]
fn bindings_apply_as_in_test_applies_to() {
    judge("RBAC TestAppliesTo", applies_to());
}

#[test]
fn rules_resolve_as_in_test_default_rule_resolver() {
    judge("RBAC TestDefaultRuleResolver", rule_resolver());
}

#[test]
fn the_subjects_allowed_are_those_of_test_subject_locator() {
    judge("RBAC TestSubjectLocator", subject_locator());
}

#[test]
fn cluster_roles_aggregate_as_the_controller_leaves_them() {
    judge("RBAC ClusterRole aggregation", aggregation());
}

#[test]
fn every_authenticated_identity_carries_its_groups() {
    judge("RBAC authenticated groups", authenticated_groups());
}
