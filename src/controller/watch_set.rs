//! Watches that exist because some checklist asks for them: whole objects of the kinds named by
//! `resource` items (found through discovery) and, with secret checks on, the Secrets named by
//! `secret` items.
//! Started when the first checklist needs them, stopped (and their objects dropped) when the
//! last one no longer does.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::watches::{self, WatchContext, WatchSpec};
use crate::api::{Check, ReadinessChecklist};
use crate::checks::ChecklistReads;
use crate::inventory::kinds;

/// How long an evaluation waits for a newly started watch to list before judging without it.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// (namespace, name) of a checklist.
pub type ChecklistKey = (String, String);

/// What one checklist needs watched beyond the catalogue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// (apiVersion, kind) of the kinds `resource` items judge, watched whole.
    pub resources: BTreeSet<(String, String)>,
    /// (namespace, name) -> keys, of `secret` items.
    pub secrets: BTreeMap<(String, String), BTreeSet<String>>,
}

impl Needs {
    /// Pure: what `checklist` needs, per its [`ChecklistReads`]: whole objects of the kinds its
    /// `resource` items judge, even those the catalogue watches (as projections), but never
    /// Secrets (their values must stay out of memory: only those `secret` items name are
    /// watched, reduced to digests); and the Secrets `secret` items name.
    pub fn of(checklist: &ReadinessChecklist, secret_checks: bool) -> Needs {
        let namespace = checklist.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned());
        let reads = ChecklistReads::of(checklist);
        let resources =
            reads.whole.into_iter().filter(|(kind_key, _)| kind_key != kinds::SECRET).map(|(_, kind)| kind).collect();
        let mut needs = Needs { resources, ..Needs::default() };
        if secret_checks {
            for item in &checklist.spec.items {
                if let Check::Secret(spec) = &item.check {
                    needs.secrets.entry((namespace.clone(), spec.name.clone())).or_default().insert(spec.key.clone());
                }
            }
        }
        needs
    }

    fn specs(&self) -> Vec<WatchSpec> {
        let resources = self.resources.iter().map(|(api_version, kind)| WatchSpec::whole(api_version, kind));
        let secrets = self.secrets.iter().map(|((ns, name), keys)| WatchSpec::secret(ns, name, keys.clone()));
        resources.chain(secrets).collect()
    }
}

/// The union of every checklist's needs, merged per watch (Secret keys are unioned).
pub fn desired(all: &HashMap<ChecklistKey, Needs>) -> BTreeSet<WatchSpec> {
    let mut merged = Needs::default();
    for needs in all.values() {
        merged.resources.extend(needs.resources.iter().cloned());
        for (secret, keys) in &needs.secrets {
            merged.secrets.entry(secret.clone()).or_default().extend(keys.iter().cloned());
        }
    }
    merged.specs().into_iter().collect()
}

struct Running {
    cancel: CancellationToken,
    settled: watch::Receiver<bool>,
}

#[derive(Default)]
struct State {
    needs: HashMap<ChecklistKey, Needs>,
    running: HashMap<WatchSpec, Running>,
}

/// The set of dynamic watches, shared by reconciles.
pub struct WatchSet {
    ctx: WatchContext,
    secret_checks: bool,
    shutdown: CancellationToken,
    state: Mutex<State>,
}

impl WatchSet {
    pub fn new(ctx: WatchContext, secret_checks: bool, shutdown: CancellationToken) -> Self {
        WatchSet { ctx, secret_checks, shutdown, state: Mutex::default() }
    }

