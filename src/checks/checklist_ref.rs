//! `checklist`: another ReadinessChecklist in the same namespace is Go.

use super::{Outcome, Scope};
use crate::api::{ChecklistRefCheck, Decision};

pub fn evaluate(spec: &ChecklistRefCheck, scope: &Scope<'_>) -> Outcome {
    let key = (scope.namespace.to_owned(), spec.name.clone());
    match scope.facts.checklists.get(&key) {
        Some(Decision::Go) => Outcome::passed(format!("readinesschecklist/{} is Go", spec.name)),
        Some(Decision::NoGo) => Outcome::failed(format!("readinesschecklist/{} is NoGo", spec.name)),
        Some(Decision::Unknown) => {
            Outcome::error(format!("readinesschecklist/{} is Unknown (not evaluated or stale)", spec.name))
        }
        None => Outcome::failed(format!("no ReadinessChecklist named {} in namespace {}", spec.name, scope.namespace)),
    }
}
