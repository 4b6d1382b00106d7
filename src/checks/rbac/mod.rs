//! `rbac`: roles exist, access assertions hold under Kubernetes RBAC, and no binding hands the
//! namespace cluster-admin. [`Authorizer`] is the pure RBAC authorizer behind it.

mod access;
mod aggregation;
mod authorizer;
mod cluster;
mod cluster_admin;
#[cfg(test)]
pub(crate) mod fixtures;
mod rules;
mod subjects;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_corpus;

pub use aggregation::{CLUSTER_ADMIN, ClusterRole};
pub use authorizer::{Authorizer, Binding, Grant, Verdict};
pub use rules::{PolicyRule, ResourceRequest};
pub use subjects::Requester;

use super::{Mode, Outcome, Scope};
use crate::api::{RbacCheck, RoleKind, RoleRef};
use crate::inventory::kinds;

/// How many entries a message lists before it only counts the rest.
const LISTED: usize = 8;

/// Beyond this many access assertions a pass message counts them instead of listing each.
const LISTED_ASSERTIONS: usize = 3;

pub fn evaluate(spec: &RbacCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::rbac(spec)) {
        return refused;
    }
    if let Some(outcome) = unreadable(spec, scope) {
        return outcome;
    }
    let questions: Vec<_> = spec.access.iter().map(|a| access::question(a, scope.namespace)).collect();
    let authorizer = match Authorizer::new(scope.inventory, scope.namespace) {
        Ok(authorizer) => authorizer,
        Err(e) => return Outcome::error(e.to_string()),
    };
    let mut problems = Vec::new();
    let mut notes = Vec::new();

    let mut found = Vec::new();
    for role in &spec.roles {
        match role_exists(&authorizer, role, scope.facts.mode) {
            Ok(text) => found.push(text),
            Err(problem) => problems.push(problem),
        }
    }
    match found.as_slice() {
        [] => {}
        [one] => notes.push(format!("{one} exists")),
        all => notes.push(format!("{} exist", list(all))),
    }

    let mut held = Vec::new();
    for question in &questions {
        match access::judge(question, &authorizer) {
            Ok(note) => held.push(note),
            Err(problem) => problems.push(problem),
        }
    }
    if held.len() > LISTED_ASSERTIONS {
        notes.push(format!("all {} access assertions hold", held.len()));
    } else {
        notes.extend(held);
    }

    if spec.forbid_cluster_admin_bindings {
        let admin = cluster_admin::judge(&authorizer);
        if admin.is_empty() {
            notes.push(format!("no binding grants cluster-admin to subjects of namespace {}", scope.namespace));
        }
        problems.extend(admin);
    }
    Outcome::from_problems(problems, notes.join("; "))
}

/// The user-facing ClusterRoles the API server creates (and restores) in every cluster; offline
/// manifests rarely ship them.
const DEFAULT_USER_ROLES: [&str; 3] = ["admin", "edit", "view"];

/// `Ok("role/reader")` or `Err("role/reader not found in namespace shop")`.
fn role_exists(authorizer: &Authorizer<'_>, role: &RoleRef, mode: Mode) -> Result<String, String> {
    match role.kind {
        RoleKind::Role if authorizer.has_role(&role.name) => Ok(format!("role/{}", role.name)),
        RoleKind::Role => Err(format!("role/{} not found in namespace {}", role.name, authorizer.namespace())),
        RoleKind::ClusterRole => match authorizer.cluster_role(&role.name) {
            Some(found) if found.builtin => Ok(format!("clusterrole/{} (Kubernetes default)", role.name)),
            Some(_) => Ok(format!("clusterrole/{}", role.name)),
            // Live, the inventory holds every ClusterRole: a missing default was really removed.
            None if mode == Mode::Offline && DEFAULT_USER_ROLES.contains(&role.name.as_str()) => {
                Ok(format!("clusterrole/{} (Kubernetes default)", role.name))
            }
            None => Err(format!("clusterrole/{} not found", role.name)),
        },
    }
}

/// An answer judged on a partial RBAC picture would be a guess: every kind the spec needs must
/// be readable.
fn unreadable(spec: &RbacCheck, scope: &Scope<'_>) -> Option<Outcome> {
    let needed: Vec<&str> = if spec.access.is_empty() && !spec.forbid_cluster_admin_bindings {
        spec.roles
            .iter()
            .map(|r| match r.kind {
                RoleKind::Role => kinds::ROLE,
                RoleKind::ClusterRole => kinds::CLUSTER_ROLE,
            })
            .collect()
    } else {
        vec![kinds::ROLE, kinds::CLUSTER_ROLE, kinds::ROLE_BINDING, kinds::CLUSTER_ROLE_BINDING]
    };
    needed.into_iter().find_map(|kind| {
        let reason = scope.facts.unavailable_kinds.get(kind)?;
        Some(Outcome::error(format!("cannot read {kind}: {reason}")))
    })
}

/// `a, b, c and 4 more`.
fn list(items: &[String]) -> String {
    super::listing::list(items, LISTED)
}
