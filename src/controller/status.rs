//! Writing `status` with server-side apply through the status subresource (field manager
//! `readygate`, forced), and remembering what was written until the watch shows it back.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use kube::api::{Api, Patch, PatchParams};

use crate::api::{API_VERSION, ReadinessChecklist, ReadinessChecklistStatus};

/// The one field manager that owns `status`.
pub const FIELD_MANAGER: &str = "readygate";

/// The apply configuration: only `status`, so the spec's managers are untouched.
pub fn apply_body(status: &ReadinessChecklistStatus) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": API_VERSION,
        "kind": "ReadinessChecklist",
        "status": status,
    })
}

/// Applies `status` to the checklist; returns the object as stored afterwards.
pub async fn apply(
    api: &Api<ReadinessChecklist>,
    name: &str,
    status: &ReadinessChecklistStatus,
) -> Result<ReadinessChecklist, kube::Error> {
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch_status(name, &params, &Patch::Apply(apply_body(status))).await
}

/// A status this process wrote, with the resourceVersion of the object it was computed from.
#[derive(Clone, Debug)]
struct Written {
    uid: Option<String>,
    /// The cached object's resourceVersion when the write was decided. resourceVersions are
    /// opaque strings (API conventions: clients may compare them only for equality), so "the
    /// cache has not caught up" is "the cache still shows the object we wrote over".
    written_over: Option<String>,
    status: ReadinessChecklistStatus,
}

/// The statuses written but perhaps not yet seen on the watch. Reconciles that run between a
/// write and its watch event compare with what was written, not with the older cached object,
/// so they neither write again nor repeat Events.
#[derive(Default)]
pub struct WrittenStatuses {
    inner: Mutex<HashMap<(String, String), Written>>,
}

impl WrittenStatuses {
    /// Remembers the status stored by a write decided on `cached` (the object as the cache
    /// showed it), until the cache shows any other version of it.
    pub fn record(&self, cached: &ReadinessChecklist, stored: &ReadinessChecklist) {
        let Some(status) = stored.status.clone() else { return };
        let written = Written {
            uid: stored.metadata.uid.clone(),
            written_over: cached.metadata.resource_version.clone(),
            status,
        };
        self.lock().insert(key(stored), written);
    }

    /// The status to compare with: the cached object's, unless the cache still shows the very
    /// version this process wrote over (same uid, same resourceVersion), in which case the
    /// status written is newer. Any other resourceVersion is our write or a later change, so
    /// the cache wins; nothing here orders resourceVersions.
    pub fn previous(&self, cached: &ReadinessChecklist) -> Option<ReadinessChecklistStatus> {
        let map = self.lock();
        match map.get(&key(cached)) {
            Some(w)
                if w.uid == cached.metadata.uid
                    && w.written_over.is_some()
                    && w.written_over == cached.metadata.resource_version =>
            {
                Some(w.status.clone())
            }
            _ => cached.status.clone(),
        }
    }

    pub fn forget(&self, namespace: &str, name: &str) {
        self.lock().remove(&(namespace.to_owned(), name.to_owned()));
    }

    /// Drops everything (on gaining leadership: another replica may have written meanwhile).
    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn retain(&self, alive: impl Fn(&(String, String)) -> bool) {
        self.lock().retain(|k, _| alive(k));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Written>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn key(c: &ReadinessChecklist) -> (String, String) {
    (c.metadata.namespace.clone().unwrap_or_default(), c.metadata.name.clone().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Decision;

    fn checklist(rv: &str, decision: Decision) -> ReadinessChecklist {
        let mut c: ReadinessChecklist = serde_json::from_value(serde_json::json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
            "metadata": {"name": "c", "namespace": "n", "uid": "u1", "resourceVersion": rv},
            "spec": {"items": [{"name": "x", "check": {"manual": {"approvers": {"users": ["a"]}}}}]}
        }))
        .expect("valid");
        c.status = Some(ReadinessChecklistStatus { decision, ..ReadinessChecklistStatus::default() });
        c
    }

    #[test]
    fn the_apply_body_carries_only_status() {
        let body = apply_body(&ReadinessChecklistStatus::default());
        assert_eq!(body["apiVersion"], "readygate.io/v1alpha1");
        assert_eq!(body["kind"], "ReadinessChecklist");
        assert!(body.get("spec").is_none() && body.get("metadata").is_none());
        assert_eq!(body["status"]["decision"], "Unknown");
    }

    #[test]
    fn a_write_not_yet_seen_on_the_watch_is_the_previous_status() {
        let written = WrittenStatuses::default();
        let stale_cache = checklist("10", Decision::Go);
        written.record(&stale_cache, &checklist("12", Decision::NoGo));
        assert_eq!(written.previous(&stale_cache).map(|s| s.decision), Some(Decision::NoGo));
    }

    #[test]
    fn a_newer_cached_object_wins_over_memory() {
        let written = WrittenStatuses::default();
        written.record(&checklist("10", Decision::Go), &checklist("12", Decision::NoGo));
        let newer = checklist("15", Decision::Go);
        assert_eq!(written.previous(&newer).map(|s| s.decision), Some(Decision::Go));
        written.clear();
        assert_eq!(written.previous(&checklist("10", Decision::Unknown)).map(|s| s.decision), Some(Decision::Unknown));
    }

    #[test]
    fn resource_versions_are_compared_for_equality_only() {
        // Not integers, and "later" ones sort lower as text: only equality may be used.
        let written = WrittenStatuses::default();
        written.record(&checklist("b7", Decision::Go), &checklist("a1", Decision::NoGo));
        assert_eq!(written.previous(&checklist("b7", Decision::Go)).map(|s| s.decision), Some(Decision::NoGo));
        // The cache has caught up with our write: its status is the one to compare with.
        assert_eq!(written.previous(&checklist("a1", Decision::NoGo)).map(|s| s.decision), Some(Decision::NoGo));
        // Someone changed it after our write (a version we never saw): the cache wins.
        assert_eq!(written.previous(&checklist("c0", Decision::Unknown)).map(|s| s.decision), Some(Decision::Unknown));
    }

    #[test]
    fn a_recreated_checklist_is_not_given_the_old_ones_status() {
        let written = WrittenStatuses::default();
        written.record(&checklist("10", Decision::Go), &checklist("12", Decision::NoGo));
        let mut recreated = checklist("10", Decision::Unknown);
        recreated.metadata.uid = Some("u2".to_owned());
        assert_eq!(written.previous(&recreated).map(|s| s.decision), Some(Decision::Unknown));
    }
}
