//! `authentication.k8s.io/v1` SelfSubjectReview: who the server thinks the caller is. The double
//! authenticates nobody, so every caller is the user tests set with `ApiServerDouble::set_user`.
//! Like the real server, reviews are answered, never stored, and `create` is the only verb.

use bytes::Bytes;
use http::{Method, Response};
use serde_json::{Value, json};

use super::crud::parse_json;
use super::errors::ApiError;
use super::meta::now_rfc3339;
use super::resources::ResourceInfo;
use super::route::ResourcePath;
use super::server::{Body, Shared, error_response, json_response, lock};

pub const GROUP: &str = "authentication.k8s.io";
pub const PLURAL: &str = "selfsubjectreviews";
const KIND: &str = "SelfSubjectReview";
const AUTHENTICATED: &str = "system:authenticated";

/// The identity every request has.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub username: String,
    pub groups: Vec<String>,
}

/// What a kind (or minikube) admin kubeconfig authenticates as.
impl Default for User {
    fn default() -> Self {
        User {
            username: "kubernetes-admin".into(),
            groups: vec!["system:masters".into(), "system:authenticated".into()],
        }
    }
}

/// True for every path under `/apis/authentication.k8s.io/v1/selfsubjectreviews`.
pub fn is_review(path: &ResourcePath) -> bool {
    path.group == GROUP && path.plural == PLURAL
}

/// True for the discovery entry, which lists `create` alone.
pub fn is_review_resource(info: &ResourceInfo) -> bool {
    info.group == GROUP && info.plural == PLURAL
}

pub fn serve(shared: &Shared, method: &Method, path: &ResourcePath, body: &Bytes) -> Response<Body> {
    if path.namespace.is_some() || path.name.is_some() || path.subresource.is_some() {
        return error_response(&ApiError::not_found_path(&format!("{GROUP}/{PLURAL}")));
    }
    if *method != Method::POST {
        return error_response(&ApiError::method_not_allowed(method.as_str()));
    }
    match review(shared, body) {
        Ok(answer) => json_response(201, &answer),
        Err(e) => error_response(&e),
    }
}

fn review(shared: &Shared, body: &Bytes) -> Result<Value, ApiError> {
    let request = parse_json(body)?;
    if let Some(kind) = request["kind"].as_str().filter(|k| *k != KIND) {
        return Err(ApiError::bad_request(format!("the body is a {kind}, not a {KIND}")));
    }
    let mut user = lock(&shared.settings).user.clone();
    // The real API server puts every authenticated user in system:authenticated, whatever the
    // authenticator said (tests/real_status.rs sees it in a token user's review).
    if !user.groups.iter().any(|g| g == AUTHENTICATED) {
        user.groups.push(AUTHENTICATED.to_owned());
    }
    Ok(json!({
        "apiVersion": format!("{GROUP}/v1"),
        "kind": KIND,
        "metadata": {"creationTimestamp": now_rfc3339()},
        "status": {"userInfo": {"username": user.username, "groups": user.groups}},
    }))
}
