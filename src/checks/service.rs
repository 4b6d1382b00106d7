//! `service`: no Service reachable from outside the cluster exposes a port that must stay private.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Outcome, Scope, podspec, select_views};
use crate::api::ServiceCheck;
use crate::inventory::kinds;
use crate::inventory::view::service::ServicePort;
use crate::inventory::view::{ServiceView, ViewError, WorkloadView};

pub fn evaluate(spec: &ServiceCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::service(spec)) {
        return refused;
    }
    let services = match select_views::<ServiceView>(scope, kinds::SERVICE, None, spec.selector.as_ref()) {
        Ok(views) => match views.collect::<Result<Vec<Arc<ServiceView>>, ViewError>>() {
            Ok(services) => services,
            Err(e) => return Outcome::error(e.to_string()),
        },
        Err(e) => return Outcome::error(e),
    };
    let exposed: Vec<(&ServiceView, String)> =
        services.iter().filter_map(|s| exposure(s).map(|how| (&**s, how))).collect();
    let mut problems = Vec::new();
    for (service, how) in &exposed {
        for port in &service.spec.ports {
            for finding in forbidden(service, port, &spec.forbid_exposed_ports, scope) {
                problems.push(format!("{} {finding} ({how})", service.reference()));
            }
        }
    }
    let ports: Vec<String> = spec.forbid_exposed_ports.iter().map(i32::to_string).collect();
    // A prohibition holds vacuously: no exposed Service means nothing is exposed.
    let ok = format!(
        "no exposed Service serves {} ({} Services judged, {} exposed)",
        ports.join(", "),
        services.len(),
        exposed.len()
    );
    Outcome::from_problems(problems, ok)
}

/// How a Service is reachable from outside the cluster, if it is: through every node
/// (NodePort, and LoadBalancer, which allocates node ports too), a cloud load balancer, or
/// `externalIPs` routed to the nodes (any type but ExternalName).
fn exposure(service: &ServiceView) -> Option<String> {
    match service.service_type() {
        kind @ ("NodePort" | "LoadBalancer") => Some(format!("type {kind}")),
        "ExternalName" => None,
        _ if !service.spec.external_ips.is_empty() => Some("externalIPs".to_owned()),
        _ => None,
    }
}

/// Which forbidden ports one Service port exposes: `port` itself, and `targetPort` (defaulting
/// to `port`, as the API server does), resolved through the selected pods when it is a name.
fn forbidden(service: &ServiceView, port: &ServicePort, forbid: &[i32], scope: &Scope<'_>) -> Vec<String> {
    let mut found = Vec::new();
    let number = port.port.and_then(|p| i32::try_from(p).ok());
    if let Some(number) = number
        && forbid.contains(&number)
    {
        found.push(format!("port {number}"));
    }
    match &port.target_port {
        Some(IntOrString::Int(target)) if forbid.contains(target) && Some(*target) != number => {
            found.push(format!("targetPort {target}"));
        }
        Some(IntOrString::String(name)) => {
            for resolved in resolve_named(service, name, port.protocol(), scope) {
                match resolved {
                    Ok((workload, target)) if forbid.contains(&target) && Some(target) != number => {
                        found.push(format!("targetPort {name}={target} on {workload}"));
                    }
                    Ok(_) => {}
                    // A workload that cannot be read cannot be said to be safe.
                    Err(e) => found.push(e.to_string()),
                }
            }
        }
        // No targetPort means targetPort = port, already judged above; an allowed number, or
        // the same as `port`, adds nothing.
        None | Some(IntOrString::Int(_)) => {}
    }
    found
}

