//! Per-container rules: probes, resources, preStop hooks, and running as non-root.

use crate::api::{ProbeKind, ResourceRule};
use crate::checks::podspec::{Container, Role};
use crate::inventory::view::WorkloadView;
use crate::inventory::view::de::Presence;
use crate::inventory::view::workload::Resources;

/// Every long-running container defines each probe. Classic init containers are exempt (the API
/// server rejects probes on them: they run to completion); native sidecars (`restartPolicy:
/// Always`) run beside the app and take probes, so they must define them too.
pub(super) fn probes(containers: &[Container<'_>], wanted: &[ProbeKind]) -> Vec<String> {
    if wanted.is_empty() {
        return vec![];
    }
    containers
        .iter()
        .filter(|c| c.is_long_running())
        .filter_map(|c| {
            let missing: Vec<ProbeKind> = wanted.iter().copied().filter(|kind| !probe_of(c, *kind).0).collect();
            let missing: Vec<&str> = missing.into_iter().map(probe_field).collect();
            (!missing.is_empty()).then(|| format!("{} lacks {}", c.describe(), missing.join(", ")))
        })
        .collect()
}

fn probe_of(c: &Container<'_>, kind: ProbeKind) -> Presence {
    match kind {
        ProbeKind::Readiness => c.spec.readiness_probe,
        ProbeKind::Liveness => c.spec.liveness_probe,
        ProbeKind::Startup => c.spec.startup_probe,
    }
}

fn probe_field(kind: ProbeKind) -> &'static str {
    match kind {
        ProbeKind::Readiness => "readinessProbe",
        ProbeKind::Liveness => "livenessProbe",
        ProbeKind::Startup => "startupProbe",
    }
}

