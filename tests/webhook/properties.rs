//! No input crashes the webhook: arbitrary bytes and arbitrary (AdmissionReview-shaped) JSON on
//! every path always get a well-formed answer: 2xx with a readable AdmissionReview, or 4xx.

use std::sync::Arc;

use proptest::prelude::*;
use readygate::webhook::{CHECKLISTS_PATH, LogOnlyEvents, SIGNOFFS_PATH, WORKLOADS_PATH, WebhookMetrics};
use serde_json::{Value, json};

use crate::support::{answer, app, checklist, post, state_of};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z.]{0,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn one_of_or_any(known: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => prop::sample::select(known).prop_map(|s| json!(s)),
        1 => any_json(),
    ]
}

/// A Deployment-like object with random values in the places the decision reads.
fn object() -> impl Strategy<Value = Value> {
    prop_oneof![
        any_json(),
        (any_json(), any_json(), any_json(), any_json()).prop_map(|(labels, annotations, template, spec)| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "api", "labels": labels, "annotations": annotations},
                   "spec": {"template": template, "other": spec}})
        }),
        (any_json(), any_json()).prop_map(|(spec, signer)| {
            json!({"metadata": {"name": "x"}, "spec": {"checklist": "release", "item": "cto-signoff",
                   "action": "Approve", "reason": "r", "signer": signer, "extra": spec}})
        }),
        prop::collection::vec(any_json(), 0..4).prop_map(|checks| {
            let items: Vec<Value> = checks.into_iter().map(|check| json!({"name": "a", "check": check})).collect();
            json!({"metadata": {"name": "release"}, "spec": {"items": items}})
        }),
    ]
}

fn review_shaped() -> impl Strategy<Value = Value> {
    let kind = (
        one_of_or_any(&["apps", "readygate.io", ""]),
        one_of_or_any(&["Deployment", "ReadinessSignoff", "ReadinessChecklist", "Pod"]),
    )
        .prop_map(|(group, kind)| json!({"group": group, "version": "v1", "kind": kind}));
    let request = (
        one_of_or_any(&["uid-1", ""]),
        kind,
        one_of_or_any(&["CREATE", "UPDATE", "DELETE", "CONNECT", "PATCH"]),
        one_of_or_any(&["shop", "default", ""]),
        any_json(),
        object(),
        object(),
        any_json(),
        any_json(),
    )
        .prop_map(|(uid, kind, operation, namespace, user, object, old, dry_run, sub)| {
            json!({"uid": uid, "kind": kind, "operation": operation, "namespace": namespace,
                   "userInfo": user, "object": object, "oldObject": old, "dryRun": dry_run, "subResource": sub})
        });
    (one_of_or_any(&["admission.k8s.io/v1", "admission.k8s.io/v1beta1"]), one_of_or_any(&["AdmissionReview"]), request)
        .prop_map(|(api_version, kind, request)| json!({"apiVersion": api_version, "kind": kind, "request": request}))
}

fn check_answer(body: &[u8]) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut nogo = checklist("release", "NoGo", &["cto-signoff"]);
    nogo["spec"]["gate"]["selector"] = json!({});
    let app = app(state_of(vec![nogo], Arc::new(LogOnlyEvents)), WebhookMetrics::unregistered());
    for path in [WORKLOADS_PATH, SIGNOFFS_PATH, CHECKLISTS_PATH] {
        let (status, answer_body) = runtime.block_on(post(&app, path, body.to_vec()));
        if status.is_success() {
            let (review, _) = answer(&answer_body);
            let sent_uid = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v["request"]["uid"].as_str().map(str::to_owned));
            prop_assert_eq!(Some(review.response.expect("response").uid), sent_uid);
        } else {
            prop_assert!(status.is_client_error(), "{} on {}", status, path);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_crash_the_webhook(body in prop::collection::vec(any::<u8>(), 0..512)) {
        check_answer(&body)?;
    }

    #[test]
    fn arbitrary_json_never_crashes_the_webhook(value in any_json()) {
        check_answer(value.to_string().as_bytes())?;
    }

    #[test]
    fn admission_review_shaped_json_never_crashes_the_webhook(value in review_shaped()) {
        check_answer(value.to_string().as_bytes())?;
    }
}
