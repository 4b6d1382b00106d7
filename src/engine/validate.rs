//! What a checklist must satisfy beyond its schema: the rules the admission webhook enforces and
//! `readygate check` applies offline, so a checklist is refused before it is evaluated. Each
//! item's rules are its check's (`checks::spec`), which the check applies again when it runs:
//! one rule, so what is admitted evaluates.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::api::{Check, ReadinessChecklist};
use crate::checks::spec;
use crate::inventory::selector;

mod governance;

/// The most items a checklist may hold (the schema's `maxItems`).
pub const MAX_ITEMS: usize = 256;

/// Every problem of `checklist`, one message each, naming the item and field:
/// `items[3] (autoscaling).check.horizontalPodAutoscaler.minReplicas: atLeast 5 > atMost 3`.
/// Empty when the checklist is valid. Exactly one check key per item is already enforced by
/// deserialization (and by the schema's `oneOf`).
pub fn validate_checklist(checklist: &ReadinessChecklist) -> Vec<String> {
    let spec = &checklist.spec;
    let mut problems = Problems::default();
    if spec.items.is_empty() {
        problems.push("items", "at least one item is required");
    }
    if spec.items.len() > MAX_ITEMS {
        problems.push("items", format!("{} items, at most {MAX_ITEMS} allowed", spec.items.len()));
    }
    if let Some(gate) = &spec.gate {
        for (path, problem) in governance::gate_problems(gate) {
            problems.push(&path, problem);
        }
        problems.selector("gate.selector", Some(&gate.selector));
        if gate.bind_release && spec.release.as_deref().is_none_or(|r| r.trim().is_empty()) {
            problems.push("gate.bindRelease", "needs spec.release: admitted workloads are bound to that release");
        }
    }
    let own_name = checklist.metadata.name.as_deref().unwrap_or_default();
    let mut first_index: HashMap<&str, usize> = HashMap::new();
    for (index, item) in spec.items.iter().enumerate() {
        let at =
            if item.name.is_empty() { format!("items[{index}]") } else { format!("items[{index}] ({})", item.name) };
        if let Some(problem) = dns1123_label_problem(&item.name) {
            problems.push(&format!("{at}.name"), problem);
        }
        match first_index.entry(&item.name) {
            Entry::Occupied(first) => {
                problems.push(&format!("{at}.name"), format!("duplicate of items[{}]", first.get()))
            }
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
        }
        for (field, problem) in governance::item_problems(item) {
            problems.push(&format!("{at}.{field}"), problem);
        }
        let path = format!("{at}.check.{}", item.check.key());
        validate_check(&item.check, &path, own_name, &mut problems);
    }
    problems.0
}

/// The check's own rules (`checks::spec`, which the check also applies when it runs), plus
/// the one that needs the checklist: a `checklist` item may not name its own checklist.
fn validate_check(check: &Check, path: &str, own_name: &str, problems: &mut Problems) {
    for problem in spec::problems(check) {
        match problem.field.as_str() {
            "" => problems.push(path, problem.message),
            field => problems.push(&format!("{path}.{field}"), problem.message),
        }
    }
    if let Check::Checklist(reference) = check
        && !reference.name.is_empty()
        && reference.name == own_name
    {
        problems.push(&format!("{path}.name"), "a checklist cannot require itself");
    }
}

/// Problems found so far, as `path: message` lines.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, path: &str, message: impl std::fmt::Display) {
        self.0.push(format!("{path}: {message}"));
    }

    fn selector(&mut self, path: &str, selector: Option<&LabelSelector>) {
        for problem in selector.map(selector::problems).unwrap_or_default() {
            self.push(&format!("{path}.{}", problem.field), problem.error);
        }
    }
}

/// Kubernetes' DNS-1123 label rule, which item names follow.
fn dns1123_label_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("must not be empty".to_owned());
    }
    let bytes = name.as_bytes();
    let alphanumeric = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let valid = name.len() <= 63
        && bytes.iter().all(|b| alphanumeric(b) || *b == b'-')
        && bytes.first().is_some_and(alphanumeric)
        && bytes.last().is_some_and(alphanumeric);
    (!valid).then(|| {
        format!(
            "{name:?} is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending \
             with a letter or digit, at most 63 characters)"
        )
    })
}

#[cfg(test)]
mod tests;
