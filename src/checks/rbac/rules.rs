//! PolicyRule matching for resource requests, exactly as Kubernetes' RBAC authorizer does it
//! (`k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go`).

pub use crate::inventory::view::role::PolicyRule;

/// What a subject asks to do: a resource request in some namespace. Empty `subresource` and
/// `name` mean none, as in `authorizer.Attributes`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceRequest {
    pub verb: String,
    pub api_group: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
}

impl ResourceRequest {
    /// `delete deployments`, `patch deployments/scale`, `get secrets "db"`: for messages.
    pub fn describe(&self) -> String {
        let mut text = format!("{} {}", self.verb, self.resource);
        if !self.subresource.is_empty() {
            text.push('/');
            text.push_str(&self.subresource);
        }
        if !self.name.is_empty() {
            text.push_str(&format!(" {:?}", self.name));
        }
        text
    }
}

const ALL: &str = "*";

/// The rule is the Role view's (`inventory::view::role`), read leniently there; what it allows
/// is RBAC semantics, so it is written here.
impl PolicyRule {
    /// `RuleAllows` for a resource request: verb, API group, resource (with subresource) and
    /// resource name all match. `nonResourceURLs` never grant resource requests.
    pub fn allows(&self, request: &ResourceRequest) -> bool {
        self.verb_matches(&request.verb)
            && self.api_group_matches(&request.api_group)
            && self.resource_matches(&request.resource, &request.subresource)
            && self.resource_name_matches(&request.name)
    }

    /// `*` verbs on `*` resources in `*` API groups for every name: everything cluster-admin
    /// can do to resources. A rule limited by `resourceNames` reaches only those objects, so it
    /// does not count.
    pub fn is_full_wildcard(&self) -> bool {
        [&self.verbs, &self.api_groups, &self.resources].iter().all(|list| list.iter().any(|v| v == ALL))
            && self.resource_names.is_empty()
    }

