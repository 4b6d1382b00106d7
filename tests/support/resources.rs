//! The resource table: which group/version/plural exist, their kind, scope and subresources.
//!
//! Built-ins are listed here; CRDs add entries when they are installed (directly or by POSTing
//! a CustomResourceDefinition) and lose them when the CRD is deleted.

use serde_json::Value;

/// Where the scale subresource reads and writes replicas (JSON paths like `.spec.replicas`).
#[derive(Debug, Clone, PartialEq)]
pub struct ScalePaths {
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceInfo {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub has_status: bool,
    pub scale: Option<ScalePaths>,
    /// The CRD that declared this resource; `None` for built-ins.
    pub crd: Option<String>,
    /// The version's `openAPIV3Schema`, for pruning and defaulting (CRDs only).
    pub schema: Option<Value>,
}

/// Storage identity. Versions of one resource share storage, as they do in etcd.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResKey {
    pub group: String,
    pub plural: String,
}

impl ResourceInfo {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }

    pub fn key(&self) -> ResKey {
        ResKey { group: self.group.clone(), plural: self.plural.clone() }
    }

    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

#[derive(Debug, Clone)]
pub struct Registry {
    resources: Vec<ResourceInfo>,
}

/// (group, version, kind, plural, namespaced, short names, status subresource, scale subresource)
type Builtin = (&'static str, &'static str, &'static str, &'static str, bool, &'static [&'static str], bool, bool);

#[rustfmt::skip]
const BUILTINS: &[Builtin] = &[
    ("", "v1", "Namespace", "namespaces", false, &["ns"], true, false),
    ("", "v1", "Node", "nodes", false, &["no"], true, false),
    ("", "v1", "Service", "services", true, &["svc"], true, false),
    ("", "v1", "Secret", "secrets", true, &[], false, false),
    ("", "v1", "ConfigMap", "configmaps", true, &["cm"], false, false),
    ("", "v1", "Event", "events", true, &["ev"], false, false),
    ("", "v1", "ServiceAccount", "serviceaccounts", true, &["sa"], false, false),
    ("", "v1", "ResourceQuota", "resourcequotas", true, &["quota"], true, false),
    ("", "v1", "LimitRange", "limitranges", true, &["limits"], false, false),
    ("", "v1", "Pod", "pods", true, &["po"], true, false),
    ("apps", "v1", "Deployment", "deployments", true, &["deploy"], true, true),
    ("apps", "v1", "StatefulSet", "statefulsets", true, &["sts"], true, true),
    ("apps", "v1", "DaemonSet", "daemonsets", true, &["ds"], true, false),
    ("apps", "v1", "ReplicaSet", "replicasets", true, &["rs"], true, true),
    ("batch", "v1", "CronJob", "cronjobs", true, &["cj"], true, false),
    ("batch", "v1", "Job", "jobs", true, &[], true, false),
    ("networking.k8s.io", "v1", "Ingress", "ingresses", true, &["ing"], true, false),
    ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, &["netpol"], false, false),
    ("networking.k8s.io", "v1", "IngressClass", "ingressclasses", false, &[], false, false),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, &["hpa"], true, false),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, &["pdb"], true, false),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", true, &[], false, false),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, &[], false, false),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, &[], false, false),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, &[], false, false),
    ("coordination.k8s.io", "v1", "Lease", "leases", true, &[], false, false),
    ("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", false, &[], false, false),
    ("events.k8s.io", "v1", "Event", "events", true, &["ev"], false, false),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, &["crd", "crds"], true, false),
    ("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false, &[], false, false),
    ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false, &[], false, false),
];

impl Registry {
    pub fn builtins() -> Self {
        let resources = BUILTINS
            .iter()
            .map(|&(group, version, kind, plural, namespaced, short, status, scale)| ResourceInfo {
                group: group.into(),
                version: version.into(),
                kind: kind.into(),
                plural: plural.into(),
                singular: kind.to_lowercase(),
                namespaced,
                short_names: short.iter().map(|s| s.to_string()).collect(),
                categories: if scale || kind == "Pod" || kind == "Service" { vec!["all".into()] } else { vec![] },
                has_status: status,
                scale: scale.then(|| ScalePaths {
                    spec_replicas: ".spec.replicas".into(),
                    status_replicas: ".status.replicas".into(),
                    label_selector: None,
                }),
                crd: None,
                schema: None,
            })
            .collect();
        Registry { resources }
    }

    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceInfo> {
        self.resources.iter().find(|r| r.group == group && r.version == version && r.plural == plural)
    }

    pub fn find_kind(&self, group: &str, version: &str, kind: &str) -> Option<&ResourceInfo> {
        self.resources.iter().find(|r| r.group == group && r.version == version && r.kind == kind)
    }

