//! The `AdmissionReview` envelope on the wire: reading the request out of it, writing the response into it.
//!
//! Not `kube::core::admission`'s `AdmissionReview<T>`: it decodes `object` and `oldObject` into
//! owned `T`s and copies every string, where this reads the envelope borrowing from the body and
//! each object straight into the view its decision needs (`parse_as`); the admission path's
//! latency budget is spent on that difference. The tests read our answers with kube's types, so
//! the wire format stays what kube (and the API server) expect.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::admit::{AdmissionInput, Verdict};

/// The only AdmissionReview version readygate speaks; the webhook configuration must list
/// `admissionReviewVersions: [v1]`.
pub const API_VERSION: &str = "admission.k8s.io/v1";
pub const KIND: &str = "AdmissionReview";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, borrow)]
    request: Option<&'a RawValue>,
}

/// Why a body is not an AdmissionReview we can answer.
#[derive(Debug, PartialEq, Eq)]
pub enum ReviewError {
    /// Not answerable at all: reply HTTP 400 with this text.
    BadRequest(String),
    /// The request is broken but names its uid: reply with a denial the API server can read.
    Malformed { uid: String, message: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "O: Deserialize<'de>, P: Deserialize<'de>"))]
struct TypedEnvelope<'a, O, P> {
    #[serde(default, borrow)]
    api_version: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default = "absent", borrow)]
    request: Option<AdmissionInput<'a, O, P>>,
}

fn absent<T>() -> Option<T> {
    None
}

/// The fast path: envelope, request and objects (as `O` and `P`) read in one pass. `None` when
/// anything is off; [`parse`] then says what.
pub fn parse_as<'a, O, P>(body: &'a [u8]) -> Option<AdmissionInput<'a, O, P>>
where
    O: Deserialize<'a>,
    P: Deserialize<'a>,
{
    // One UTF-8 check of the whole body up front lets serde_json read it as text and skip the
    // per-string and per-raw-value checks it makes on bytes (about 6% of the parse).
    let text = std::str::from_utf8(body).ok()?;
    let envelope: TypedEnvelope<'a, O, P> = serde_json::from_str(text).ok()?;
    let current = envelope.api_version.as_deref() == Some(API_VERSION) && envelope.kind.as_deref() == Some(KIND);
    if current { envelope.request } else { None }
}

/// Reads `AdmissionReview.request` out of a body.
pub fn parse(body: &[u8]) -> Result<AdmissionInput<'_>, ReviewError> {
    let envelope: Envelope<'_> = serde_json::from_slice(body)
        .map_err(|e| ReviewError::BadRequest(format!("the body is not an AdmissionReview JSON object: {e}")))?;
    match envelope.api_version.as_deref() {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(ReviewError::BadRequest(format!(
                "unsupported AdmissionReview apiVersion {other:?}: readygate speaks {API_VERSION} only \
                 (set admissionReviewVersions: [v1] in the webhook configuration)"
            )));
        }
        None => {
            return Err(ReviewError::BadRequest(format!("the AdmissionReview has no apiVersion (want {API_VERSION})")));
        }
    }
    if envelope.kind.as_deref() != Some(KIND) {
        return Err(ReviewError::BadRequest(format!(
            "expected kind {KIND}, got {}",
            envelope.kind.as_deref().map_or_else(|| "none".to_owned(), |k| format!("{k:?}"))
        )));
    }
    let Some(request) = envelope.request else {
        return Err(ReviewError::BadRequest("the AdmissionReview has no request".to_owned()));
    };
    AdmissionInput::parse(request.get()).map_err(|error| match recover_uid(request) {
        Some(uid) => ReviewError::Malformed { uid, message: format!("malformed AdmissionRequest: {error}") },
        None => ReviewError::BadRequest(format!("malformed AdmissionRequest (and no uid to answer to): {error}")),
    })
}