    fn verb_matches(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == ALL || v == verb)
    }

    fn api_group_matches(&self, group: &str) -> bool {
        self.api_groups.iter().any(|g| g == ALL || g == group)
    }

    /// `*`, the exact `resource` or `resource/subresource`, or `*/subresource`. Kubernetes has no
    /// `resource/*` wildcard: such an entry only matches a request for the literal subresource
    /// `*`, which no API serves.
    fn resource_matches(&self, resource: &str, subresource: &str) -> bool {
        let combined = if subresource.is_empty() { resource.to_owned() } else { format!("{resource}/{subresource}") };
        self.resources.iter().any(|r| {
            r == ALL
                || *r == combined
                || (!subresource.is_empty() && r.strip_prefix("*/").is_some_and(|sub| sub == subresource))
        })
    }

    /// An empty `resourceNames` allows every name. Otherwise the requested name must be listed,
    /// so a request without a name (list, create, deletecollection) never matches.
    fn resource_name_matches(&self, name: &str) -> bool {
        self.resource_names.is_empty() || self.resource_names.iter().any(|n| n == name)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn rule(value: Value) -> PolicyRule {
        serde_json::from_value(value).expect("a rule is a mapping")
    }

    fn request(verb: &str, group: &str, resource: &str, subresource: &str, name: &str) -> ResourceRequest {
        ResourceRequest {
            verb: verb.to_owned(),
            api_group: group.to_owned(),
            resource: resource.to_owned(),
            subresource: subresource.to_owned(),
            name: name.to_owned(),
        }
    }

    fn get_pods() -> ResourceRequest {
        request("get", "", "pods", "", "")
    }

    #[test]
    fn matches_verbs_groups_and_resources_exactly_or_by_wildcard() {
        let reader = rule(json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}));
        assert!(reader.allows(&get_pods()));
        assert!(!reader.allows(&request("delete", "", "pods", "", "")));
        assert!(!reader.allows(&request("get", "apps", "pods", "", "")));
        assert!(!reader.allows(&request("get", "", "services", "", "")));
        let anything = rule(json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}));
        assert!(anything.allows(&request("escalate", "rbac.authorization.k8s.io", "clusterroles", "", "admin")));
    }

    #[test]
    fn a_resource_does_not_grant_its_subresources() {
        let deployments = rule(json!({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["*"]}));
        assert!(!deployments.allows(&request("patch", "apps", "deployments", "scale", "")));
        let scale = rule(json!({"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["patch"]}));
        assert!(scale.allows(&request("patch", "apps", "deployments", "scale", "")));
        assert!(!scale.allows(&request("patch", "apps", "deployments", "", "")));
    }

    #[test]
    fn star_slash_subresource_matches_that_subresource_of_every_resource() {
        let any_scale = rule(json!({"apiGroups": ["*"], "resources": ["*/scale"], "verbs": ["update"]}));
        assert!(any_scale.allows(&request("update", "apps", "statefulsets", "scale", "")));
        assert!(!any_scale.allows(&request("update", "apps", "statefulsets", "status", "")));
        assert!(!any_scale.allows(&request("update", "apps", "statefulsets", "", "")));
        // Only `*/` followed by exactly the subresource: `*/xscale` is not `*/scale`.
        let near = rule(json!({"apiGroups": ["*"], "resources": ["*/xscale"], "verbs": ["update"]}));
        assert!(!near.allows(&request("update", "apps", "statefulsets", "scale", "")));
    }

    #[test]
    fn resource_slash_star_is_no_wildcard_in_kubernetes() {
        let pods_star = rule(json!({"apiGroups": [""], "resources": ["pods/*"], "verbs": ["get"]}));
        assert!(!pods_star.allows(&request("get", "", "pods", "log", "")));
        assert!(!pods_star.allows(&get_pods()));
    }

    #[test]
    fn resource_names_restrict_named_requests_and_exclude_unnamed_ones() {
        let one = rule(json!({"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["app-config"],
                              "verbs": ["get", "list"]}));
        assert!(one.allows(&request("get", "", "configmaps", "", "app-config")));
        assert!(!one.allows(&request("get", "", "configmaps", "", "other")));
        assert!(!one.allows(&request("list", "", "configmaps", "", "")));
        let all_names = rule(json!({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}));
        assert!(all_names.allows(&request("get", "", "configmaps", "", "anything")));
    }

    #[test]
    fn non_resource_urls_never_grant_resource_requests() {
        let metrics = rule(json!({"nonResourceURLs": ["*"], "verbs": ["get"]}));
        assert!(!metrics.allows(&get_pods()));
    }

    #[test]
    fn a_requested_star_verb_needs_a_star_rule() {
        let reader = rule(json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}));
        assert!(!reader.allows(&request("*", "", "pods", "", "")));
    }

    #[test]
    fn full_wildcards_need_every_verb_group_and_resource_for_every_name() {
        assert!(rule(json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})).is_full_wildcard());
        assert!(!rule(json!({"apiGroups": ["apps"], "resources": ["*"], "verbs": ["*"]})).is_full_wildcard());
        assert!(!rule(json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]})).is_full_wildcard());
        assert!(
            !rule(json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"], "resourceNames": ["x"]}))
                .is_full_wildcard()
        );
    }

    #[test]
    fn malformed_entries_are_ignored() {
        let odd = rule(json!({"apiGroups": [1, ""], "resources": "pods", "verbs": ["get", null]}));
        assert_eq!(odd.api_groups, [""]);
        assert!(odd.resources.is_empty());
        assert!(!odd.allows(&get_pods()));
    }

    #[test]
    fn describes_requests_like_kubectl_auth_can_i() {
        assert_eq!(request("patch", "apps", "deployments", "scale", "").describe(), "patch deployments/scale");
        assert_eq!(request("get", "", "secrets", "", "db").describe(), "get secrets \"db\"");
    }
}
