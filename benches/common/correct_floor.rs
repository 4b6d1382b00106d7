//! The cheapest *correct* admission webhook's work per request, shared by the load bench's third
//! server and the in-process benches: parse the whole AdmissionReview with serde_json, skipping
//! every value but `request.uid`, and answer an allow that echoes the uid. Anything less is not a
//! webhook the API server could use (it must read the body as JSON and echo the uid), so this is
//! what readygate's own per-request work is measured against (issue 11).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Review<'a> {
    #[serde(borrow)]
    request: Request<'a>,
}

/// Every other field of the request, objects included, is skipped by serde's derive
/// (`IgnoredAny`): fully parsed for syntax, nothing kept.
#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    uid: Cow<'a, str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    api_version: &'static str,
    kind: &'static str,
    response: Allowed<'a>,
}

#[derive(Serialize)]
struct Allowed<'a> {
    uid: &'a str,
    allowed: bool,
}

/// `request.uid` of a review, reading (and checking the syntax of) the whole body.
pub fn read_uid(body: &[u8]) -> Option<Cow<'_, str>> {
    serde_json::from_slice::<Review<'_>>(body).ok().map(|review| review.request.uid)
}

/// The allow answer echoing `uid`.
pub fn allow(uid: &str) -> Vec<u8> {
    let answer = Answer {
        api_version: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        response: Allowed { uid, allowed: true },
    };
    serde_json::to_vec(&answer).unwrap_or_default()
}

/// The whole per-request work: body in, answer out (`None`: refuse with 400).
pub fn answer(body: &[u8]) -> Option<Vec<u8>> {
    read_uid(body).map(|uid| allow(&uid))
}
