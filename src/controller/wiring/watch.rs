//! The two watches behind [`Wiring`]: Namespaces as metadata (labels only), and the one
//! ValidatingWebhookConfiguration named by `--webhook-configuration` (a field selector on its
//! name, which RBAC can grant by `resourceNames`). Each reports which scope's wiring changed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use tokio_util::sync::CancellationToken;

use super::{Listing, Scope, Wiring, judge};
use crate::metrics::Metrics;

/// The `kind` label of this module's watch metrics (apart from the inventory's `Namespace`).
pub const NAMESPACES_METRIC: &str = "Namespace (webhook wiring)";
pub const CONFIGURATION_METRIC: &str = "ValidatingWebhookConfiguration.admissionregistration.k8s.io";
/// More namespaces than this changing at once (a relist) re-judge every gating checklist.
const MANY: usize = 16;

type Labels = BTreeMap<String, String>;

/// Watches Namespaces' labels until `cancel` fires; `settled` once listed (or failed to).
pub async fn namespaces(
    wiring: Arc<Wiring>,
    client: kube::Client,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
    settled: impl Fn() + Send,
) {
    // `PartialObjectMeta` makes every list and watch metadata-only.
    let api: Api<PartialObjectMeta<Namespace>> = Api::all(client);
    let mut stream = watcher::watcher(api, watcher::Config::default()).default_backoff().boxed();
    let mut buffer: HashMap<String, Labels> = HashMap::new();
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => return,
            next = stream.next() => next,
        };
        match next {
            Some(Ok(Event::Init)) => buffer.clear(),
            Some(Ok(Event::InitApply(namespace))) => {
                let name = namespace.metadata.name.clone().unwrap_or_default();
                buffer.insert(name, namespace.metadata.labels.clone().unwrap_or_default());
            }
            Some(Ok(Event::InitDone)) => {
                let listed = std::mem::take(&mut buffer);
                let changed = {
                    let mut state = wiring.write();
                    let changed = match &state.namespaces {
                        Listing::Listed(before) => changed_namespaces(before, &listed),
                        _ => None,
                    };
                    state.namespaces = Listing::Listed(listed);
                    changed
                };
                match changed {
                    Some(names) => names.into_iter().for_each(|n| wiring.notify(Scope::Namespace(n))),
                    // The first listing, or too many changes to name.
                    None => wiring.notify(Scope::Everywhere),
                }
                settled();
            }
            Some(Ok(Event::Apply(namespace))) => {
                let name = namespace.metadata.name.clone().unwrap_or_default();
                let labels = namespace.metadata.labels.clone().unwrap_or_default();
                let changed = {
                    let mut state = wiring.write();
                    match &mut state.namespaces {
                        Listing::Listed(map) => map.insert(name.clone(), labels.clone()).as_ref() != Some(&labels),
                        _ => false,
                    }
                };
                if changed {
                    wiring.notify(Scope::Namespace(name));
                }
            }
            Some(Ok(Event::Delete(namespace))) => {
                // Its checklists go with it: nothing to re-judge.
                if let Listing::Listed(map) = &mut wiring.write().namespaces {
                    map.remove(namespace.metadata.name.as_deref().unwrap_or_default());
                }
            }
            Some(Err(error)) => {
                metrics.watch_error(NAMESPACES_METRIC, "wiring");
                tracing::warn!(%error, "watching namespaces for webhook wiring");
                if failed_before_listing(&wiring, |s| &mut s.namespaces, &error) {
                    wiring.notify(Scope::Everywhere);
                    settled();
                }
            }
            None => return,
        }
    }
}

/// Watches the ValidatingWebhookConfiguration `wiring.configuration()` until `cancel` fires;
/// `settled` once listed (or failed to).
pub async fn configuration(
    wiring: Arc<Wiring>,
    client: kube::Client,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
    settled: impl Fn() + Send,
) {
    let api: Api<ValidatingWebhookConfiguration> = Api::all(client);
    let config = watcher::Config::default().fields(&format!("metadata.name={}", wiring.configuration()));
    let mut stream = watcher::watcher(api, config).default_backoff().boxed();
    let mut buffer: Option<judge::WorkloadsWebhook> = None;
    loop {
        let mut listed = false;
        let next = tokio::select! {
            () = cancel.cancelled() => return,
            next = stream.next() => next,
        };
        let webhook = match next {
            Some(Ok(Event::Init)) => {
                buffer = None;
                continue;
            }
            Some(Ok(Event::InitApply(configuration))) => {
                buffer = judge::workloads_webhook(&configuration);
                continue;
            }
            Some(Ok(Event::InitDone)) => {
                listed = true;
                buffer.take()
            }
            Some(Ok(Event::Apply(configuration))) => judge::workloads_webhook(&configuration),
            Some(Ok(Event::Delete(_))) => None,
            Some(Err(error)) => {
                metrics.watch_error(CONFIGURATION_METRIC, "wiring");
                tracing::warn!(%error, configuration = wiring.configuration(), "watching the webhook configuration");
                if failed_before_listing(&wiring, |s| &mut s.webhook, &error) {
                    wiring.notify(Scope::Everywhere);
                    settled();
                }
                continue;
            }
            None => return,
        };
        let changed = {
            let mut state = wiring.write();
            let changed = !matches!(&state.webhook, Listing::Listed(before) if *before == webhook);
            state.webhook = Listing::Listed(webhook);
            changed
        };
        if listed {
            settled();
        }
        // cert-manager rewriting the caBundle changes nothing readygate judges.
        if changed {
            wiring.notify(Scope::Everywhere);
        }
    }
}

/// Records `error` as the reason wiring cannot be judged when the source never listed (a
/// later error keeps the last listing: the watch resumes from it). True when recorded anew.
fn failed_before_listing<T>(
    wiring: &Wiring,
    listing: impl FnOnce(&mut super::State) -> &mut Listing<T>,
    error: &watcher::Error,
) -> bool {
    let mut state = wiring.write();
    let listing = listing(&mut state);
    let reason = error.to_string();
    match listing {
        Listing::Listed(_) => false,
        Listing::Failed(before) if *before == reason => false,
        _ => {
            *listing = Listing::Failed(reason);
            true
        }
    }
}

/// The namespaces whose labels differ between two listings (added ones included; removed ones
/// have no checklists left). `None` when too many to name.
fn changed_namespaces(before: &HashMap<String, Labels>, after: &HashMap<String, Labels>) -> Option<Vec<String>> {
    let changed: Vec<String> = after
        .iter()
        .filter(|(name, labels)| before.get(*name) != Some(*labels))
        .map(|(name, _)| name.clone())
        .collect();
    (changed.len() <= MANY).then_some(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_relist_names_only_the_namespaces_whose_labels_changed() {
        let before: HashMap<String, Labels> =
            [("a".to_owned(), labels(&[("x", "1")])), ("b".to_owned(), labels(&[]))].into_iter().collect();
        let after: HashMap<String, Labels> = [
            ("a".to_owned(), labels(&[("x", "1")])),
            ("b".to_owned(), labels(&[("readygate.io/gate", "enabled")])),
            ("c".to_owned(), labels(&[])),
        ]
        .into_iter()
        .collect();
        let mut changed = changed_namespaces(&before, &after).expect("few");
        changed.sort();
        assert_eq!(changed, ["b", "c"]);
    }

    #[test]
    fn a_mass_change_is_everywhere() {
        let after: HashMap<String, Labels> = (0..=MANY).map(|i| (format!("n{i}"), labels(&[]))).collect();
        assert_eq!(changed_namespaces(&HashMap::new(), &after), None);
    }
}