fn recover_uid(request: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct UidOnly {
        uid: String,
    }
    serde_json::from_str::<UidOnly>(request.get()).ok().map(|u| u.uid).filter(|u| !u.is_empty())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReviewOut<'a> {
    api_version: &'static str,
    kind: &'static str,
    response: ResponseOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResponseOut<'a> {
    uid: &'a str,
    allowed: bool,
    /// Always present (empty when allowed), as kube-rs and client-go emit it.
    status: StatusOut<'a>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    audit_annotations: &'a BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
}

/// `metav1.Status` as admission responses carry it.
#[derive(Default, Serialize)]
struct StatusOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
}

/// The response body for `verdict`, echoing the request's uid.
pub fn render(uid: &str, verdict: &Verdict) -> Vec<u8> {
    let status = if verdict.allowed {
        StatusOut::default()
    } else {
        StatusOut {
            status: Some("Failure"),
            message: Some(&verdict.message),
            reason: Some(verdict.status_reason()).filter(|r| !r.is_empty()),
            code: Some(verdict.code),
        }
    };
    let review = ReviewOut {
        api_version: API_VERSION,
        kind: KIND,
        response: ResponseOut {
            uid,
            allowed: verdict.allowed,
            status,
            audit_annotations: &verdict.audit_annotations,
            warnings: &verdict.warnings,
        },
    };
    // Serializing plain strings, bools and maps of strings cannot fail; fall back to a denial
    // rather than unwrap if it ever did.
    serde_json::to_vec(&review).unwrap_or_else(|_| {
        format!(
            r#"{{"apiVersion":"{API_VERSION}","kind":"{KIND}","response":{{"uid":{},"allowed":false}}}}"#,
            serde_json::Value::String(uid.to_owned())
        )
        .into_bytes()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{assert_contains, assert_starts_with};
    use crate::webhook::admit::Reason;

    fn review(request: &str) -> String {
        format!(r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{request}}}"#)
    }

    #[test]
    fn reads_the_request_of_a_v1_review() {
        let body =
            review(r#"{"uid":"abc","kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"DELETE"}"#);
        let request = parse(body.as_bytes()).expect("parses");
        assert_eq!(request.uid, "abc");
    }

    #[test]
    fn refuses_v1beta1_naming_the_supported_version() {
        let body = r#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"a"}}"#;
        let Err(ReviewError::BadRequest(message)) = parse(body.as_bytes()) else { panic!("expected 400") };
        assert_contains(&message, "admission.k8s.io/v1 only");
    }

    #[test]
    fn a_broken_request_with_a_uid_is_answered_as_a_denial() {
        let body = review(r#"{"uid":"abc","kind":"Deployment","operation":"CREATE"}"#);
        let Err(ReviewError::Malformed { uid, message }) = parse(body.as_bytes()) else { panic!("expected denial") };
        assert_eq!(uid, "abc");
        assert_starts_with(&message, "malformed AdmissionRequest");
    }

    #[test]
    fn a_review_without_request_or_with_garbage_is_a_bad_request() {
        let no_request = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#;
        assert!(matches!(parse(no_request.as_bytes()), Err(ReviewError::BadRequest(_))));
        assert!(matches!(parse(b"\xff\x00garbage"), Err(ReviewError::BadRequest(_))));
        assert!(matches!(parse(b"[1,2]"), Err(ReviewError::BadRequest(_))));
    }

    #[test]
    fn renders_a_denial_kubernetes_can_read() {
        let verdict = Verdict::deny(Reason::NoGo, 403, "blocked").with_warnings(vec!["careful".to_owned()]);
        let body = render("u-1", &verdict);
        let value: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(value["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(value["kind"], "AdmissionReview");
        assert_eq!(value["response"]["uid"], "u-1");
        assert_eq!(value["response"]["allowed"], false);
        assert_eq!(value["response"]["status"]["code"], 403);
        assert_eq!(value["response"]["status"]["reason"], "Forbidden");
        assert_eq!(value["response"]["status"]["message"], "blocked");
        assert_eq!(value["response"]["warnings"][0], "careful");
    }
}
