//! Whether the API server sends a namespace's Deployments to readygate: the workloads webhook of
//! the ValidatingWebhookConfiguration, its `namespaceSelector` evaluated (with the selector code
//! the checks use) against the namespace's labels, and, when it does not select the namespace,
//! the `kubectl label` command that would make it.

use std::collections::BTreeMap;

use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::inventory::selector;

/// The webhook that gates Deployments (deploy/webhook.yaml, the chart).
pub const WORKLOADS_WEBHOOK: &str = "workloads.readygate.io";
/// The label the API server puts on every namespace (since Kubernetes 1.21); a requirement on it
/// names namespaces, which no namespace label can change.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// The value suggested for an `Exists` requirement: any value satisfies it.
const EXISTS_VALUE: &str = "true";

/// What readygate needs of the workloads webhook.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadsWebhook {
    /// `None` (absent) selects every namespace, as `{}` does.
    pub namespace_selector: Option<LabelSelector>,
    /// `Fail` (the API's default) or `Ignore`.
    pub failure_policy: String,
}

/// The workloads webhook of `configuration`; `None` when it has no webhook of that name.
pub fn workloads_webhook(configuration: &ValidatingWebhookConfiguration) -> Option<WorkloadsWebhook> {
    configuration.webhooks.iter().flatten().find(|w| w.name == WORKLOADS_WEBHOOK).map(|w| WorkloadsWebhook {
        namespace_selector: w.namespace_selector.clone(),
        failure_policy: w.failure_policy.clone().unwrap_or_else(|| "Fail".to_owned()),
    })
}

/// Whether a namespace is wired to the workloads webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Its Deployments are sent to readygate.
    Wired { fails_open: bool },
    /// The webhook exists but its namespaceSelector leaves the namespace out. `fix` is the
    /// command that opts it in, `None` when no label can (the selector names namespaces).
    NotSelected { selector: String, fix: Option<String> },
    /// No ValidatingWebhookConfiguration of that name, or it has no workloads webhook.
    NoWebhook { missing: String },
    /// Wiring cannot be read (forbidden, not served, an invalid selector).
    Unreadable { reason: String },
}

/// Judges `namespace` (with `labels`) against `webhook`, the workloads webhook of configuration
/// `configuration` (`None`: the configuration, or its workloads webhook, does not exist).
pub fn judge(
    configuration: &str,
    webhook: Option<&WorkloadsWebhook>,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Judgement {
    let Some(webhook) = webhook else {
        return Judgement::NoWebhook {
            missing: format!("ValidatingWebhookConfiguration {configuration} with webhook {WORKLOADS_WEBHOOK}"),
        };
    };
    let fails_open = webhook.failure_policy == "Ignore";
    let Some(namespace_selector) = &webhook.namespace_selector else { return Judgement::Wired { fails_open } };
    match selector::matches(namespace_selector, labels) {
        Ok(true) => Judgement::Wired { fails_open },
        Ok(false) => Judgement::NotSelected {
            selector: selector::describe(namespace_selector),
            fix: label_command(namespace_selector, namespace, labels),
        },
        Err(error) => Judgement::Unreadable {
            reason: format!("the namespaceSelector of webhook {WORKLOADS_WEBHOOK} in {configuration}: {error}"),
        },
    }
}

/// The `kubectl label namespace` command after which `labels` satisfy `selector`, or `None`
/// when no labelling can: a requirement on the namespace's name fails, or the requirements
/// contradict each other. Each unmet requirement changes the labels the least it can (set the
/// one value asked for, the first of `In`'s, or remove the label), and the result is checked
/// with the selector code itself, so a suggestion never fails to opt the namespace in.
pub fn label_command(selector: &LabelSelector, namespace: &str, labels: &BTreeMap<String, String>) -> Option<String> {
    let mut proposed = labels.clone();
    for (key, value) in selector.match_labels.iter().flatten() {
        if proposed.get(key) != Some(value) {
            proposed.insert(key.clone(), value.clone());
        }
    }
    for requirement in selector.match_expressions.iter().flatten() {
        let key = &requirement.key;
        let values = requirement.values.as_deref().unwrap_or_default();
        let present = proposed.get(key);
        match requirement.operator.as_str() {
            "In" if present.is_none_or(|v| !values.contains(v)) => {
                proposed.insert(key.clone(), values.first()?.clone());
            }
            "NotIn" if present.is_some_and(|v| values.contains(v)) => {
                proposed.remove(key);
            }
            "Exists" if present.is_none() => {
                proposed.insert(key.clone(), EXISTS_VALUE.to_owned());
            }
            "DoesNotExist" if present.is_some() => {
                proposed.remove(key);
            }
            _ => {}
        }
    }
    if proposed.get(NAME_LABEL) != labels.get(NAME_LABEL) || !selector::matches(selector, &proposed).ok()? {
        return None;
    }
    let mut changes: Vec<String> = proposed
        .iter()
        .filter(|(key, value)| labels.get(*key) != Some(*value))
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    changes.extend(labels.keys().filter(|key| !proposed.contains_key(*key)).map(|key| format!("{key}-")));
    if changes.is_empty() {
        return None;
    }
    let overwrite = proposed.iter().any(|(key, value)| labels.get(key).is_some_and(|old| old != value));
    let mut command = format!("kubectl label namespace {namespace} {}", changes.join(" "));
    if overwrite {
        command.push_str(" --overwrite");
    }
    Some(command)
}

#[cfg(test)]
mod tests;