/// The numbers a named targetPort resolves to in the workloads whose pods the Service selects.
/// Unresolvable names count as nothing: no endpoint would get traffic on them. An absent or
/// empty selector selects no pods: the endpoints of such a Service are managed by hand.
/// Each is `(reference, number)`, or the error of a workload that could not be read.
fn resolve_named(
    service: &ServiceView,
    name: &str,
    protocol: &str,
    scope: &Scope<'_>,
) -> Vec<Result<(String, i32), ViewError>> {
    let selector = &service.spec.selector;
    if selector.is_empty() {
        return Vec::new();
    }
    kinds::WORKLOADS
        .iter()
        .flat_map(|kind| scope.inventory.views_in::<WorkloadView>(*kind, Some(scope.namespace)))
        .filter(|w| {
            w.as_ref().map_or(true, |w| {
                let labels = w.template_labels();
                selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            })
        })
        .filter_map(|w| match w {
            Ok(w) => podspec::named_port(&w, name, protocol).map(|p| Ok((w.reference(), p))),
            Err(e) => Some(Err(e)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::api::ItemState;
    use crate::checks::corpus;
    use crate::checks::fixtures::{World, object, resource};
    use crate::inventory::Object;

    fn service(name: &str, spec: Value) -> Object {
        object(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"tier": name}},
                      "spec": spec}))
    }

    fn postgres(labels: Value) -> Object {
        let container = json!({"name": "postgres", "image": "postgres:16",
                               "ports": [{"name": "pg", "containerPort": 5432}]});
        resource(
            "apps/v1",
            "StatefulSet",
            "db",
            json!({"spec": {"template": {"metadata": {"labels": labels},
                                                                   "spec": {"containers": [container]}}}}),
        )
    }

    fn forbid(ports: &[i32]) -> ServiceCheck {
        ServiceCheck { forbid_exposed_ports: ports.to_vec(), selector: None }
    }

    fn run(spec: &ServiceCheck, objects: Vec<Object>) -> Outcome {
        evaluate(spec, &World::new(objects).scope())
    }

    #[test]
    fn fails_when_a_load_balancer_exposes_a_forbidden_port() {
        let db = service("db", json!({"type": "LoadBalancer", "ports": [{"port": 5432}]}));
        let outcome = run(&forbid(&[5432, 6379]), vec![db]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "service/db port 5432 (type LoadBalancer)");
    }

    #[test]
    fn fails_when_a_node_port_service_targets_a_forbidden_port() {
        let db = service("db", json!({"type": "NodePort", "ports": [{"port": 80, "targetPort": 6379}]}));
        let outcome = run(&forbid(&[6379]), vec![db]);
        assert_eq!(outcome.message, "service/db targetPort 6379 (type NodePort)");
    }

    #[test]
    fn external_ips_expose_a_cluster_ip_service() {
        let db = service("db", json!({"type": "ClusterIP", "externalIPs": ["203.0.113.7"], "ports": [{"port": 5432}]}));
        let outcome = run(&forbid(&[5432]), vec![db]);
        assert_eq!(outcome.message, "service/db port 5432 (externalIPs)");
    }

    #[test]
    fn cluster_ip_and_headless_services_are_not_exposed() {
        let internal = service("db", json!({"ports": [{"port": 5432}]}));
        let headless =
            service("db-headless", json!({"clusterIP": "None", "externalIPs": [], "ports": [{"port": 5432}]}));
        let outcome = run(&forbid(&[5432]), vec![internal, headless]);
        assert_eq!(outcome.state, ItemState::Passed);
        assert_eq!(outcome.message, "no exposed Service serves 5432 (2 Services judged, 0 exposed)");
    }

    #[test]
    fn malformed_fields_read_as_before() {
        // Any externalIPs entry routes to the nodes, whatever its type; a port entry that is not
        // a mapping, or a targetPort that is neither a number nor a name, exposes nothing.
        let db = service(
            "db",
            json!({"externalIPs": [7], "ports": ["5432", {"port": 80, "targetPort": 5432.5}, {"port": 5432}]}),
        );
        let outcome = run(&forbid(&[5432]), vec![db]);
        assert_eq!(outcome.message, "service/db port 5432 (externalIPs)");
        let odd = service("db", json!({"type": ["LoadBalancer"], "selector": "app=db", "ports": [{"port": 5432}]}));
        assert_eq!(
            run(&forbid(&[5432]), vec![odd]).state,
            ItemState::Passed,
            "a type that is not a string is ClusterIP"
        );
    }

    #[test]
    fn holds_vacuously_without_any_service() {
        assert_eq!(run(&forbid(&[5432]), vec![]).state, ItemState::Passed);
    }

    #[test]
    fn an_exposed_service_on_allowed_ports_passes() {
        let web = service("web", json!({"type": "LoadBalancer", "ports": [{"port": 443, "targetPort": 8443}]}));
        assert_eq!(run(&forbid(&[5432]), vec![web]).state, ItemState::Passed);
    }

    #[test]
    fn resolves_named_target_ports_through_the_selected_pods() {
        let db = service(
            "db",
            json!({"type": "LoadBalancer", "selector": {"app": "db"},
                                      "ports": [{"port": 80, "targetPort": "pg"}]}),
        );
        let outcome = run(&forbid(&[5432]), vec![db, postgres(json!({"app": "db", "tier": "data"}))]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "service/db targetPort pg=5432 on statefulset/db (type LoadBalancer)");
    }

    #[test]
    fn an_unresolvable_named_target_port_does_not_count() {
        let other_pods = service(
            "db",
            json!({"type": "LoadBalancer", "selector": {"app": "cache"},
                                              "ports": [{"port": 80, "targetPort": "pg"}]}),
        );
        assert_eq!(run(&forbid(&[5432]), vec![other_pods, postgres(json!({"app": "db"}))]).state, ItemState::Passed);
        let no_selector = service("db", json!({"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": "pg"}]}));
        assert_eq!(run(&forbid(&[5432]), vec![no_selector, postgres(json!({"app": "db"}))]).state, ItemState::Passed);
    }

    #[test]
    fn a_named_target_port_resolves_only_for_the_same_protocol() {
        let udp = service(
            "db",
            json!({"type": "NodePort", "selector": {"app": "db"},
                                       "ports": [{"port": 80, "targetPort": "pg", "protocol": "UDP"}]}),
        );
        assert_eq!(run(&forbid(&[5432]), vec![udp, postgres(json!({"app": "db"}))]).state, ItemState::Passed);
    }

    #[test]
    fn external_name_services_are_never_exposed() {
        let alias = service(
            "db",
            json!({"type": "ExternalName", "externalName": "db.example.com",
                                         "externalIPs": ["203.0.113.7"], "ports": [{"port": 5432}]}),
        );
        assert_eq!(run(&forbid(&[5432]), vec![alias]).state, ItemState::Passed);
    }

    #[test]
    fn the_selector_limits_which_services_are_judged() {
        let db = service("db", json!({"type": "LoadBalancer", "ports": [{"port": 5432}]}));
        let mut spec = forbid(&[5432]);
        spec.selector = Some(serde_json::from_value(json!({"matchLabels": {"tier": "web"}})).expect("selector"));
        assert_eq!(run(&spec, vec![db.clone()]).state, ItemState::Passed);
        spec.selector = Some(serde_json::from_value(json!({"matchLabels": {"tier": "db"}})).expect("selector"));
        assert_eq!(run(&spec, vec![db]).state, ItemState::Failed);
    }

    #[test]
    fn lists_every_offending_port() {
        let db =
            service("db", json!({"type": "LoadBalancer", "ports": [{"port": 5432}, {"port": 6379}, {"port": 80}]}));
        let outcome = run(&forbid(&[5432, 6379]), vec![db]);
        assert_eq!(
            outcome.message,
            "service/db port 5432 (type LoadBalancer); service/db port 6379 (type LoadBalancer)"
        );
    }

    #[test]
    fn a_bad_spec_is_an_error() {
        assert_eq!(run(&forbid(&[]), vec![]).state, ItemState::Error);
        assert_eq!(run(&forbid(&[70000]), vec![]).state, ItemState::Error);
        let mut spec = forbid(&[5432]);
        spec.selector = Some(
            serde_json::from_value(
                json!({"matchExpressions": [{"key": "tier", "operator": "Equals", "values": ["x"]}]}),
            )
            .expect("selector"),
        );
        assert_eq!(run(&spec, vec![]).state, ItemState::Error);
    }

    #[test]
    fn boutique_frontend_load_balancer_exposes_its_target_port_only() {
        let Some(objects) = corpus::objects("microservices-demo/release/kubernetes-manifests.yaml", "shop") else {
            return;
        };
        let outcome = run(&forbid(&[8080, 6379]), objects.clone());
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "service/frontend-external targetPort 8080 (type LoadBalancer)");
        let outcome = run(&forbid(&[6379, 5432]), objects);
        assert_eq!(outcome.state, ItemState::Passed, "redis-cart is ClusterIP: {}", outcome.message);
    }

    #[test]
    fn ingress_nginx_cloud_controller_exposes_http_and_https() {
        let Some(objects) = corpus::objects("ingress-nginx/provider-cloud-deploy.yaml", "ingress-nginx") else {
            return;
        };
        let outcome = evaluate(&forbid(&[80, 443, 8443]), &World::new(objects).namespace("ingress-nginx").scope());
        assert_eq!(outcome.state, ItemState::Failed);
        assert!(
            outcome.message.contains("service/ingress-nginx-controller port 80 (type LoadBalancer)"),
            "{}",
            outcome.message
        );
        assert!(
            !outcome.message.contains("admission"),
            "the admission webhook Service is ClusterIP: {}",
            outcome.message
        );
    }
}