    pub fn all(&self) -> &[ResourceInfo] {
        &self.resources
    }

    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<&ResourceInfo> {
        self.resources.iter().filter(|r| r.group == group && r.version == version).collect()
    }

    /// Non-core groups in first-seen order, each with its versions, preferred first.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for r in self.resources.iter().filter(|r| !r.group.is_empty()) {
            match out.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, versions)) if !versions.contains(&r.version) => versions.push(r.version.clone()),
                Some(_) => {}
                None => out.push((r.group.clone(), vec![r.version.clone()])),
            }
        }
        for (_, versions) in &mut out {
            versions.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
        }
        out
    }

    /// Registers (or re-registers) every served version of a CRD. Returns an error message
    /// fit for a 422 when the definition is unusable.
    pub fn install_crd(&mut self, crd: &Value) -> Result<(), String> {
        let infos = crd_resources(crd)?;
        let name = crd["metadata"]["name"].as_str().unwrap_or_default().to_string();
        self.remove_crd(&name);
        self.resources.extend(infos);
        Ok(())
    }

    /// Forgets a CRD's resources; returns the storage keys it served.
    pub fn remove_crd(&mut self, crd_name: &str) -> Vec<ResKey> {
        let mut keys: Vec<ResKey> = Vec::new();
        self.resources.retain(|r| {
            let mine = r.crd.as_deref() == Some(crd_name);
            if mine && !keys.contains(&r.key()) {
                keys.push(r.key());
            }
            !mine
        });
        keys
    }
}

/// Kubernetes version ordering: GA > beta > alpha, higher numbers first (v2 > v1 > v1beta2).
pub fn version_priority(v: &str) -> (u8, u32, u32) {
    let Some(rest) = v.strip_prefix('v') else {
        return (0, 0, 0);
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let Ok(major) = digits.parse::<u32>() else {
        return (0, 0, 0);
    };
    let tail = &rest[digits.len()..];
    let (stage, minor) = if tail.is_empty() {
        (3, 0)
    } else if let Some(n) = tail.strip_prefix("beta") {
        (2, n.parse().unwrap_or(0))
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (1, n.parse().unwrap_or(0))
    } else {
        (0, 0)
    };
    (stage, major, minor)
}

fn str_list(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
}

/// Reads a CustomResourceDefinition (apiextensions.k8s.io/v1) into resource entries.
pub fn crd_resources(crd: &Value) -> Result<Vec<ResourceInfo>, String> {
    let spec = &crd["spec"];
    let group = spec["group"].as_str().filter(|g| !g.is_empty()).ok_or("spec.group: Required value")?;
    let names = &spec["names"];
    let plural = names["plural"].as_str().filter(|p| !p.is_empty()).ok_or("spec.names.plural: Required value")?;
    let kind = names["kind"].as_str().filter(|k| !k.is_empty()).ok_or("spec.names.kind: Required value")?;
    let expected_name = format!("{plural}.{group}");
    if crd["metadata"]["name"].as_str() != Some(expected_name.as_str()) {
        return Err(format!(
            "metadata.name: Invalid value: must be spec.names.plural+\".\"+spec.group ({expected_name})"
        ));
    }
    let namespaced = match spec["scope"].as_str() {
        Some("Namespaced") => true,
        Some("Cluster") => false,
        other => {
            return Err(format!(
                "spec.scope: Unsupported value: {other:?}: supported values: \"Cluster\", \"Namespaced\""
            ));
        }
    };
    let versions = spec["versions"].as_array().filter(|v| !v.is_empty()).ok_or("spec.versions: Required value")?;
    let mut out = Vec::new();
    for v in versions {
        let version = v["name"].as_str().ok_or("spec.versions[].name: Required value")?;
        if v["served"].as_bool() != Some(true) {
            continue;
        }
        let sub = &v["subresources"];
        let scale = sub.get("scale").filter(|s| s.is_object()).map(|s| ScalePaths {
            spec_replicas: s["specReplicasPath"].as_str().unwrap_or(".spec.replicas").into(),
            status_replicas: s["statusReplicasPath"].as_str().unwrap_or(".status.replicas").into(),
            label_selector: s["labelSelectorPath"].as_str().map(String::from),
        });
        out.push(ResourceInfo {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            singular: names["singular"].as_str().map(String::from).unwrap_or_else(|| kind.to_lowercase()),
            namespaced,
            short_names: str_list(&names["shortNames"]),
            categories: str_list(&names["categories"]),
            has_status: sub.get("status").is_some_and(|s| s.is_object()),
            scale,
            crd: Some(expected_name.clone()),
            schema: v["schema"].get("openAPIV3Schema").filter(|s| s.is_object()).cloned(),
        });
    }
    Ok(out)
}
