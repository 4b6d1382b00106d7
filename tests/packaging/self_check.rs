//! readygate on its own installation: every rendering loads with `readygate check`'s manifest
//! loader, and a production-readiness checklist for readygate itself is GO.

use std::process::Command;

use serde_json::{Value, json};

use super::render::{documents, helm_template, kustomize_base, kustomize_with};

/// What readygate asks of its own Deployment, network exposure, certificate and permissions.
const CHECKLIST: &str = r#"
apiVersion: readygate.io/v1alpha1
kind: ReadinessChecklist
metadata: {name: readygate-self, namespace: readygate-system}
spec:
  items:
  - name: workload
    severity: Critical
    check:
      workload:
        target: {kind: Deployment, name: readygate}
        replicas: {atLeast: 2}
        probes: [Readiness, Liveness]
        resources: {requests: [cpu, memory], limits: [cpu, memory]}
        zeroDowntimeRollout: true
        terminationGracePeriodSeconds: {atLeast: 30}
        image: {forbidLatest: true}
        forbidLiteralSecretEnv: true
        runAsNonRoot: true
        podDisruptionBudget: {minAvailable: 1}
  - name: network
    severity: Critical
    check:
      networkPolicy:
        coverWorkloads: {matchLabels: {app.kubernetes.io/name: readygate}}
        restrictedPorts: [{port: 9090}]
  - name: webhook-certificate
    severity: High
    check: {certificate: {names: [readygate-webhook], requireRenewBefore: true, issuer: {kind: Issuer, name: readygate-ca}}}
  - name: permissions
    severity: Critical
    check:
      rbac:
        roles: [{kind: ClusterRole, name: readygate}, {kind: Role, name: readygate-leader-election}]
        forbidClusterAdminBindings: true
        access:
        - {subject: &sa {kind: ServiceAccount, name: readygate, namespace: readygate-system}, verb: watch, resource: deployments, apiGroup: apps, allowed: true}
        - {subject: *sa, verb: delete, resource: deployments, apiGroup: apps, allowed: false}
        - {subject: *sa, verb: get, resource: secrets, allowed: false}
        - {subject: *sa, verb: patch, resource: readinesschecklists, apiGroup: readygate.io, subresource: status, allowed: true}
        - {subject: *sa, verb: update, resource: readinesschecklists, apiGroup: readygate.io, allowed: false}
        - {subject: *sa, verb: patch, resource: leases, apiGroup: coordination.k8s.io, resourceName: readygate-leader, allowed: true}
        - {subject: *sa, verb: patch, resource: leases, apiGroup: coordination.k8s.io, resourceName: kube-scheduler, allowed: false}
        - {subject: *sa, verb: create, resource: events, apiGroup: events.k8s.io, allowed: true}
"#;

/// `readygate check -f <CHECKLIST> <rendered> -n readygate-system -o json`: exit code and report.
fn check(rendered: &str) -> (i32, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let checklist = dir.path().join("checklist.yaml");
    let manifests = dir.path().join("rendered.yaml");
    std::fs::write(&checklist, CHECKLIST).expect("writes checklist");
    std::fs::write(&manifests, rendered).expect("writes manifests");
    let output = Command::new(env!("CARGO_BIN_EXE_readygate"))
        .arg("check")
        .arg("-f")
        .arg(&checklist)
        .arg(&manifests)
        .args(["-n", "readygate-system", "-o", "json"])
        .output()
        .expect("readygate runs");
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("JSON report ({e}): {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code().expect("exit code"), report)
}

fn states(report: &Value) -> Vec<(String, String)> {
    report[0]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (i["name"].as_str().expect("name").to_owned(), i["state"].as_str().expect("state").to_owned()))
        .collect()
}

fn message<'a>(report: &'a Value, item: &str) -> &'a str {
    let items = report[0]["items"].as_array().expect("items");
    items.iter().find(|i| i["name"] == item).and_then(|i| i["message"].as_str()).expect("message")
}

#[test]
fn readygate_judges_its_own_installation_go() {
    for rendered in [kustomize_base(), helm_template(json!({}))] {
        let (code, report) = check(&rendered);
        let expected: Vec<(String, String)> = [
            ("workload", "Passed"),
            ("network", "Passed"),
            // Readiness needs the live Certificate's status; the spec half holds offline.
            ("webhook-certificate", "Skipped"),
            ("permissions", "Passed"),
        ]
        .iter()
        .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
        .collect();
        assert_eq!(states(&report), expected, "{report:#}");
        assert_eq!(report[0]["decision"], "Go");
        assert_eq!(code, 0);
        assert!(message(&report, "webhook-certificate").contains("renewBefore 720h"), "{report:#}");
    }
}

#[test]
fn only_the_secret_checks_component_lets_readygate_read_secrets() {
    let (code, report) = check(&kustomize_with(&["components/secret-checks"]));
    assert_eq!(code, 1, "NoGo: the permissions item asserts no Secret access");
    let permissions = message(&report, "permissions");
    assert!(permissions.contains("secrets"), "{permissions}");
}

#[test]
fn every_rendering_loads_with_the_manifest_loader() {
    let renderings = [
        ("kustomize deploy/", kustomize_base()),
        ("kustomize with components", kustomize_with(&["components/secret-checks", "monitoring"])),
        ("helm defaults", helm_template(json!({}))),
        (
            "helm with every option",
            helm_template(json!({"secretChecks": {"enabled": true}, "metrics": {"serviceMonitor": {"enabled": true}},
                "prometheusRule": {"enabled": true}})),
        ),
    ];
    for (what, text) in renderings {
        let objects = readygate::inventory::manifests::parse_str(&text, what, "default")
            .unwrap_or_else(|e| panic!("{what} does not load: {e}"));
        assert_eq!(objects.len(), documents(&text).len(), "{what}: every document is one object");
        assert!(objects.iter().any(|o| o.kind_key == "Deployment.apps" && o.name == "readygate"), "{what}");
    }
}
