//! Test support: a view reads back, from a tree and from text alike, as what it serializes to
//! (the live projection is a view's serialization, so this is what keeps the two one).

use std::fmt::Debug;

use serde::Serialize;

use super::{View, from_text, from_value};

pub(crate) fn assert_round_trips<V: View + Serialize + PartialEq + Debug>(view: &V) {
    let written = serde_json::to_value(view).expect("a view serializes");
    let from_tree: V = from_value(&written, || "round trip".into()).expect("reads back from a tree");
    assert_eq!(&from_tree, view, "{written}");
    let from_text: V = from_text(&written.to_string(), || "round trip".into()).expect("reads back from text");
    assert_eq!(&from_text, view, "{written}");
}
