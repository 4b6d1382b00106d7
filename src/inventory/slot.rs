//! How the inventory holds one object: built, or compact text decoded when a check reads it.

use std::any::Any;
use std::sync::{Arc, OnceLock};

use super::live::CompactObject;
use super::view::{self, View, ViewError};
use super::{Kind, Object, namespace_of_key};

/// Compact JSON text and what has been decoded from it. Live, the controller's cache holds one
/// per object and every snapshot shares it, so an object is decoded once per change, not once
/// per reconcile, and the `Arc`s it hands out stay the same until the object changes (which is
/// what caches keyed on identity, such as the cluster RBAC resolution, rely on).
#[derive(Debug)]
pub struct CompactEntry {
    compact: CompactObject,
    built: OnceLock<Arc<Object>>,
    /// `None`: views are read afresh on every read and kept by no one (offline, where an item
    /// judging every Deployment of a large stream must not keep a view per Deployment).
    view: Option<ViewMemo>,
}

impl CompactEntry {
    /// An entry whose decoded object and view are kept once made (live).
    pub fn shared(compact: CompactObject) -> Self {
        CompactEntry { compact, built: OnceLock::new(), view: Some(ViewMemo::default()) }
    }

    /// An entry that keeps a built object once made but reads views afresh (offline).
    pub fn transient(compact: CompactObject) -> Self {
        CompactEntry { compact, built: OnceLock::new(), view: None }
    }

    pub fn compact(&self) -> &CompactObject {
        &self.compact
    }

    fn object(&self, kind: &Kind, namespace: &str, name: &str) -> &Arc<Object> {
        self.built.get_or_init(|| Arc::new(self.compact.to_object(kind, namespace_of_key(namespace), name)))
    }

    fn view<V: View>(&self, object: impl Fn() -> String) -> Result<Arc<V>, ViewError> {
        let read = || match self.built.get() {
            Some(built) => view::from_value::<V>(&built.data, &object),
            None => view::from_text::<V>(self.compact.text(), &object),
        };
        match &self.view {
            Some(memo) => memo.get_or_read(read),
            None => read().map(Arc::new),
        }
    }
}

/// A view read once and kept beside what it was read from, so every later read hands out the
/// same `Arc` (which caches keyed on identity rely on).
#[derive(Debug, Default)]
struct ViewMemo(OnceLock<Arc<dyn Any + Send + Sync>>);

impl ViewMemo {
    fn get_or_read<V: View>(&self, read: impl FnOnce() -> Result<V, ViewError>) -> Result<Arc<V>, ViewError> {
        if let Some(kept) = self.0.get()
            && let Ok(kept) = Arc::clone(kept).downcast::<V>()
        {
            return Ok(kept);
        }
        // Errors are not kept: an unreadable object is read (and reported) again.
        let fresh = Arc::new(read()?);
        let _ = self.0.set(Arc::clone(&fresh) as Arc<dyn Any + Send + Sync>);
        Ok(fresh)
    }
}

/// A built object and its view, read once: the object already holds its whole `Value` tree, so
/// keeping the much smaller view beside it costs little, and an inventory evaluated again (the
/// same checklist over the same objects, or several checklists) decodes each view once.
#[derive(Debug)]
pub(super) struct BuiltEntry {
    object: Arc<Object>,
    view: ViewMemo,
}

/// An object at rest: built, or compact JSON text made into an object the first time a check
/// reads it. A parsed `Value` costs 20 to 30 times its text (a B-tree node per mapping), so an
/// offline inventory of a large manifest stream keeps text and builds only what is read; views
/// are read from the text without building the tree at all.
#[derive(Clone, Debug)]
pub(super) enum Slot {
    Built(Arc<BuiltEntry>),
    Compact(Arc<CompactEntry>),
}

impl Slot {
    pub(super) fn built(object: Arc<Object>) -> Self {
        Slot::Built(Arc::new(BuiltEntry { object, view: ViewMemo::default() }))
    }

    pub(super) fn object(&self, kind: &Kind, namespace: &str, name: &str) -> &Arc<Object> {
        match self {
            Slot::Built(built) => &built.object,
            Slot::Compact(entry) => entry.object(kind, namespace, name),
        }
    }

    /// The view, from the tree when there is one, else straight from the text.
    pub(super) fn view<V: View>(&self, kind: &Kind, name: &str) -> Result<Arc<V>, ViewError> {
        let object = || format!("{}/{name}", kind.kind().to_ascii_lowercase());
        match self {
            Slot::Built(built) => built.view.get_or_read(|| view::from_value(&built.object.data, object)),
            Slot::Compact(entry) => entry.view(object),
        }
    }

    pub(super) fn into_object(self, kind: &Kind, namespace: &str, name: &str) -> Arc<Object> {
        match self {
            Slot::Built(built) => Arc::clone(&built.object),
            Slot::Compact(entry) => Arc::clone(entry.object(kind, namespace, name)),
        }
    }
}