/// Every container, init containers included, sets each listed request and limit: quota
/// admission and the scheduler count init containers too. Kubernetes defaults a missing request
/// to the container's limit, so a limit alone also sets the request; pod-level resources
/// (`spec.resources`) cover every container.
pub(super) fn resources(workload: &WorkloadView, containers: &[Container<'_>], rule: &ResourceRule) -> Vec<String> {
    let none = Resources::default();
    let pod_resources = workload.pod().map_or(&none, |p| &p.resources);
    let section = |resources: &Resources, section: &str, key: &str| match section {
        "requests" => resources.requests.contains(key),
        _ => resources.limits.contains(key),
    };
    let pod = |name: &str, key: &str| section(pod_resources, name, key);
    containers
        .iter()
        .filter_map(|c| {
            let own = |name: &str, key: &str| section(&c.spec.resources, name, key);
            let mut missing = Vec::new();
            for key in &rule.requests {
                if !(own("requests", key) || own("limits", key) || pod("requests", key) || pod("limits", key)) {
                    missing.push(format!("requests.{key}"));
                }
            }
            for key in &rule.limits {
                if !(own("limits", key) || pod("limits", key)) {
                    missing.push(format!("limits.{key}"));
                }
            }
            (!missing.is_empty()).then(|| format!("{} lacks {}", c.describe(), missing.join(", ")))
        })
        .collect()
}

/// Every regular container has a `lifecycle.preStop` hook, so it can drain before SIGTERM.
/// Sidecars are stopped only after the regular containers exit, so they need none.
pub(super) fn pre_stop(containers: &[Container<'_>]) -> Vec<String> {
    containers
        .iter()
        .filter(|c| c.role == Role::Regular && !c.spec.lifecycle.pre_stop.0)
        .map(|c| format!("{} has no preStop hook", c.describe()))
        .collect()
}

/// Every container (init containers included: they run too) is kept from running as root, the
/// way the kubelet decides it: the container's `runAsUser`/`runAsNonRoot`, else the pod's. A UID
/// above 0 runs as non-root whatever `runAsNonRoot` says; `runAsNonRoot: true` without a UID
/// makes the kubelet refuse an image whose user is root; UID 0 is root (and with
/// `runAsNonRoot: true` the kubelet refuses to start it at all).
pub(super) fn run_as_non_root(workload: &WorkloadView, containers: &[Container<'_>]) -> Vec<String> {
    let pod = workload.pod().map(|p| &p.security_context);
    containers
        .iter()
        .filter_map(|c| {
            // A container's own setting wins over the pod's, field by field, as the kubelet reads them.
            let own = &c.spec.security_context;
            let user = own.run_as_user.or_else(|| pod.and_then(|p| p.run_as_user));
            let non_root = own.run_as_non_root.or_else(|| pod.and_then(|p| p.run_as_non_root)) == Some(true);
            match (user, non_root) {
                (Some(uid), _) if uid > 0 => None,
                (Some(_), true) => {
                    Some(format!("{} sets runAsNonRoot but runAsUser 0: the kubelet refuses to start it", c.describe()))
                }
                (Some(_), false) => Some(format!("{} runs as root (runAsUser 0)", c.describe())),
                (None, true) => None,
                (None, false) => {
                    Some(format!("{} may run as root (no runAsNonRoot: true nor runAsUser > 0)", c.describe()))
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::fixtures::{deployment, good_container, set, view, workload};
    use super::*;
    use crate::checks::podspec;
    use crate::inventory::Object;

    fn with_sidecar_and_init(mut sidecar: Value, init: Value) -> Object {
        sidecar["restartPolicy"] = json!("Always");
        let mut api = deployment("api");
        set(&mut api, "/spec/template/spec/initContainers", json!([init, sidecar]));
        api
    }

    fn strip(mut container: Value, fields: &[&str]) -> Value {
        if let Some(map) = container.as_object_mut() {
            for field in fields {
                map.remove(*field);
            }
        }
        container
    }

    #[test]
    fn probes_are_required_on_regular_containers_and_sidecars() {
        let api = with_sidecar_and_init(
            strip(good_container("proxy"), &["startupProbe"]),
            strip(good_container("migrate"), &["readinessProbe", "livenessProbe", "startupProbe"]),
        );
        let api = view(&api);
        let containers = podspec::containers(&api);
        assert_eq!(probes(&containers, &[ProbeKind::Readiness, ProbeKind::Liveness]), Vec::<String>::new());
        assert_eq!(probes(&containers, &[ProbeKind::Startup]), ["sidecar proxy lacks startupProbe"]);
    }

    #[test]
    fn lists_every_missing_probe_of_a_container() {
        let api =
            workload("Deployment", "api", vec![strip(good_container("api"), &["readinessProbe", "livenessProbe"])]);
        let found =
            probes(&podspec::containers(&view(&api)), &[ProbeKind::Readiness, ProbeKind::Liveness, ProbeKind::Startup]);
        assert_eq!(found, ["container api lacks readinessProbe, livenessProbe"]);
    }

    #[test]
    fn resources_are_required_on_every_container_including_init() {
        let api = with_sidecar_and_init(good_container("proxy"), strip(good_container("migrate"), &["resources"]));
        let rule = ResourceRule { requests: vec!["memory".to_owned()], limits: vec!["memory".to_owned()] };
        assert_eq!(
            resources(&view(&api), &podspec::containers(&view(&api)), &rule),
            ["init container migrate lacks requests.memory, limits.memory"]
        );
    }

    #[test]
    fn a_limit_alone_also_sets_the_request() {
        let mut container = good_container("api");
        container["resources"] = json!({"limits": {"cpu": "1", "memory": "1Gi"}});
        let api = workload("Deployment", "api", vec![container]);
        let rule =
            ResourceRule { requests: vec!["cpu".to_owned(), "memory".to_owned()], limits: vec!["cpu".to_owned()] };
        assert!(resources(&view(&api), &podspec::containers(&view(&api)), &rule).is_empty());
    }

    #[test]
    fn a_request_alone_does_not_set_the_limit() {
        let mut container = good_container("api");
        container["resources"] = json!({"requests": {"cpu": "1"}});
        let api = workload("Deployment", "api", vec![container]);
        let rule =
            ResourceRule { requests: vec!["cpu".to_owned()], limits: vec!["cpu".to_owned(), "memory".to_owned()] };
        assert_eq!(
            resources(&view(&api), &podspec::containers(&view(&api)), &rule),
            ["container api lacks limits.cpu, limits.memory"]
        );
    }

    #[test]
    fn pod_level_resources_cover_every_container() {
        let mut api = workload("Deployment", "api", vec![strip(good_container("api"), &["resources"])]);
        set(&mut api, "/spec/template/spec/resources", json!({"limits": {"cpu": "2", "memory": "1Gi"}}));
        let rule = ResourceRule { requests: vec!["cpu".to_owned()], limits: vec!["memory".to_owned()] };
        assert!(resources(&view(&api), &podspec::containers(&view(&api)), &rule).is_empty());
    }

    #[test]
    fn pre_stop_is_required_on_regular_containers_only() {
        let api = with_sidecar_and_init(
            strip(good_container("proxy"), &["lifecycle"]),
            strip(good_container("migrate"), &["lifecycle"]),
        );
        assert!(pre_stop(&podspec::containers(&view(&api))).is_empty());
        let bare =
            workload("Deployment", "api", vec![good_container("api"), strip(good_container("worker"), &["lifecycle"])]);
        assert_eq!(pre_stop(&podspec::containers(&view(&bare))), ["container worker has no preStop hook"]);
    }

    fn non_root_problems(pod: Value, container: Value) -> Vec<String> {
        let mut c = strip(good_container("api"), &["securityContext"]);
        if !container.is_null() {
            c["securityContext"] = container;
        }
        let mut api = workload("Deployment", "api", vec![c]);
        if !pod.is_null() {
            set(&mut api, "/spec/template/spec/securityContext", pod);
        }
        run_as_non_root(&view(&api), &podspec::containers(&view(&api)))
    }

    #[test]
    fn pod_level_run_as_non_root_covers_containers() {
        assert!(non_root_problems(json!({"runAsNonRoot": true}), Value::Null).is_empty());
    }

    #[test]
    fn a_container_can_override_the_pod_to_run_as_root() {
        let found = non_root_problems(json!({"runAsNonRoot": true}), json!({"runAsNonRoot": false}));
        assert_eq!(found, ["container api may run as root (no runAsNonRoot: true nor runAsUser > 0)"]);
    }

    #[test]
    fn a_non_zero_uid_is_non_root_at_either_level() {
        assert!(non_root_problems(json!({"runAsUser": 1000}), Value::Null).is_empty());
        assert!(non_root_problems(Value::Null, json!({"runAsUser": 65532})).is_empty());
        assert!(
            non_root_problems(json!({"runAsNonRoot": true}), json!({"runAsNonRoot": false, "runAsUser": 10}))
                .is_empty()
        );
    }

    #[test]
    fn uid_zero_is_root_and_contradicts_run_as_non_root() {
        assert_eq!(
            non_root_problems(json!({"runAsUser": 0}), Value::Null),
            ["container api runs as root (runAsUser 0)"]
        );
        let found = non_root_problems(json!({"runAsNonRoot": true}), json!({"runAsUser": 0}));
        assert_eq!(found, ["container api sets runAsNonRoot but runAsUser 0: the kubelet refuses to start it"]);
        assert!(non_root_problems(json!({"runAsUser": 0}), json!({"runAsUser": 1000})).is_empty());
    }

    #[test]
    fn without_any_security_context_a_container_may_run_as_root() {
        assert_eq!(non_root_problems(Value::Null, Value::Null).len(), 1);
    }

    #[test]
    fn init_containers_must_not_run_as_root_either() {
        let mut api = deployment("api");
        set(&mut api, "/spec/template/spec/initContainers", json!([{"name": "chown", "image": "busybox:1.36"}]));
        assert_eq!(run_as_non_root(&view(&api), &podspec::containers(&view(&api))).len(), 1);
    }
}
