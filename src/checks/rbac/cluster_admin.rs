//! `forbidClusterAdminBindings`: no binding hands this namespace's subjects cluster-admin, or a
//! role with a rule of `*` verbs on `*` resources in `*` API groups.
//!
//! Judged: every RoleBinding of the namespace (whoever its subjects, it grants admin over the
//! namespace), and every ClusterRoleBinding with a subject of the namespace: one of its
//! ServiceAccounts (also spelt as the User `system:serviceaccount:<ns>:<name>`), or a group
//! that holds all of them (`system:serviceaccounts:<ns>`, `system:serviceaccounts`,
//! `system:authenticated`).

use super::aggregation::CLUSTER_ADMIN;
use super::authorizer::{Authorizer, Binding};
use super::list;
use crate::inventory::view::binding::Subject;

pub(super) fn judge(authorizer: &Authorizer<'_>) -> Vec<String> {
    let namespace = authorizer.namespace();
    let mut problems = Vec::new();
    for binding in authorizer.role_bindings() {
        if let Some(why) = admin_role(authorizer, binding) {
            let subjects: Vec<String> = binding.subjects().iter().map(|s| describe(s, namespace)).collect();
            problems.push(format!("{} grants {why} to {}", binding.reference(), or_nobody(&subjects)));
        }
    }
    for binding in authorizer.cluster_role_bindings() {
        let ours: Vec<String> =
            binding.subjects().iter().filter(|s| of_namespace(s, namespace)).map(|s| describe(s, "")).collect();
        if ours.is_empty() {
            continue;
        }
        if let Some(why) = admin_role(authorizer, binding) {
            problems.push(format!("{} grants {why} to {}", binding.reference(), list(&ours)));
        }
    }
    problems
}

/// `clusterrole/cluster-admin`, or the role and why it counts as admin; `None` for others.
fn admin_role(authorizer: &Authorizer<'_>, binding: &Binding) -> Option<String> {
    let role = binding.role_ref();
    if role.kind == "ClusterRole" && role.name == CLUSTER_ADMIN {
        return Some(binding.role_reference());
    }
    let rules = authorizer.rules_of(binding)?;
    rules
        .iter()
        .any(|rule| rule.is_full_wildcard())
        .then(|| format!("{} (a rule with * verbs on * resources)", binding.role_reference()))
}

fn of_namespace(subject: &Subject, namespace: &str) -> bool {
    match subject.kind.as_str() {
        "ServiceAccount" => subject.namespace.as_deref() == Some(namespace),
        "User" => subject
            .name
            .strip_prefix("system:serviceaccount:")
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(ns, _)| ns == namespace),
        "Group" => {
            let own = format!("system:serviceaccounts:{namespace}");
            [own.as_str(), "system:serviceaccounts", "system:authenticated"].contains(&subject.name.as_str())
        }
        _ => false,
    }
}

/// `ServiceAccount shop/ci`, `User bob`, `Group devs`.
fn describe(subject: &Subject, default_namespace: &str) -> String {
    match subject.kind.as_str() {
        "ServiceAccount" => {
            let namespace = subject.namespace.as_deref().unwrap_or(default_namespace);
            format!("ServiceAccount {namespace}/{}", subject.name)
        }
        kind => format!("{kind} {}", subject.name),
    }
}

fn or_nobody(subjects: &[String]) -> String {
    if subjects.is_empty() { "no subjects yet".to_owned() } else { list(subjects) }
}
