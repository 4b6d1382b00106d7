//! The view of a Role or ClusterRole: what the `rbac` check's authorizer and ClusterRole
//! aggregation read (the rules, the aggregation rule, and the labels aggregation selects on).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::de::{items, nullable};
use super::meta::Meta;
use super::shape::strings;

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleView {
    /// The name keys the authorizer's roles (views come without their inventory key); the
    /// labels are what aggregation selects on.
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: Meta,
    #[serde(default, deserialize_with = "items", skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<PolicyRule>,
    /// `None` when absent or null: the role's rules are its own.
    #[serde(default, deserialize_with = "aggregation_rule", skip_serializing_if = "Option::is_none")]
    pub aggregation_rule: Option<AggregationRule>,
}

view_of!(RoleView: Role, ClusterRole);

impl RoleView {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }
}

/// One rule of a Role or ClusterRole. Absent lists are empty, as in Go; entries that are not
/// strings are dropped (the API server would have refused them). Matching a request against it
/// is the `rbac` check's (`checks::rbac::rules`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    #[serde(default, deserialize_with = "strings", skip_serializing_if = "Vec::is_empty")]
    pub verbs: Vec<String>,
    #[serde(default, deserialize_with = "strings", skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    #[serde(default, deserialize_with = "strings", skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(default, deserialize_with = "strings", skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    #[serde(default, rename = "nonResourceURLs", deserialize_with = "strings", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
}

/// A ClusterRole's `aggregationRule`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregationRule {
    #[serde(skip_serializing_if = "ClusterRoleSelectors::is_empty")]
    pub cluster_role_selectors: ClusterRoleSelectors,
}

/// `clusterRoleSelectors` as the clusterrole-aggregation controller can use them, or not.
#[derive(Clone, Debug, PartialEq)]
pub enum ClusterRoleSelectors {
    /// The selectors as written (an absent or null list is empty: the role aggregates nothing).
    /// Whether each is a valid selector is the aggregation's to judge.
    Selectors(Vec<LabelSelector>),
    /// Not a list of label selectors: the controller fails its sync and leaves the role's
    /// written rules alone. What was written is not kept.
    Malformed,
}

impl Default for ClusterRoleSelectors {
    fn default() -> Self {
        ClusterRoleSelectors::Selectors(Vec::new())
    }
}

impl ClusterRoleSelectors {
    fn is_empty(&self) -> bool {
        matches!(self, ClusterRoleSelectors::Selectors(list) if list.is_empty())
    }
}

/// How a malformed `clusterRoleSelectors` is written back (the live projection): a mapping,
/// which is no list, so it reads back as [`ClusterRoleSelectors::Malformed`].
const MALFORMED: &str = "malformed";

impl Serialize for ClusterRoleSelectors {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ClusterRoleSelectors::Selectors(list) => list.serialize(serializer),
            ClusterRoleSelectors::Malformed => BTreeMap::from([(MALFORMED, true)]).serialize(serializer),
        }
    }
}

/// `aggregationRule`: `None` for absent or null. Anything else is a rule: a mapping is read for
/// its selectors; any other value has no `clusterRoleSelectors`, so it selects nothing (as the
/// JSON-pointer reader before the view had it: the role's rules are emptied).
fn aggregation_rule<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<AggregationRule>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Null => None,
        Value::Object(mut rule) => Some(AggregationRule {
            cluster_role_selectors: cluster_role_selectors(rule.remove("clusterRoleSelectors").unwrap_or(Value::Null)),
        }),
        _ => Some(AggregationRule::default()),
    })
}

