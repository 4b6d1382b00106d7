//! The view of a Namespace: its name and labels.
//!
//! No check reads more of a Namespace than that (none reads Namespaces at all today: the
//! `networkPolicy` check judges `namespaceSelector` peers by their shape, not by the namespaces
//! they select, and a `resource` item naming Namespaces sees whole objects). Labels are what a
//! namespace is selected by, so they are what a check of namespace-selecting rules would read.

use serde::{Deserialize, Serialize};

use super::meta::{Meta, is_default};
use super::shape::mapping;

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct NamespaceView {
    #[serde(default, deserialize_with = "mapping", skip_serializing_if = "is_default")]
    pub metadata: Meta,
}

view_of!(NamespaceView: Namespace);

impl NamespaceView {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }
}

#[cfg(test)]
mod tests {
    use crate::inventory::view::View as _;
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::inventory::view::meta::round_trip::{assert_round_trips, corpus_views};

    #[test]
    fn reads_the_name_and_the_string_labels_only() {
        let view: NamespaceView = assert_round_trips(&json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "shop", "labels": {"kubernetes.io/metadata.name": "shop", "team": "ops", "n": 1},
                         "annotations": {"a": "b"}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}));
        assert_eq!(view.name(), "shop");
        assert_eq!(
            view.labels(),
            &BTreeMap::from([
                ("kubernetes.io/metadata.name".to_owned(), "shop".to_owned()),
                ("team".to_owned(), "ops".to_owned())
            ])
        );
        assert_eq!(
            serde_json::to_value(&view).expect("serializes"),
            json!({"metadata": {"name": "shop", "labels": {"kubernetes.io/metadata.name": "shop", "team": "ops"}}})
        );
    }

    #[test]
    fn every_namespace_of_the_corpus_round_trips() {
        corpus_views::<NamespaceView>("Namespace", 6);
    }
}