    /// Records what `checklist` needs, starts and stops watches to match, and waits (bounded)
    /// until the ones it needs have listed or proved unavailable.
    pub async fn ensure(&self, checklist: &ReadinessChecklist) {
        let key = (
            checklist.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned()),
            checklist.metadata.name.clone().unwrap_or_default(),
        );
        let needs = Needs::of(checklist, self.secret_checks);
        let mine: BTreeSet<String> = needs.specs().iter().map(WatchSpec::id).collect();
        let waiting: Vec<watch::Receiver<bool>> = {
            let mut state = self.lock();
            if state.needs.get(&key) != Some(&needs) {
                if needs.resources.is_empty() && needs.secrets.is_empty() {
                    state.needs.remove(&key);
                } else {
                    state.needs.insert(key, needs);
                }
                self.reconcile_watches(&mut state);
            }
            state.running.iter().filter(|(spec, _)| mine.contains(&spec.id())).map(|(_, r)| r.settled.clone()).collect()
        };
        let all_settled = futures::future::join_all(waiting.into_iter().map(|mut rx| async move {
            let _ = rx.wait_for(|settled| *settled).await;
        }));
        let _ = tokio::time::timeout(SETTLE_TIMEOUT, all_settled).await;
    }

    /// Drops the needs of checklists that no longer exist.
    pub fn retain(&self, alive: impl Fn(&ChecklistKey) -> bool) {
        let mut state = self.lock();
        let before = state.needs.len();
        state.needs.retain(|key, _| alive(key));
        if state.needs.len() != before {
            self.reconcile_watches(&mut state);
        }
    }

    /// Ids of the running dynamic watches, sorted.
    pub fn running(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.lock().running.keys().map(WatchSpec::id).collect();
        ids.sort();
        ids
    }

    fn reconcile_watches(&self, state: &mut State) {
        let wanted = desired(&state.needs);
        let stale: Vec<WatchSpec> = state.running.keys().filter(|s| !wanted.contains(*s)).cloned().collect();
        let wanted_ids: BTreeSet<String> = wanted.iter().map(WatchSpec::id).collect();
        for spec in stale {
            if let Some(running) = state.running.remove(&spec) {
                running.cancel.cancel();
            }
            // A watch replaced by one with other Secret keys keeps its objects until the new
            // one relists; one no longer wanted at all takes its objects with it.
            if !wanted_ids.contains(&spec.id()) {
                self.ctx.cache.forget(&spec.kind_key, |ns, name| spec.owns(ns, name));
            }
            tracing::info!(watch = %spec.id(), "stopped watch no checklist needs");
        }
        for spec in wanted {
            if state.running.contains_key(&spec) {
                continue;
            }
            let cancel = self.shutdown.child_token();
            let (tx, rx) = watch::channel(false);
            tracing::info!(watch = %spec.id(), "starting watch a checklist needs");
            tokio::spawn(watches::run(spec.clone(), self.ctx.clone(), cancel.clone(), move || {
                let _ = tx.send(true);
            }));
            state.running.insert(spec, Running { cancel, settled: rx });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checklist(ns: &str, name: &str, items: serde_json::Value) -> ReadinessChecklist {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"items": items}
        }))
        .expect("valid checklist")
    }

    #[test]
    fn resource_items_need_their_kind_whole_even_when_the_catalogue_watches_it_but_never_secrets() {
        let c = checklist(
            "n",
            "c",
            serde_json::json!([
                {"name": "monitors", "check": {"resource": {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor"}}},
                {"name": "deploys", "check": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment"}}},
                {"name": "secrets", "check": {"resource": {"apiVersion": "v1", "kind": "Secret"}}}
            ]),
        );
        let needs = Needs::of(&c, true);
        assert_eq!(
            needs.resources.iter().cloned().collect::<Vec<_>>(),
            [
                ("apps/v1".to_owned(), "Deployment".to_owned()),
                ("monitoring.coreos.com/v1".to_owned(), "ServiceMonitor".to_owned())
            ]
        );
        let keys: Vec<(String, bool)> = needs.specs().into_iter().map(|s| (s.kind_key.to_string(), s.whole)).collect();
        assert_eq!(
            keys,
            [("Deployment.apps/whole".to_owned(), true), ("ServiceMonitor.monitoring.coreos.com".to_owned(), true)]
        );
    }

    #[test]
    fn secret_items_need_their_secret_only_when_secret_checks_are_on() {
        let c = checklist(
            "n",
            "c",
            serde_json::json!([
                {"name": "auth", "check": {"secret": {"name": "auth", "key": "AUTH_SECRET", "minBytes": 32}}},
                {"name": "auth2", "check": {"secret": {"name": "auth", "key": "SESSION_KEY"}}}
            ]),
        );
        assert!(Needs::of(&c, false).secrets.is_empty());
        let needs = Needs::of(&c, true);
        let keys = needs.secrets.get(&("n".to_owned(), "auth".to_owned())).expect("auth needed");
        assert_eq!(keys.iter().map(String::as_str).collect::<Vec<_>>(), ["AUTH_SECRET", "SESSION_KEY"]);
    }

    #[test]
    fn desired_watches_union_keys_across_checklists() {
        let mut all = HashMap::new();
        let secret = ("n".to_owned(), "auth".to_owned());
        all.insert(
            ("n".to_owned(), "a".to_owned()),
            Needs { secrets: BTreeMap::from([(secret.clone(), BTreeSet::from(["A".to_owned()]))]), ..Needs::default() },
        );
        all.insert(
            ("n".to_owned(), "b".to_owned()),
            Needs { secrets: BTreeMap::from([(secret, BTreeSet::from(["B".to_owned()]))]), ..Needs::default() },
        );
        let specs: Vec<WatchSpec> = desired(&all).into_iter().collect();
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].secret_keys, Some(BTreeSet::from(["A".to_owned(), "B".to_owned()])));
    }
}
