//! `/validate/checklists`: refuses what the CRD schema cannot: misspelt or doubled check keys,
//! values of the wrong shape, and every rule of [`validate_checklist`], each message naming the
//! item and field.

use serde_json::Value;
use serde_json::value::RawValue;

use super::{AdmissionInput, Operation, Reason, Verdict};
use crate::api::{Check, GROUP, ReadinessChecklist};
use crate::engine::validate::validate_checklist;

/// Decides a ReadinessChecklist admission.
pub fn decide(request: &AdmissionInput<'_>) -> Verdict {
    if !request.kind.is(GROUP, "ReadinessChecklist") {
        return Verdict::allow(Reason::UnsupportedKind);
    }
    let gated_operation = matches!(request.operation, Operation::Create | Operation::Update);
    if !gated_operation || request.sub_resource.as_deref().is_some_and(|s| !s.is_empty()) {
        return Verdict::allow(Reason::NotGated);
    }
    let Some(object) = request.object else {
        return Verdict::deny(Reason::Malformed, 400, "the admission request carries no object to judge");
    };
    let object: Value = match serde_json::from_str(object.get()) {
        Ok(object) => object,
        Err(error) => return Verdict::deny(Reason::Malformed, 400, format!("cannot read the checklist: {error}")),
    };
    if request.operation == Operation::Update && old_spec(request.old_object).as_ref() == object.get("spec") {
        // Metadata-only updates (finalizers, labels) must go through even for a checklist that
        // predates a rule, or it could never be cleaned up.
        return Verdict::allow(Reason::NotGated);
    }
    let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or(request.name());
    let problems = problems(&object);
    if problems.is_empty() {
        Verdict::allow(Reason::Valid)
    } else {
        Verdict::deny(
            Reason::Invalid,
            422,
            format!("readinesschecklist {}/{name} is invalid: {}", request.namespace(), problems.join("; ")),
        )
    }
}

fn old_spec(old: Option<&RawValue>) -> Option<Value> {
    let old: Value = serde_json::from_str(old?.get()).ok()?;
    old.get("spec").cloned()
}

/// Shape problems first (they make a typed read impossible), then the checklist rules.
fn problems(object: &Value) -> Vec<String> {
    let shape = shape_problems(object.get("spec"));
    if !shape.is_empty() {
        return shape;
    }
    match serde_path_to_error::deserialize::<_, ReadinessChecklist>(object) {
        Ok(checklist) => validate_checklist(&checklist),
        Err(error) => vec![format!("{}: {}", field_path(&error.path().to_string()), error.inner())],
    }
}

/// `spec.items[2].check` -> `items[2].check`: messages speak of fields under `spec`, as
/// [`validate_checklist`] does.
fn field_path(path: &str) -> String {
    path.strip_prefix("spec.").unwrap_or(path).to_owned()
}

/// What serde would report as "unknown variant" or "invalid type: map": an item's `check` must
/// hold exactly one key, and a known one.
fn shape_problems(spec: Option<&Value>) -> Vec<String> {
    let Some(spec) = spec else { return vec!["spec: missing".to_owned()] };
    let Some(spec) = spec.as_object() else { return vec!["spec: must be an object".to_owned()] };
    let Some(items) = spec.get("items") else {
        return vec!["items: missing (at least one item is required)".to_owned()];
    };
    let Some(items) = items.as_array() else { return vec!["items: must be a list".to_owned()] };
    let known = Check::KEYS.join(", ");
    let mut problems = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let at = format!("items[{index}]");
        let Some(item) = item.as_object() else {
            problems.push(format!("{at}: must be an object"));
            continue;
        };
        let Some(check) = item.get("check") else {
            problems.push(format!("{at}.check: missing (exactly one of {known})"));
            continue;
        };
        let Some(check) = check.as_object() else {
            problems.push(format!("{at}.check: must be an object with exactly one of {known}"));
            continue;
        };
        let keys: Vec<&str> = check.keys().map(String::as_str).collect();
        match keys.as_slice() {
            [] => problems.push(format!("{at}.check: no check kind given (exactly one of {known})")),
            [key] if !Check::KEYS.contains(key) => {
                problems.push(format!("{at}.check: unknown check kind {key:?} (expected one of {known})"))
            }
            [_] => {}
            several => problems.push(format!(
                "{at}.check: exactly one check kind allowed, found {}: {}",
                several.len(),
                several.join(", ")
            )),
        }
    }
    problems
}

#[cfg(test)]
#[path = "checklists_tests.rs"]
mod tests;
