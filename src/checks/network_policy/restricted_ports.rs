//! `restrictedPorts`: a port a workload listens on is reachable only from inside the cluster.
//!
//! A workload listening on the port must be selected by a policy governing Ingress (else all
//! traffic is allowed), and no ingress rule of the policies selecting it may admit the port from
//! a source that can lie outside the cluster: a rule without `from`, or with any `ipBlock`.

use super::policy::{Direction, Policy, Rule, admits};
use super::{Findings, list};
use crate::checks::podspec::{container_ports, named_port};
use std::sync::Arc;

use crate::inventory::view::WorkloadView;

pub(super) fn judge(
    port: i32,
    workloads: &[Arc<WorkloadView>],
    policies: &[Policy],
    namespace: &str,
    findings: &mut Findings,
) {
    let mut listeners = Vec::new();
    let mut problems = Vec::new();
    for workload in workloads {
        let protocols = protocols_on(workload, port);
        if protocols.is_empty() {
            continue;
        }
        listeners.push(workload.reference());
        problems.extend(judge_workload(workload, port, &protocols, policies, namespace));
    }
    if listeners.is_empty() {
        findings.notes.push(format!("no workload listens on port {port} (holds vacuously)"));
    } else if problems.is_empty() {
        findings.notes.push(format!("port {port} of {} admits only in-cluster sources", list(&listeners)));
    } else {
        findings.problems.extend(problems);
    }
}

/// The protocols of the workload's declared container ports numbered `port` (undeclared
/// listeners are invisible to manifests, and to named-port resolution alike).
fn protocols_on(workload: &WorkloadView, port: i32) -> Vec<String> {
    let mut protocols: Vec<String> =
        container_ports(workload).into_iter().filter(|(_, number, _)| *number == port).map(|(_, _, p)| p).collect();
    protocols.sort();
    protocols.dedup();
    protocols
}

fn judge_workload(
    workload: &WorkloadView,
    port: i32,
    protocols: &[String],
    policies: &[Policy],
    namespace: &str,
) -> Vec<String> {
    let subject = format!("{} port {port}", workload.reference());
    // Host-network pods listen on the node's address; Kubernetes leaves NetworkPolicy behaviour
    // for them undefined and most plugins do not filter their traffic.
    if workload.pod().and_then(|p| p.host_network) == Some(true) {
        return vec![format!("{subject}: the pods use hostNetwork, which NetworkPolicies do not reliably govern")];
    }
    let labels = workload.template_labels();
    let guarding: Vec<&Policy> =
        policies.iter().filter(|p| p.governs(Direction::Ingress) && p.selects(labels)).collect();
    if guarding.is_empty() {
        return vec![if policies.is_empty() {
            format!(
                "{subject}: no NetworkPolicy in namespace {namespace}, so all sources may reach it (Kubernetes default)"
            )
        } else {
            format!("{subject}: no NetworkPolicy selects it for Ingress, so all sources may reach it")
        }];
    }
    let resolve = |name: &str, protocol: &str| named_port(workload, name, protocol).map(i64::from);
    let mut problems = Vec::new();
    for policy in guarding {
        let outside: Vec<String> = policy
            .rules(Direction::Ingress)
            .iter()
            .filter(|rule| admits_port(rule, port, protocols, &resolve))
            .flat_map(Rule::outside_sources)
            .collect();
        if !outside.is_empty() {
            problems.push(format!("{subject}: {} admits it from {}", policy.reference(), list(&outside)));
        }
    }
    problems
}

/// A rule admits the port when it lists no ports, or one entry matches the port on one of the
/// protocols the workload serves it with.
fn admits_port(rule: &Rule, port: i32, protocols: &[String], resolve: &impl Fn(&str, &str) -> Option<i64>) -> bool {
    rule.ports.is_empty()
        || rule
            .ports
            .iter()
            .any(|entry| protocols.iter().any(|protocol| admits(entry, i64::from(port), protocol, resolve)))
}
