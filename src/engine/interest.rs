//! Which objects a set of checklists can read, so a loader can drop the rest as it reads them,
//! and the inventory `readygate check` builds from what it keeps.
//!
//! A checklist reads what [`ChecklistReads`] declares, in its own namespace, plus cluster-scoped
//! objects of those kinds: the same view the controller gives an evaluation (`Cache::snapshot`).
//! Anything else in a manifest stream cannot change any decision, so `readygate check` need not
//! hold it; on a large stream that is most of the memory. Kinds `resource` items judge are kept
//! whole (`inventory::whole`), as the controller keeps them.
//!
//! Scope comes from the manifests' own CustomResourceDefinitions where they define the kind
//! (`spec.scope`), from the fixed list in `inventory::kinds` otherwise: an object of a custom
//! cluster-scoped kind that names no namespace is cluster-scoped, not in `-n`'s namespace. A
//! CRD may come after the objects of its kind, so such objects wait for the end of the stream.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;

use crate::api::ReadinessChecklist;
use crate::checks::ChecklistReads;
use crate::inventory::live::CompactObject;
use crate::inventory::{Inventory, Kind, Object, ObjectRef, whole};

/// The kind key of CustomResourceDefinitions.
const CRD: &str = "CustomResourceDefinition.apiextensions.k8s.io";

/// The kinds and namespaces some checklist of a set reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interest {
    /// Inventory keys read (see [`ChecklistReads::keys`]).
    keys: BTreeSet<Kind>,
    /// Kinds read as whole objects.
    whole: BTreeSet<Kind>,
    namespaces: HashSet<String>,
}

impl Interest {
    /// What `checklists` read. Checklists without a namespace are in `default`, as evaluated.
    pub fn of<'a>(checklists: impl IntoIterator<Item = &'a ReadinessChecklist>) -> Self {
        let mut interest = Interest::default();
        for checklist in checklists {
            let reads = ChecklistReads::of(checklist);
            interest.keys.extend(reads.keys);
            interest.whole.extend(reads.whole.into_keys());
            interest.namespaces.insert(checklist.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned()));
        }
        interest
    }

    /// Whether some checklist may read `object`: a kind one reads, in a namespace one is in
    /// (any, for an object without a namespace: cluster-scoped).
    pub fn wants(&self, object: &Object) -> bool {
        self.wants_in(&object.kind_key, object.namespace.as_deref())
    }

    /// [`Self::wants`] by kind and namespace.
    pub fn wants_key(&self, kind: impl Into<Kind>, namespace: Option<&str>) -> bool {
        self.wants_in(&kind.into(), namespace)
    }

    fn wants_in(&self, kind: &Kind, namespace: Option<&str>) -> bool {
        self.reads_kind(kind) && namespace.is_none_or(|ns| self.namespaces.contains(ns))
    }

    /// Whether some checklist reads objects of `kind`, in some namespace, or a [`Collector`]
    /// needs them (CRDs tell scope).
    pub fn wants_kind(&self, kind: &Kind) -> bool {
        *kind == CRD || self.reads_kind(kind)
    }

    fn reads_kind(&self, kind: &Kind) -> bool {
        self.keys.contains(kind) || self.whole.contains(kind)
    }

    /// Whether the catalogue's checks read `kind` as such (not only `resource` items, which
    /// read the whole copy, under the same key when the kind is not projected).
    fn wants_as_loaded(&self, kind: &Kind) -> bool {
        // A kind kept whole under its own key (not projected) is that one copy.
        self.keys.contains(kind) && (whole::is_separate(kind) || !self.whole.contains(kind))
    }
}

/// Builds the inventory of the objects an [`Interest`] wants, one object at a time.
pub struct Collector<'a> {
    interest: &'a Interest,
    inventory: Inventory,
    /// Kind -> cluster-scoped, from the CRDs seen so far.
    crd_scopes: HashMap<Kind, bool>,
    /// Wanted objects of a kind whose scope only a CRD can tell, that named no namespace: kept
    /// compact until the stream ends. (kind, name, default namespace, object)
    undecided: Vec<(Kind, String, String, CompactObject)>,
}

impl<'a> Collector<'a> {
    pub fn new(interest: &'a Interest) -> Self {
        Collector { interest, inventory: Inventory::new(), crd_scopes: HashMap::new(), undecided: Vec::new() }
    }

    /// Offers one loaded object: kept (compact, built when a check reads it) when wanted.
    pub fn add(&mut self, object: Object) {
        if object.kind_key == CRD
            && let Some((kind_key, cluster)) = crd_scope(&object.data)
        {
            self.crd_scopes.insert(kind_key, cluster);
        }
        if !self.interest.reads_kind(&object.kind_key) {
            return;
        }
        let defaulted = object.namespace.is_some() && object.str_at("/metadata/namespace").is_none_or(str::is_empty);
        let scope_known = object.kind_key.is_cluster_scoped() || whole::is_projected(&object.kind_key);
        if defaulted && !scope_known {
            let Object { kind_key, name, namespace, .. } = &object;
            let namespace = namespace.clone().unwrap_or_default();
            self.undecided.push((kind_key.clone(), name.clone(), namespace, CompactObject::from_object(&object)));
            return;
        }
        self.keep(object);
    }

    /// The inventory, once every object was offered.
    pub fn finish(mut self) -> Inventory {
        for (kind_key, name, namespace, compact) in std::mem::take(&mut self.undecided) {
            let cluster = self.crd_scopes.get(&kind_key).copied().unwrap_or(false);
            let namespace = (!cluster).then_some(namespace.as_str());
            self.keep(compact.to_object(&kind_key, namespace, &name));
        }
        self.inventory
    }

    fn keep(&mut self, mut object: Object) {
        if !self.interest.wants(&object) {
            return;
        }
        let as_loaded = self.interest.wants_as_loaded(&object.kind_key);
        if !self.interest.whole.contains(&object.kind_key) {
            if as_loaded {
                self.inventory.insert_compact(&object);
            }
            return;
        }
        // One stripped text for both copies: the catalogue's checks never read what stripping
        // drops (the live projection drops it too), and a second serialization of a large
        // object would cost as much as the first.
        whole::strip_bookkeeping(&mut object.data);
        let compact = CompactObject::from_object(&object);
        let (namespace, name) = (object.namespace.as_deref(), object.name.as_str());
        if as_loaded {
            self.inventory.insert_compact_parts(object.object_ref(), compact.clone());
        }
        let whole_ref = ObjectRef::new(whole::key(&object.kind_key), namespace, name);
        self.inventory.insert_compact_parts(whole_ref, compact);
    }
}

/// (kind, cluster-scoped) of the kind a CustomResourceDefinition defines.
fn crd_scope(crd: &Value) -> Option<(Kind, bool)> {
    let group = crd.pointer("/spec/group").and_then(Value::as_str)?;
    let kind = crd.pointer("/spec/names/kind").and_then(Value::as_str)?;
    let cluster = crd.pointer("/spec/scope").and_then(Value::as_str) == Some("Cluster");
    Some((Kind::new(group, kind), cluster))
}

#[cfg(test)]
mod tests;
