//! Workload-level rules: replica count, rollout strategy, termination grace period.

use serde_json::Value;

use crate::api::IntRange;
use crate::checks::podspec::Container;
use crate::inventory::view::WorkloadView;
use crate::inventory::view::workload::WorkloadKind;

/// `spec.replicas` (1 when absent, as the API server defaults it) must be in range.
pub(super) fn replicas(workload: &WorkloadView, range: &IntRange) -> Vec<String> {
    if workload.kind == WorkloadKind::DaemonSet {
        return vec!["has no replicas to judge (a DaemonSet runs one pod per eligible node)".to_owned()];
    }
    let (count, note) = match workload.spec.replicas {
        Some(n) => (n, ""),
        None => (1, " (default)"),
    };
    if range.contains(count) { vec![] } else { vec![format!("replicas {count}{note}, expected {}", range.describe())] }
}

/// `terminationGracePeriodSeconds` (30 when absent) must be in range.
pub(super) fn grace_period(workload: &WorkloadView, range: &IntRange) -> Vec<String> {
    let (seconds, note) = match workload.pod().and_then(|p| p.termination_grace_period_seconds) {
        Some(s) => (s, ""),
        None => (30, " (default)"),
    };
    if range.contains(seconds) {
        vec![]
    } else {
        vec![format!("terminationGracePeriodSeconds {seconds}{note}, expected {}", range.describe())]
    }
}

