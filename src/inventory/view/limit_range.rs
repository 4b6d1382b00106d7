//! The view of a LimitRange: the `resourceQuota` check's `requireLimitRange` asks only whether
//! one exists in the namespace, and names it; its limits are never judged.

use serde::{Deserialize, Serialize};

use super::de::nullable;
use super::meta::{Meta, is_default};

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct LimitRangeView {
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub metadata: Meta,
}

view_of!(LimitRangeView: LimitRange);

#[cfg(test)]
mod tests {
    use crate::inventory::view::View as _;
    use serde_json::json;

    use super::*;
    use crate::inventory::view::meta::round_trip::{assert_round_trips, corpus_views};

    #[test]
    fn reads_the_name_and_labels_only() {
        let view: LimitRangeView = assert_round_trips(&json!({
            "apiVersion": "v1", "kind": "LimitRange",
            "metadata": {"name": "defaults", "labels": {"team": "shop"}},
            "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}
        }));
        assert_eq!(view.reference(), "limitrange/defaults");
        assert_eq!(view.labels().get("team").map(String::as_str), Some("shop"));
        assert_eq!(
            serde_json::to_value(&view).expect("serializes"),
            json!({"metadata": {"name": "defaults", "labels": {"team": "shop"}}})
        );
    }

    #[test]
    fn corpus_limit_ranges_round_trip() {
        for (object, view) in corpus_views::<LimitRangeView>("LimitRange", 1) {
            assert!(!view.metadata.name.is_empty(), "{object}");
        }
    }
}
