//! Cross-object invariants every rendering must keep, whatever the names: the webhook calls the
//! Service that the certificate names, the Deployment mounts that certificate's Secret, and the
//! leader Lease it uses is the one its Role may renew.

use serde_json::Value;

use super::render::find;

/// The API's admission paths, one per webhook.
pub const WEBHOOKS: [(&str, &str, &str, &str); 3] = [
    ("workloads.readygate.io", "/validate/workloads", "apps", "deployments"),
    ("signoffs.readygate.io", "/validate/signoffs", "readygate.io", "readinesssignoffs"),
    ("checklists.readygate.io", "/validate/checklists", "readygate.io", "readinesschecklists"),
];

pub fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn one<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    let found = of_kind(objects, kind);
    assert_eq!(found.len(), 1, "expected one {kind}, found {}", found.len());
    found[0]
}

pub fn container(deployment: &Value) -> &Value {
    &deployment["spec"]["template"]["spec"]["containers"][0]
}

pub fn args(deployment: &Value) -> Vec<&str> {
    container(deployment)["args"].as_array().expect("args").iter().map(|a| a.as_str().expect("arg")).collect()
}

fn flag<'a>(deployment: &'a Value, name: &str) -> Option<&'a str> {
    let prefix = format!("--{name}=");
    args(deployment).into_iter().find_map(|a| a.strip_prefix(&prefix))
}

/// Checks that the objects of one rendering reference each other consistently.
pub fn assert_wired_together(objects: &[Value]) {
    let deployment = one(objects, "Deployment");
    let namespace = deployment["metadata"]["namespace"].as_str().expect("namespace");
    let service = one(objects, "Service");
    let webhook = one(objects, "ValidatingWebhookConfiguration");
    let service_name = service["metadata"]["name"].as_str().expect("service name");

    for (name, path, group, resource) in WEBHOOKS {
        let hook = webhook["webhooks"]
            .as_array()
            .expect("webhooks")
            .iter()
            .find(|w| w["name"] == name)
            .unwrap_or_else(|| panic!("webhook {name}"));
        let target = &hook["clientConfig"]["service"];
        assert_eq!(target["name"], service_name, "{name} calls the Service");
        assert_eq!(target["namespace"], namespace, "{name} calls the Service's namespace");
        assert_eq!(target["path"], path, "{name} path");
        assert_eq!(target["port"], 443, "{name} port");
        assert_eq!(hook["rules"][0]["apiGroups"][0], group, "{name} group");
        assert_eq!(hook["rules"][0]["resources"], serde_json::json!([resource]), "{name} resources");
    }
    let https = service["spec"]["ports"].as_array().expect("ports").iter().find(|p| p["port"] == 443).expect("443");
    let webhook_port = container(deployment)["ports"]
        .as_array()
        .expect("container ports")
        .iter()
        .find(|p| p["name"] == https["targetPort"])
        .expect("the Service's 443 targets a named container port");
    let addr = flag(deployment, "webhook-addr").expect("--webhook-addr");
    assert_eq!(addr.rsplit(':').next(), Some(webhook_port["containerPort"].to_string().as_str()));

    let secret = deployment["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == "tls")
        .expect("tls volume")["secret"]["secretName"]
        .as_str()
        .expect("secret name");
    if let Some(ca) = webhook["metadata"]["annotations"]["cert-manager.io/inject-ca-from"].as_str() {
        let (cert_namespace, cert_name) = ca.split_once('/').expect("namespace/name");
        assert_eq!(cert_namespace, namespace);
        let certificate = find(objects, "Certificate", cert_name);
        assert_eq!(certificate["spec"]["secretName"], secret, "the Deployment mounts the webhook's certificate");
        let dns = format!("{service_name}.{namespace}.svc");
        assert!(
            certificate["spec"]["dnsNames"].as_array().expect("dnsNames").iter().any(|d| d == dns.as_str()),
            "the certificate names {dns}"
        );
    }

    // The controller reads the webhook configuration it is served by (GateWired), and may read
    // that one only.
    let configuration_name = webhook["metadata"]["name"].as_str().expect("configuration name");
    assert_eq!(flag(deployment, "webhook-configuration"), Some(configuration_name), "--webhook-configuration");
    let named_rule = of_kind(objects, "ClusterRole")
        .into_iter()
        .flat_map(|role| role["rules"].as_array().expect("rules"))
        .find(|r| r["resources"] == serde_json::json!(["validatingwebhookconfigurations"]))
        .cloned()
        .expect("the ClusterRole grants reading the webhook configuration");
    assert_eq!(named_rule["resourceNames"], serde_json::json!([configuration_name]));
    assert_eq!(named_rule["verbs"], serde_json::json!(["get", "list", "watch"]));

    if flag(deployment, "leader-election") == Some("true") {
        let lease = flag(deployment, "lease-name").expect("--lease-name");
        let role = one(objects, "Role");
        let renewable = role["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .any(|r| r["resourceNames"].as_array().is_some_and(|n| n.iter().any(|n| n == lease)));
        assert!(renewable, "Role {} lets readygate renew Lease {lease}", role["metadata"]["name"]);
    }
}
