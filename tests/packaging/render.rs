//! Renders readygate's packaging for real: `kubectl kustomize` on deploy/ (alone or through an
//! overlay adding components) and Helm v4 (helm-python-sdk) on charts/readygate.

use std::path::{Component, Path, PathBuf};

use serde_json::{Value, json};

use super::tools;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every document of a multi-document YAML stream, as JSON values (empty documents dropped).
pub fn documents(text: &str) -> Vec<Value> {
    serde_saphyr::from_multiple(text).expect("valid YAML")
}

/// `kubectl kustomize deploy/`.
pub fn kustomize_base() -> String {
    tools::run(&tools::kubectl(), ["kustomize".as_ref(), repo().join("deploy").as_os_str()], None)
}

/// deploy/ through an overlay that adds `components` (paths relative to deploy/), as a user's
/// overlay would. Kustomize takes only relative paths, so the overlay names deploy/ relatively.
pub fn kustomize_with(components: &[&str]) -> String {
    let base = repo().join("deploy").canonicalize().expect("deploy/ exists");
    let overlay = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let to_base = relative(&overlay.path().canonicalize().expect("tempdir path"), &base);
    let mut text = format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- {}\ncomponents:\n",
        to_base.display()
    );
    for component in components {
        text.push_str(&format!("- {}\n", to_base.join(component).display()));
    }
    std::fs::write(overlay.path().join("kustomization.yaml"), text).expect("writes the overlay");
    tools::run(&tools::kubectl(), ["kustomize".as_ref(), overlay.path().as_os_str()], None)
}

/// The path from directory `from` to `to`, both absolute.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path: PathBuf = std::iter::repeat_n("..", from.len() - common).collect();
    path.extend(to[common..].iter().map(|c| c.as_os_str()));
    path
}

/// Renders and lints the chart in one Python process: helm-python-sdk exposes Helm v4's
/// `lint` and `template` (Chart.render) as functions, and the chart's CRDs as data.
const HELM_SCRIPT: &str = r#"
import json, sys
import helm_python as helm

request = json.load(sys.stdin)
chart, values = request["chart"], request["values"]
answer = {"lint": helm.lint(chart, values, strict=True, namespace=request["namespace"])}
with helm.Chart.load(chart) as loaded:
    answer["crds"] = [crd["data"] for crd in loaded.crds]
    try:
        rendered = loaded.render(values, name=request["release"], namespace=request["namespace"], is_install=True)
        answer["manifests"] = [rendered[path] for path in sorted(rendered) if path.endswith((".yaml", ".yml"))]
    except helm.HelmError as error:
        answer["error"] = str(error)
json.dump(answer, sys.stdout)
"#;

/// What Helm made of the chart with some values.
pub struct HelmRun {
    /// `helm lint --strict`'s report: `{messages: [{severity, path, error}], errors: [..]}`.
    pub lint: Value,
    /// The rendered templates, `helm template`'s output, or the render error.
    pub rendered: Result<String, String>,
    /// The files of the chart's crds/ folder.
    pub crds: Vec<String>,
}

/// `helm lint --strict` and `helm template readygate charts/readygate -n readygate-system`.
pub fn helm(values: Value) -> HelmRun {
    helm_as("readygate", "readygate-system", values)
}

/// The same for another release name and namespace.
pub fn helm_as(release: &str, namespace: &str, values: Value) -> HelmRun {
    let request = json!({
        "chart": repo().join("charts/readygate"),
        "values": values,
        "release": release,
        "namespace": namespace,
    });
    let python = tools::python_with_helm();
    let answer = tools::run(&python, ["-c", HELM_SCRIPT], Some(&request.to_string()));
    let mut answer: Value = serde_json::from_str(&answer).expect("the helm script answers JSON");
    let rendered = match answer.get("error").and_then(Value::as_str) {
        Some(error) => Err(error.to_owned()),
        None => {
            let manifests = answer["manifests"].as_array().expect("manifests");
            Ok(manifests.iter().map(|m| m.as_str().expect("text")).collect::<Vec<_>>().join("\n---\n"))
        }
    };
    let crds = answer["crds"].as_array().expect("crds").iter().map(|c| c.as_str().expect("text").to_owned()).collect();
    HelmRun { lint: answer["lint"].take(), rendered, crds }
}

/// The chart rendered with `values`; a render error fails the test.
pub fn helm_template(values: Value) -> String {
    helm(values).rendered.unwrap_or_else(|e| panic!("helm template failed: {e}"))
}

/// The one object of `kind` named `name`.
pub fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} among the rendered objects"))
}