fn cluster_role_selectors(value: Value) -> ClusterRoleSelectors {
    match value {
        Value::Null => ClusterRoleSelectors::default(),
        Value::Array(list) => list
            .into_iter()
            .map(LabelSelector::deserialize)
            .collect::<Result<_, _>>()
            .map_or(ClusterRoleSelectors::Malformed, ClusterRoleSelectors::Selectors),
        _ => ClusterRoleSelectors::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use crate::inventory::view::View as _;
    use serde_json::json;

    use super::*;
    use crate::inventory::view::meta::round_trip::assert_round_trips;

    /// Reads the view, whatever the fields hold, and checks it round-trips.
    fn read(value: Value) -> RoleView {
        assert_round_trips(&value)
    }

    fn role(rest: Value) -> Value {
        let mut role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                              "metadata": {"name": "monitoring", "labels": {"team": "obs", "n": 1}}});
        role.as_object_mut().expect("mapping").extend(rest.as_object().expect("mapping").clone());
        role
    }

    #[test]
    fn reads_rules_aggregation_and_labels() {
        let view = read(role(json!({
            "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get"],
                       "resourceNames": ["a"], "nonResourceURLs": ["/metrics"]}],
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to-monitoring": "true"}}]}
        })));
        assert_eq!(view.name(), "monitoring");
        assert_eq!(view.labels(), &BTreeMap::from([("team".to_owned(), "obs".to_owned())]));
        assert_eq!(
            view.rules,
            [PolicyRule {
                verbs: vec!["get".into()],
                api_groups: vec!["".into()],
                resources: vec!["pods".into(), "pods/log".into()],
                resource_names: vec!["a".into()],
                non_resource_urls: vec!["/metrics".into()],
            }]
        );
        let Some(AggregationRule { cluster_role_selectors: ClusterRoleSelectors::Selectors(selectors) }) =
            &view.aggregation_rule
        else {
            panic!("selectors read: {view:?}")
        };
        assert_eq!(selectors.len(), 1);
    }

    /// The malformed shapes the JSON-pointer readers tolerated read the same way, and a view
    /// always reads (an RBAC object is never refused for one odd field).
    #[test]
    fn malformed_fields_read_as_the_pointer_readers_read_them() {
        let odd = read(role(json!({"rules": [{"verbs": ["get", 1]}, "get pods", null], "aggregationRule": null})));
        assert_eq!(
            odd.rules,
            [
                PolicyRule { verbs: vec!["get".into()], ..PolicyRule::default() },
                PolicyRule::default(),
                PolicyRule::default()
            ]
        );
        assert_eq!(odd.aggregation_rule, None);
        assert!(read(role(json!({"rules": {"verbs": ["get"]}}))).rules.is_empty());
        let cases = [
            // No selectors, or a rule that is no mapping: the role aggregates nothing.
            (json!({}), ClusterRoleSelectors::default()),
            (json!({"clusterRoleSelectors": null}), ClusterRoleSelectors::default()),
            (json!("yes"), ClusterRoleSelectors::default()),
            // Selectors that are no list of selectors: the controller leaves the rules.
            (json!({"clusterRoleSelectors": {"matchLabels": {"a": "b"}}}), ClusterRoleSelectors::Malformed),
            (json!({"clusterRoleSelectors": [{"matchLabels": "a=b"}]}), ClusterRoleSelectors::Malformed),
        ];
        for (rule, expected) in cases {
            let view = read(role(json!({"aggregationRule": rule.clone(), "rules": [{"verbs": ["get"]}]})));
            assert_eq!(view.aggregation_rule.as_ref().map(|r| &r.cluster_role_selectors), Some(&expected), "{rule}");
        }
        let bare = read(json!({"metadata": {"name": "x", "labels": "a=b"}}));
        assert_eq!(bare, RoleView { metadata: Meta { name: "x".into(), ..Meta::default() }, ..RoleView::default() });
    }

    #[test]
    fn every_role_of_the_fixtures_and_the_corpus_round_trips() {
        let Some(objects) = crate::checks::corpus::objects("", "default") else { return };
        let roles: Vec<RoleView> = objects
            .iter()
            .filter(|o| matches!(o.kind.as_str(), "Role" | "ClusterRole"))
            .map(|o| read(o.data.clone()))
            .collect();
        assert!(roles.len() > 20, "the corpus has roles: {}", roles.len());
        assert!(roles.iter().any(|r| r.aggregation_rule.is_some()), "and aggregating ones");
        for fixture in [
            crate::checks::rbac::fixtures::aggregating_role("agg", json!({"x": "y"}), "to-agg"),
            crate::checks::rbac::fixtures::role("shop", "reader", crate::checks::rbac::fixtures::get_pods_rule()),
        ] {
            read(fixture.data);
        }
    }
}
