//! readygate installed from deploy/ as a user installs it, minus what needs a kubelet: the
//! CRDs, the RBAC (namespace, ServiceAccount, ClusterRole, Role and bindings), and the
//! ValidatingWebhookConfiguration pointed at a test's `readygate run`.

use base64::Engine as _;
use serde_json::{Value, json};

use super::readygate::Readygate;
use super::{ControlPlane, install, render};

/// The kinds of deploy/ that give readygate its identity and permissions.
const RBAC_KINDS: [&str; 6] =
    ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];

/// deploy/ rendered by `kubectl kustomize`, with `components` (e.g. `components/secret-checks`).
pub fn rendered(components: &[&str]) -> Vec<Value> {
    let text = if components.is_empty() { render::kustomize_base() } else { render::kustomize_with(components) };
    render::documents(&text)
}

/// Applies readygate's CRDs (and the add-ons') and deploy/'s RBAC objects, as admin.
pub fn install_rbac(plane: &ControlPlane, components: &[&str]) {
    install::crds(plane);
    let objects: Vec<Value> = rendered(components)
        .into_iter()
        .filter(|o| RBAC_KINDS.contains(&o["kind"].as_str().unwrap_or_default()))
        .collect();
    assert!(objects.iter().any(|o| o["kind"] == "ClusterRole"), "deploy/ renders a ClusterRole");
    install::apply_ok(plane, "admin", "readygate-install", &yaml_stream(&objects));
}

/// deploy/'s ValidatingWebhookConfiguration, each webhook calling `readygate` at
/// `https://127.0.0.1:PORT/<its path>` and trusting the control plane's CA (as cert-manager's CA
/// injector would fill in caBundle). Everything else is as deploy/ has it.
pub fn webhook_configuration(plane: &ControlPlane, readygate: &Readygate) -> Value {
    let mut configuration = rendered(&[])
        .into_iter()
        .find(|o| o["kind"] == "ValidatingWebhookConfiguration")
        .expect("deploy/ renders a ValidatingWebhookConfiguration");
    let ca_bundle = base64::engine::general_purpose::STANDARD.encode(plane.ca().pem());
    configuration["metadata"]["annotations"] = json!({});
    for webhook in configuration["webhooks"].as_array_mut().expect("webhooks") {
        let path = webhook["clientConfig"]["service"]["path"].as_str().expect("a service path").to_owned();
        webhook["clientConfig"] = json!({"url": readygate.webhook_url(&path), "caBundle": ca_bundle});
    }
    configuration
}

/// Applies the webhook configuration; deletes it again on Drop, so that a failing test does
/// not leave a fail-closed webhook pointing at a readygate that is gone.
pub struct WebhookInstalled<'a> {
    plane: &'a ControlPlane,
    name: String,
}

impl<'a> WebhookInstalled<'a> {
    pub fn apply(plane: &'a ControlPlane, configuration: &Value) -> WebhookInstalled<'a> {
        install::apply_ok(plane, "admin", "readygate-install", &yaml_stream(std::slice::from_ref(configuration)));
        let name = configuration["metadata"]["name"].as_str().expect("name").to_owned();
        WebhookInstalled { plane, name }
    }
}

impl Drop for WebhookInstalled<'_> {
    fn drop(&mut self) {
        let _ = self.plane.kubectl(
            "admin",
            &["delete", "validatingwebhookconfiguration", &self.name, "--ignore-not-found", "--wait=false"],
            None,
        );
    }
}

/// Objects as one multi-document YAML stream (JSON is YAML).
pub fn yaml_stream(objects: &[Value]) -> String {
    objects.iter().map(|o| format!("---\n{o}\n")).collect()
}
