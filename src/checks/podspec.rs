//! Pod template access for workloads: containers by role and declared ports, over the typed
//! [`WorkloadView`].

use crate::inventory::view::WorkloadView;
use crate::inventory::view::workload::Container as ContainerSpec;

/// How a container runs within the pod, which decides the rules that apply to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// `spec.containers[]`.
    Regular,
    /// An init container with `restartPolicy: Always` (native sidecar, Kubernetes 1.29+): it keeps
    /// running beside the regular containers, serves traffic and takes probes.
    Sidecar,
    /// A classic init container: runs to completion before the pod starts.
    Init,
}

/// One container of a pod template.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Container<'a> {
    pub name: &'a str,
    pub role: Role,
    pub spec: &'a ContainerSpec,
}

impl Container<'_> {
    /// True for containers that run as long as the pod does (regular containers and sidecars).
    pub fn is_long_running(&self) -> bool {
        self.role != Role::Init
    }

    /// `container api` / `init container migrate` / `sidecar proxy`, for messages.
    pub fn describe(&self) -> String {
        match self.role {
            Role::Regular => format!("container {}", self.name),
            Role::Sidecar => format!("sidecar {}", self.name),
            Role::Init => format!("init container {}", self.name),
        }
    }
}

/// Every container of the template: init containers first (in order), then regular ones.
pub(crate) fn containers(workload: &WorkloadView) -> Vec<Container<'_>> {
    let Some(pod) = workload.pod() else { return Vec::new() };
    let init = pod.init_containers.iter().map(|c| {
        let sidecar = c.restart_policy.as_deref() == Some("Always");
        container(c, if sidecar { Role::Sidecar } else { Role::Init })
    });
    let regular = pod.containers.iter().map(|c| container(c, Role::Regular));
    init.chain(regular).collect()
}

fn container(spec: &ContainerSpec, role: Role) -> Container<'_> {
    Container { name: spec.name.as_deref().unwrap_or("<unnamed>"), role, spec }
}

/// The ports the workload's pods listen on: `(name, containerPort, protocol)` for every port
/// declared by a regular container or a native sidecar. Classic init containers are left out:
/// they exit before the pod is Ready, so they never serve traffic a policy would guard.
/// `protocol` defaults to `TCP`, as the API server does.
pub(crate) fn container_ports(workload: &WorkloadView) -> Vec<(Option<String>, i32, String)> {
    containers(workload)
        .into_iter()
        .filter(Container::is_long_running)
        .flat_map(|c| &c.spec.ports)
        .filter_map(|port| {
            let number = i32::try_from(port.container_port?).ok()?;
            let name = port.name.as_deref().filter(|n| !n.is_empty()).map(str::to_owned);
            let protocol = port.protocol.as_deref().unwrap_or("TCP").to_owned();
            Some((name, number, protocol))
        })
        .collect()
}

/// Resolves a named port (a Service `targetPort` or NetworkPolicy port name) to its number in
/// this workload, for the given protocol, as kube-proxy and network plugins do.
pub(crate) fn named_port(workload: &WorkloadView, name: &str, protocol: &str) -> Option<i32> {
    container_ports(workload)
        .into_iter()
        .find(|(n, _, p)| n.as_deref() == Some(name) && p.eq_ignore_ascii_case(protocol))
        .map(|(_, number, _)| number)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn deployment(pod_spec: Value) -> WorkloadView {
        view(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "ns"},
                   "spec": {"template": {"metadata": {"labels": {"app": "api"}}, "spec": pod_spec}}}))
    }

    fn view(object: Value) -> WorkloadView {
        crate::inventory::view::from_value(&object, || "deployment/api".into()).expect("valid deployment")
    }

    fn web_pod() -> Value {
        json!({
            "initContainers": [
                {"name": "migrate", "image": "db", "ports": [{"containerPort": 9999}]},
                {"name": "proxy", "image": "envoy", "restartPolicy": "Always",
                 "ports": [{"name": "admin", "containerPort": 15000}]}
            ],
            "containers": [
                {"name": "api", "image": "api", "ports": [
                    {"name": "http", "containerPort": 8080},
                    {"name": "dns", "containerPort": 5353, "protocol": "UDP"}
                ]},
                {"name": "metrics", "image": "exporter", "ports": [{"containerPort": 9100}]}
            ]
        })
    }

    #[test]
    fn lists_ports_of_regular_containers_and_sidecars_but_not_init_containers() {
        let ports = container_ports(&deployment(web_pod()));
        assert_eq!(
            ports,
            vec![
                (Some("admin".to_owned()), 15000, "TCP".to_owned()),
                (Some("http".to_owned()), 8080, "TCP".to_owned()),
                (Some("dns".to_owned()), 5353, "UDP".to_owned()),
                (None, 9100, "TCP".to_owned()),
            ]
        );
    }

    #[test]
    fn resolves_named_ports_per_protocol() {
        let workload = deployment(web_pod());
        assert_eq!(named_port(&workload, "http", "TCP"), Some(8080));
        assert_eq!(named_port(&workload, "dns", "UDP"), Some(5353));
        assert_eq!(named_port(&workload, "dns", "TCP"), None);
        assert_eq!(named_port(&workload, "missing", "TCP"), None);
    }

    #[test]
    fn classifies_containers_by_role() {
        let workload = deployment(web_pod());
        let roles: Vec<_> = containers(&workload).iter().map(|c| (c.name, c.role)).collect();
        assert_eq!(
            roles,
            [("migrate", Role::Init), ("proxy", Role::Sidecar), ("api", Role::Regular), ("metrics", Role::Regular)]
        );
        assert_eq!(workload.template_labels().get("app").map(String::as_str), Some("api"));
    }

    #[test]
    fn tolerates_workloads_without_a_template_or_with_malformed_ports() {
        let bare = view(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}));
        assert!(containers(&bare).is_empty());
        assert!(container_ports(&bare).is_empty());
        let odd = deployment(json!({"containers": [{"name": "a", "ports": [{"containerPort": "80"}, {}]}]}));
        assert!(container_ports(&odd).is_empty());
    }
}
