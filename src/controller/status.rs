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

/// A status this process wrote, with the resourceVersion the API server gave it.
#[derive(Clone, Debug)]
struct Written {
    uid: Option<String>,
    resource_version: Option<u64>,
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
    pub fn record(&self, stored: &ReadinessChecklist) {
        let Some(status) = stored.status.clone() else { return };
        let key = key(stored);
        let written = Written { uid: stored.metadata.uid.clone(), resource_version: resource_version(stored), status };
        self.lock().insert(key, written);
    }

    /// The status to compare with: the cached object's, unless this process wrote a newer one
    /// the cache has not caught up with (same object, older resourceVersion).
    pub fn previous(&self, cached: &ReadinessChecklist) -> Option<ReadinessChecklistStatus> {
        let map = self.lock();
        match map.get(&key(cached)) {
            Some(w)
                if w.uid == cached.metadata.uid
                    && matches!((resource_version(cached), w.resource_version), (Some(seen), Some(ours)) if seen < ours) =>
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

/// resourceVersions are opaque, but every API server in practice (etcd revisions) issues
/// increasing integers; anything else simply disables the comparison.
fn resource_version(c: &ReadinessChecklist) -> Option<u64> {
    c.metadata.resource_version.as_deref().and_then(|rv| rv.parse().ok())
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
        written.record(&checklist("12", Decision::NoGo));
        let stale_cache = checklist("10", Decision::Go);
        assert_eq!(written.previous(&stale_cache).map(|s| s.decision), Some(Decision::NoGo));
    }

    #[test]
    fn a_newer_cached_object_wins_over_memory() {
        let written = WrittenStatuses::default();
        written.record(&checklist("12", Decision::NoGo));
        let newer = checklist("15", Decision::Go);
        assert_eq!(written.previous(&newer).map(|s| s.decision), Some(Decision::Go));
        written.clear();
        assert_eq!(written.previous(&checklist("10", Decision::Unknown)).map(|s| s.decision), Some(Decision::Unknown));
    }
}
