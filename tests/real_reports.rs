//! `--report-format` against the real kube-apiserver (tests/support/cluster): with the published
//! PolicyReport and OpenReports CRDs installed from the corpus and the RBAC of deploy/'s
//! policy-reports / openreports component, readygate (as its ServiceAccount) writes reports the
//! API server accepts under strict field validation, which also pass the schema check offline.

#[path = "support/cluster/mod.rs"]
mod cluster;
#[path = "policy_reports/schema.rs"]
mod schema;

use std::time::Duration;

use cluster::readygate::Readygate;
use cluster::{ControlPlane, deploy, eventually, install, shop};
use kube::api::{Api, ApiResource, DynamicObject};
use kube::core::GroupVersionKind;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const NAMESPACE: &str = "shop-reports";
const READY: Duration = Duration::from_secs(60);
const FOLLOWS: Duration = Duration::from_secs(30);
const REPORT: &str = "readygate-shop-gate";

async fn report_when(
    admin: &kube::Client,
    readygate: &Readygate,
    gvk: &GroupVersionKind,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    let api: Api<DynamicObject> = Api::namespaced_with(admin.clone(), NAMESPACE, &ApiResource::from_gvk(gvk));
    let (api, wanted) = (&api, &wanted);
    eventually(
        FOLLOWS,
        &format!("the {} with the expected results", gvk.kind),
        || readygate.log(),
        || async move {
            let stored = api.get_opt(REPORT).await.expect("reading the report")?;
            let stored = serde_json::to_value(stored).expect("JSON");
            wanted(&stored).then_some(stored)
        },
    )
    .await
}

fn verdicts(report: &Value) -> Vec<(String, String)> {
    report["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (r["rule"].as_str().unwrap_or_default().to_owned(), r["result"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_accepted_by_the_api_server_with_the_components_rbac() {
    let plane = cluster::shared();
    install::apply_crd_dir(plane, &schema::crd_dir());
    deploy::install_rbac(plane, &["components/policy-reports"]);
    shop::seed(plane, NAMESPACE, 2);
    let admin = &plane.client("admin").await;
    let uid = shop::stored(admin, NAMESPACE).await["metadata"]["uid"].clone();

    let readygate = start(plane, "policyreport").await;
    let gvk = GroupVersionKind::gvk("wgpolicyk8s.io", "v1alpha2", "PolicyReport");
    let crd = schema::crd("wgpolicyk8s.io_policyreports.yaml");
    let expected = pairs(&[("autoscaling", "fail"), ("approval", "warn")]);
    let stored = report_when(admin, &readygate, &gvk, |r| verdicts(r) == expected).await;
    schema::validate(&crd, &stored).unwrap_or_else(|e| panic!("{e:?}\n{stored}"));
    assert_eq!(stored["summary"], json!({"pass": 0, "fail": 1, "warn": 1, "error": 0, "skip": 0}));
    assert_eq!(stored["metadata"]["ownerReferences"][0]["uid"], uid);
    let managers = stored["metadata"]["managedFields"].as_array().expect("managedFields");
    assert!(managers.iter().any(|m| m["manager"] == "readygate-reports" && m["operation"] == "Apply"), "{managers:?}");

    shop::set_hpa_min(plane, NAMESPACE, 3);
    let expected = pairs(&[("autoscaling", "pass"), ("approval", "warn")]);
    let stored = report_when(admin, &readygate, &gvk, |r| verdicts(r) == expected).await;
    assert_eq!(stored["summary"], json!({"pass": 1, "fail": 0, "warn": 1, "error": 0, "skip": 0}));
    assert!(readygate.terminate().await.success());

    // The openreports component replaces the grant: readygate may now write Reports.
    deploy::install_rbac(plane, &["components/openreports"]);
    let readygate = start(plane, "openreports").await;
    let gvk = GroupVersionKind::gvk("openreports.io", "v1alpha1", "Report");
    let crd = schema::crd("openreports.io_reports.yaml");
    let stored = report_when(admin, &readygate, &gvk, |r| verdicts(r) == expected).await;
    schema::validate(&crd, &stored).unwrap_or_else(|e| panic!("{e:?}\n{stored}"));
    assert_eq!(stored["source"], "readygate");
    assert_eq!(stored["scope"]["uid"], uid);
    assert!(!readygate.log().contains("report not written"), "{}", readygate.log());
    assert!(readygate.terminate().await.success());
}

async fn start(plane: &ControlPlane, format: &str) -> Readygate {
    let flag = format!("--report-format={format}");
    let readygate = Readygate::start(plane, "readygate", &["--leader-namespace=readygate-system", &flag]);
    readygate.wait_ready(READY).await;
    readygate
}
