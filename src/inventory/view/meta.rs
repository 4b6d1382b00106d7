//! `metadata` as the HorizontalPodAutoscaler, CronJob, ResourceQuota, LimitRange, Role, binding,
//! Secret and Issuer views read it: the name messages show and the labels selectors match, nothing else.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::de::nullable;
use super::shape::string_map;
use crate::inventory::kind::CatalogueKind;

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Meta {
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// String values only; labels that are not a mapping read as none, as `Object::from_value`
    /// reads them (so selecting by label gives what it gave before views).
    #[serde(default, deserialize_with = "string_map", skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Meta {
    /// `cronjob/backup`: how messages name an object of `kind`, as `Object::reference` does.
    pub fn reference(&self, kind: CatalogueKind) -> String {
        format!("{}/{}", kind.kind().to_ascii_lowercase(), self.name)
    }
}

/// For `skip_serializing_if` on nested structs: a part that reads as its default is left out,
/// so a view serializes to the smallest object that reads back the same (one definition, with
/// the other readers and writers in `de`).
pub(super) use super::de::is_default;

/// What every view's round-trip test asserts, over fixtures and the shared corpus.
#[cfg(test)]
pub(super) mod round_trip {
    use std::fmt::Debug;

    use serde::Serialize;
    use serde_json::Value;

    use crate::inventory::view::{View, from_text, from_value};

    /// `from_value(to_value(view)) == view`: the view's serialization (the live projection)
    /// reads back as the very view the checks judge. The object's text reads as its tree does.
    pub(in crate::inventory::view) fn assert_round_trips<V: View + Serialize + PartialEq + Debug>(object: &Value) -> V {
        let view: V = from_value(object, || "fixture".to_owned()).expect("the object reads into its view");
        let from_text: V = from_text(&object.to_string(), || "fixture".to_owned()).expect("its text reads too");
        assert_eq!(from_text, view, "text and tree read alike");
        let serialized = serde_json::to_value(&view).expect("a view serializes");
        let again: V = from_value(&serialized, || "serialized view".to_owned()).expect("its serialization reads back");
        assert_eq!(again, view, "round trip through {serialized}");
        view
    }

    /// Every object of `kind` (`CronJob`) in the shared corpus; `None`, with a notice, when the
    /// corpus is absent.
    pub(in crate::inventory::view) fn corpus_objects(kind: &str) -> Option<Vec<Value>> {
        let objects = crate::checks::corpus::objects("", "shop")?;
        Some(objects.into_iter().filter(|o| o.kind == kind).map(|o| o.data).collect())
    }

    /// Every object of `kind` in the shared corpus, each asserted to round-trip, with its view;
    /// at least `at_least` of them (none, with a notice, when the corpus is absent).
    pub(in crate::inventory::view) fn corpus_views<V: View + Serialize + PartialEq + Debug>(
        kind: &str,
        at_least: usize,
    ) -> Vec<(Value, V)> {
        let Some(objects) = corpus_objects(kind) else { return Vec::new() };
        assert!(objects.len() >= at_least, "the corpus holds {} {kind} objects, expected {at_least}", objects.len());
        objects
            .into_iter()
            .map(|object| {
                let view = assert_round_trips(&object);
                (object, view)
            })
            .collect()
    }

    /// Every object of `kind` in the repository's own examples and fixtures
    /// (`examples/novacron`, `tests/fixtures/projection.yaml`).
    pub(in crate::inventory::view) fn repository_objects(kind: &str) -> Vec<Value> {
        ["examples/novacron", "tests/fixtures/projection.yaml"]
            .into_iter()
            .flat_map(|path| crate::checks::corpus::repository_objects(path, "shop"))
            .filter(|o| o.kind == kind)
            .map(|o| o.data)
            .collect()
    }
}
