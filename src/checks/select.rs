//! Choosing the objects an item judges: a kind in the checklist's namespace, by name or selector.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::Scope;
use crate::inventory::view::{View, ViewError};
use crate::inventory::{Kind, Object, selector, whole};

/// Objects of `kind` in the scope's namespace (or cluster-wide for cluster-scoped kinds)
/// named `name`, or matching `selector`, or all of them when neither is given. Giving both is
/// a spec error, as is an invalid selector.
///
/// Which kinds are cluster-scoped is known from the objects themselves: live, the API server
/// (through discovery) gave them no namespace; offline, the manifests' own CRDs or the fixed
/// list in `inventory::kinds` did (see `engine::interest`). An inventory holds one namespace's
/// objects and the cluster-scoped ones, so a kind's objects outside any namespace are exactly
/// those of a cluster-scoped kind, and they are read whatever the checklist's namespace.
pub fn select<'a>(
    scope: &Scope<'a>,
    kind: impl Into<Kind>,
    name: Option<&str>,
    label_selector: Option<&LabelSelector>,
) -> Result<Vec<&'a Arc<Object>>, String> {
    let (inventory, kind) = (scope.inventory, kind.into());
    let namespaces: &[Option<&str>] =
        if is_cluster_scoped(scope, &kind) { &[None] } else { &[Some(scope.namespace), None] };
    let all = || namespaces.iter().flat_map(|ns| inventory.in_namespace(&kind, *ns));
    match (name, label_selector) {
        (Some(_), Some(_)) => Err("give either name or selector, not both".to_owned()),
        (Some(name), None) => {
            Ok(namespaces.iter().find_map(|ns| inventory.get(&kind, *ns, name)).into_iter().collect())
        }
        (None, Some(s)) => {
            selector::validate(s).map_err(|e| format!("invalid selector: {e}"))?;
            Ok(all().filter(|o| selector::matches_lenient(s, &o.labels)).collect())
        }
        (None, None) => Ok(all().collect()),
    }
}

/// Whether objects of `kind` (an inventory key: whole objects count as their kind) are
/// cluster-scoped: the fixed list says so, or the inventory holds some outside any namespace.
pub fn is_cluster_scoped(scope: &Scope<'_>, kind: &Kind) -> bool {
    whole::kind_of(kind).is_cluster_scoped() || scope.inventory.in_namespace(kind, None).next().is_some()
}

/// Views read one by one; each an `Err` naming the object when it cannot be read.
pub type Views<'a, V> = Box<dyn Iterator<Item = Result<Arc<V>, ViewError>> + 'a>;

/// [`select`] for a kind read through its typed view. Each view is read as the iterator
/// reaches it (an unreadable object is an `Err` naming it and the field), so a check that
/// judges every workload of a large stream holds one at a time.
pub fn select_views<'a, V: View>(
    scope: &Scope<'a>,
    kind: impl Into<Kind>,
    name: Option<&str>,
    label_selector: Option<&'a LabelSelector>,
) -> Result<Views<'a, V>, String> {
    let kind = kind.into();
    let namespace = (!is_cluster_scoped(scope, &kind)).then_some(scope.namespace);
    match (name, label_selector) {
        (Some(_), Some(_)) => Err("give either name or selector, not both".to_owned()),
        (Some(name), None) => Ok(Box::new(scope.inventory.view::<V>(kind, namespace, name).into_iter())),
        (None, Some(s)) => {
            selector::validate(s).map_err(|e| format!("invalid selector: {e}"))?;
            let views = scope.inventory.views_in::<V>(kind, namespace);
            Ok(Box::new(views.filter(move |v| v.as_ref().map_or(true, |v| selector::matches_lenient(s, v.labels())))))
        }
        (None, None) => Ok(Box::new(scope.inventory.views_in(kind, namespace))),
    }
}

/// `Deployment api` / `Deployment matching app=api` / `any Deployment`: for "no ... matches".
pub fn describe_target(kind: &str, name: Option<&str>, label_selector: Option<&LabelSelector>) -> String {
    match (name, label_selector) {
        (Some(name), _) => format!("{kind} {name}"),
        (None, Some(s)) => format!("{kind} matching {}", selector::describe(s)),
        (None, None) => format!("any {kind}"),
    }
}
