//! Storage, etcd-style: objects per resource, one global resourceVersion counter, a bounded
//! history of changes for watch resumption, and the live watchers to notify.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::meta::{Ids, meta_mut, meta_str};
use super::resources::{Registry, ResKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

/// One committed write. `old` lets a watcher with a selector turn a change into ADDED or
/// DELETED when the object starts or stops matching.
#[derive(Debug, Clone)]
pub struct Change {
    pub rv: u64,
    pub kind: ChangeType,
    pub res: ResKey,
    pub namespace: String,
    pub old: Option<Value>,
    /// The new state; for deletions, the last state stamped with the deletion's resourceVersion.
    pub object: Value,
}

struct WatcherSlot {
    res: ResKey,
    namespace: Option<String>,
    tx: mpsc::UnboundedSender<Arc<Change>>,
}

/// Why a watch cannot resume: its resourceVersion predates the retained history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooOld {
    pub requested: u64,
    pub oldest: u64,
}

type NameKey = (String, String);

pub struct Store {
    pub registry: Registry,
    pub ids: Ids,
    objects: BTreeMap<ResKey, BTreeMap<NameKey, Value>>,
    rv: u64,
    history: VecDeque<Arc<Change>>,
    history_limit: usize,
    /// Watches may resume from any resourceVersion >= this.
    compacted: u64,
    watchers: Vec<WatcherSlot>,
}

impl Store {
    pub fn new(history_limit: usize) -> Store {
        Store {
            registry: Registry::builtins(),
            ids: Ids::default(),
            objects: BTreeMap::new(),
            rv: 0,
            history: VecDeque::new(),
            history_limit: history_limit.max(1),
            compacted: 0,
            watchers: Vec::new(),
        }
    }

    pub fn current_rv(&self) -> u64 {
        self.rv
    }

    pub fn compacted_rv(&self) -> u64 {
        self.compacted
    }

    pub fn set_history_limit(&mut self, limit: usize) {
        self.history_limit = limit.max(1);
        self.trim();
    }

    pub fn get(&self, res: &ResKey, namespace: &str, name: &str) -> Option<&Value> {
        self.objects.get(res)?.get(&(namespace.to_string(), name.to_string()))
    }

    /// Objects in (namespace, name) order, optionally within one namespace and after a key
    /// (for continue tokens).
    pub fn list<'a>(
        &'a self,
        res: &ResKey,
        namespace: Option<&'a str>,
        after: Option<&'a NameKey>,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects
            .get(res)
            .into_iter()
            .flat_map(|m| m.iter())
            .filter(move |((ns, _), _)| namespace.is_none_or(|want| want == ns))
            .filter(move |(k, _)| after.is_none_or(|a| *k > a))
            .map(|(_, v)| v)
    }

    /// Every resource key with at least one object.
    pub fn resources(&self) -> Vec<ResKey> {
        self.objects.keys().cloned().collect()
    }

    /// Inserts or replaces an object, stamping the next resourceVersion; returns the stored copy.
    pub fn put(&mut self, res: &ResKey, mut obj: Value) -> Value {
        self.rv += 1;
        meta_mut(&mut obj).insert("resourceVersion".into(), json!(self.rv.to_string()));
        let key = name_key(&obj);
        let old = self.objects.entry(res.clone()).or_default().insert(key.clone(), obj.clone());
        let kind = if old.is_some() { ChangeType::Modified } else { ChangeType::Added };
        self.record(Change { rv: self.rv, kind, res: res.clone(), namespace: key.0, old, object: obj.clone() });
        obj
    }

    /// Removes an object; the returned copy carries the deletion's resourceVersion, as the
    /// DELETED watch event does.
    pub fn remove(&mut self, res: &ResKey, namespace: &str, name: &str) -> Option<Value> {
        let key = (namespace.to_string(), name.to_string());
        let old = self.objects.get_mut(res)?.remove(&key)?;
        self.rv += 1;
        let mut gone = old.clone();
        meta_mut(&mut gone).insert("resourceVersion".into(), json!(self.rv.to_string()));
        self.record(Change {
            rv: self.rv,
            kind: ChangeType::Deleted,
            res: res.clone(),
            namespace: key.0,
            old: Some(old),
            object: gone.clone(),
        });
        Some(gone)
    }

    fn record(&mut self, change: Change) {
        let change = Arc::new(change);
        self.watchers.retain(|w| {
            if w.res != change.res || w.namespace.as_ref().is_some_and(|ns| *ns != change.namespace) {
                return true;
            }
            w.tx.send(change.clone()).is_ok()
        });
        self.history.push_back(change);
        self.trim();
    }

    fn trim(&mut self) {
        while self.history.len() > self.history_limit {
            if let Some(c) = self.history.pop_front() {
                self.compacted = c.rv;
            }
        }
    }

    /// Forgets all history, like an etcd compaction at the current revision.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted = self.rv;
    }

    /// Changes to `res` (in `namespace`) after `since`, or why they are gone.
    pub fn replay(&self, res: &ResKey, namespace: Option<&str>, since: u64) -> Result<Vec<Arc<Change>>, TooOld> {
        if since < self.compacted {
            return Err(TooOld { requested: since, oldest: self.compacted });
        }
        Ok(self
            .history
            .iter()
            .filter(|c| c.rv > since && c.res == *res && namespace.is_none_or(|ns| ns == c.namespace))
            .cloned()
            .collect())
    }

    /// Registers a watcher; it receives every change committed from now on.
    pub fn subscribe(&mut self, res: &ResKey, namespace: Option<&str>) -> mpsc::UnboundedReceiver<Arc<Change>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.watchers.push(WatcherSlot { res: res.clone(), namespace: namespace.map(String::from), tx });
        rx
    }

    /// Watch streams currently open on resources with this plural name (any group).
    pub fn active_watches(&self, plural: &str) -> usize {
        self.watchers.iter().filter(|w| w.res.plural == plural && !w.tx.is_closed()).count()
    }

    /// Closes every watcher's feed, which ends its stream once queued changes are sent.
    pub fn drop_watchers(&mut self) {
        self.watchers.clear();
    }
}

pub fn name_key(obj: &Value) -> NameKey {
    (meta_str(obj, "namespace").unwrap_or_default().to_string(), meta_str(obj, "name").unwrap_or_default().to_string())
}
