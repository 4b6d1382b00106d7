//! The API server double speaks the Kubernetes wire protocol the way kube-rs needs it.

mod support;

use support::ApiServerDouble;

#[tokio::test]
async fn serves_the_version_endpoint() {
    let double = ApiServerDouble::start().await;
    let v = double.client().apiserver_version().await.expect("version");
    assert_eq!(v.git_version, "v1.31.2");
}