/// Whether a rollout can replace every pod without taking one down first.
///
/// - Deployment: `RollingUpdate` (the default) with `maxUnavailable` 0 or `0%`. The default
///   maxUnavailable is 25%, which is not zero. A percentage that merely rounds down to 0 at the
///   current replica count is not accepted: it stops being 0 as soon as the Deployment scales.
/// - StatefulSet: `RollingUpdate` (the default); `OnDelete` never rolls pods out by itself.
/// - DaemonSet: a DaemonSet has one pod per node, so any unavailability is downtime on that node:
///   `RollingUpdate` with `maxUnavailable` 0 and `maxSurge` > 0 (the default is 1 and 0), and no
///   host port, which would keep the surge pod from scheduling beside the old one.
pub(super) fn zero_downtime(workload: &WorkloadView, containers: &[Container<'_>]) -> Vec<String> {
    match workload.kind {
        WorkloadKind::Deployment => deployment(workload),
        WorkloadKind::StatefulSet => match workload.spec.update_strategy.kind.as_deref().unwrap_or("RollingUpdate") {
            "RollingUpdate" => vec![],
            other => vec![format!("updateStrategy {other}: pods are not rolled out automatically")],
        },
        WorkloadKind::DaemonSet => daemon_set(workload, containers),
    }
}

fn deployment(workload: &WorkloadView) -> Vec<String> {
    let strategy = &workload.spec.strategy;
    match strategy.kind.as_deref().unwrap_or("RollingUpdate") {
        "RollingUpdate" => {}
        "Recreate" => return vec!["strategy Recreate stops every pod before starting new ones".to_owned()],
        other => return vec![format!("strategy {other} is not RollingUpdate")],
    }
    let unavailable = strategy.rolling_update.max_unavailable.as_ref();
    let surge = strategy.rolling_update.max_surge.as_ref();
    match unavailable {
        None => vec!["maxUnavailable 25% (the default) lets pods go down during a rollout; set it to 0".to_owned()],
        Some(v) if !is_zero(v) => vec![format!("maxUnavailable {}, expected 0", show(v))],
        // maxSurge defaults to 25%, which rounds up to at least one pod.
        Some(_) if surge.is_some_and(is_zero) => {
            vec!["maxSurge 0 with maxUnavailable 0 cannot make progress (the API server rejects it)".to_owned()]
        }
        Some(_) => vec![],
    }
}

fn daemon_set(workload: &WorkloadView, containers: &[Container<'_>]) -> Vec<String> {
    let strategy = &workload.spec.update_strategy;
    match strategy.kind.as_deref().unwrap_or("RollingUpdate") {
        "RollingUpdate" => {}
        other => return vec![format!("updateStrategy {other}: pods are not rolled out automatically")],
    }
    let unavailable = strategy.rolling_update.max_unavailable.as_ref();
    let surge = strategy.rolling_update.max_surge.as_ref();
    if !unavailable.is_some_and(is_zero) {
        let shown = unavailable.map_or_else(|| "1 (the default)".to_owned(), show);
        return vec![format!(
            "maxUnavailable {shown} stops a node's pod before its replacement runs; set maxUnavailable 0 and maxSurge 1"
        )];
    }
    if surge.is_none_or(is_zero) {
        return vec!["maxSurge 0 with maxUnavailable 0 cannot make progress (the API server rejects it)".to_owned()];
    }
    host_ports(workload, containers)
        .into_iter()
        .map(|(container, port)| {
            format!("{container} binds host port {port}, so a surge pod cannot start beside the old one")
        })
        .collect()
}

/// Host ports of long-running containers; with `hostNetwork` every container port is one.
fn host_ports(workload: &WorkloadView, containers: &[Container<'_>]) -> Vec<(String, i64)> {
    let host_network = workload.pod().and_then(|p| p.host_network) == Some(true);
    let mut found = Vec::new();
    for container in containers.iter().filter(|c| c.is_long_running()) {
        for port in &container.spec.ports {
            let host = port.host_port.filter(|p| *p > 0);
            let number = if host_network { host.or(port.container_port) } else { host };
            if let Some(number) = number {
                found.push((container.describe(), number));
            }
        }
    }
    found
}

/// `0` or `0%` (an IntOrString).
fn is_zero(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.as_i64() == Some(0),
        Value::String(s) => s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) == Some(0),
        _ => false,
    }
}

fn show(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fixtures::{deployment, good_container, set, view, workload};
    use super::*;
    use crate::checks::podspec;
    use crate::inventory::Object;

    fn rollout_problems(workload: &Object) -> Vec<String> {
        let workload = view(workload);
        zero_downtime(&workload, &podspec::containers(&workload))
    }

    fn at_least(n: i64) -> IntRange {
        IntRange { at_least: Some(n), at_most: None }
    }

    #[test]
    fn replicas_default_to_one_when_absent() {
        let mut api = deployment("api");
        set(&mut api, "/spec/replicas", Value::Null);
        assert_eq!(replicas(&view(&api), &at_least(2)), ["replicas 1 (default), expected >= 2"]);
        assert!(replicas(&view(&api), &at_least(1)).is_empty());
    }

    #[test]
    fn daemon_sets_have_no_replicas_to_judge() {
        let agent = workload("DaemonSet", "agent", vec![good_container("agent")]);
        assert_eq!(replicas(&view(&agent), &at_least(1)).len(), 1);
    }

    #[test]
    fn grace_period_defaults_to_thirty_seconds() {
        let mut api = deployment("api");
        set(&mut api, "/spec/template/spec/terminationGracePeriodSeconds", Value::Null);
        let range = IntRange { at_least: Some(45), at_most: Some(120) };
        assert_eq!(grace_period(&view(&api), &range), ["terminationGracePeriodSeconds 30 (default), expected 45..120"]);
        set(&mut api, "/spec/template/spec/terminationGracePeriodSeconds", json!(60));
        assert!(grace_period(&view(&api), &range).is_empty());
    }

    #[test]
    fn deployment_with_max_unavailable_zero_rolls_without_downtime() {
        assert!(rollout_problems(&deployment("api")).is_empty());
        let mut percent = deployment("api");
        set(&mut percent, "/spec/strategy/rollingUpdate/maxUnavailable", json!("0%"));
        assert!(rollout_problems(&percent).is_empty());
    }

    #[test]
    fn deployment_default_max_unavailable_is_25_percent_not_zero() {
        let mut api = deployment("api");
        set(&mut api, "/spec/strategy", Value::Null);
        assert_eq!(rollout_problems(&api).len(), 1);
        assert!(rollout_problems(&api)[0].starts_with("maxUnavailable 25% (the default)"));
        let mut explicit = deployment("api");
        set(&mut explicit, "/spec/strategy/rollingUpdate/maxUnavailable", json!("10%"));
        assert_eq!(rollout_problems(&explicit), ["maxUnavailable 10%, expected 0"]);
    }

    #[test]
    fn deployment_recreate_strategy_fails() {
        let mut api = deployment("api");
        set(&mut api, "/spec/strategy", json!({"type": "Recreate"}));
        assert_eq!(rollout_problems(&api), ["strategy Recreate stops every pod before starting new ones"]);
    }

    #[test]
    fn deployment_with_no_surge_and_no_unavailability_is_rejected() {
        let mut api = deployment("api");
        set(&mut api, "/spec/strategy/rollingUpdate/maxSurge", json!("0%"));
        assert_eq!(rollout_problems(&api).len(), 1);
        set(&mut api, "/spec/strategy/rollingUpdate/maxSurge", Value::Null);
        assert!(rollout_problems(&api).is_empty(), "maxSurge defaults to 25%");
    }

    #[test]
    fn statefulset_rolls_unless_on_delete() {
        let mut db = workload("StatefulSet", "db", vec![good_container("db")]);
        assert!(rollout_problems(&db).is_empty());
        set(&mut db, "/spec/updateStrategy", json!({"type": "OnDelete"}));
        assert_eq!(rollout_problems(&db), ["updateStrategy OnDelete: pods are not rolled out automatically"]);
    }

    #[test]
    fn daemon_set_must_surge_instead_of_taking_the_node_pod_down() {
        let mut agent = workload("DaemonSet", "agent", vec![good_container("agent")]);
        assert!(rollout_problems(&agent).is_empty());
        set(&mut agent, "/spec/updateStrategy", Value::Null);
        assert!(rollout_problems(&agent)[0].starts_with("maxUnavailable 1 (the default) stops a node's pod"));
        set(
            &mut agent,
            "/spec/updateStrategy",
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}),
        );
        assert!(rollout_problems(&agent)[0].starts_with("maxSurge 0 with maxUnavailable 0"));
        set(&mut agent, "/spec/updateStrategy", json!({"type": "OnDelete"}));
        assert_eq!(rollout_problems(&agent).len(), 1);
    }

    #[test]
    fn daemon_set_surge_is_blocked_by_host_ports() {
        let mut agent = workload("DaemonSet", "agent", vec![good_container("agent")]);
        set(&mut agent, "/spec/template/spec/containers/0/ports/0/hostPort", json!(8080));
        assert_eq!(
            rollout_problems(&agent),
            ["container agent binds host port 8080, so a surge pod cannot start beside the old one"]
        );
        let mut host_network = workload("DaemonSet", "agent", vec![good_container("agent")]);
        set(&mut host_network, "/spec/template/spec/hostNetwork", json!(true));
        assert_eq!(rollout_problems(&host_network).len(), 1);
    }
}
