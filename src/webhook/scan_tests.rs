//! The fast reader must agree with the serde path on every request it accepts, and accept the
//! requests the API server actually sends.

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::api::ReadinessChecklist;
use crate::webhook::admit::fixtures::{checklist, deployment, now};
use crate::webhook::admit::workloads;
use crate::webhook::review;

fn wrap(request: Value) -> Vec<u8> {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}).to_string().into_bytes()
}

fn request_of(fixture: crate::webhook::admit::fixtures::RequestFixture) -> Value {
    serde_json::from_str(&fixture.json()).expect("fixture JSON")
}

fn gates() -> Vec<Arc<ReadinessChecklist>> {
    vec![checklist("release").override_groups(&["sre-oncall"]).decision("NoGo", &["cto-signoff"]).build()]
}

/// When the scanner reads a body, serde reads it too and the verdicts are identical.
fn agrees(body: &[u8]) -> Result<bool, TestCaseError> {
    let Some(fast) = deployment_review(body) else { return Ok(false) };
    let slow = review::parse(body);
    prop_assert!(slow.is_ok(), "serde refused what the scanner read: {:?}", String::from_utf8_lossy(body));
    let Ok(slow) = slow else { return Ok(false) };
    prop_assert_eq!(&fast.uid, &slow.uid);
    let view = gates();
    prop_assert_eq!(workloads::decide_parsed(&fast, &view, now()), workloads::decide(&slow, &view, now()));
    Ok(true)
}

#[test]
fn reads_a_deployment_update_like_serde() {
    let body = wrap(request_of(
        deployment("UPDATE").image("api:2").annotation(OVERRIDE_ANNOTATION, "hotfix").user("bob", &["sre-oncall"]),
    ));
    let fast = deployment_review(&body).expect("scanned");
    assert_eq!(fast.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_eq!(fast.operation, Operation::Update);
    let object = fast.object.as_ref().expect("object");
    assert_eq!(object.override_reason(), Some("hotfix"));
    assert_eq!(object.metadata.labels.get("app").map(String::as_str), Some("api"));
    assert!(object.template().is_some_and(|t| t.contains("api:2")));
    assert!(fast.old_object.as_ref().and_then(TemplateOnly::template).is_some_and(|t| t.contains("api:1")));
    assert!(agrees(&body).expect("agrees"));
}

#[test]
fn reads_every_operation_of_the_fixtures() {
    for operation in ["CREATE", "UPDATE", "DELETE", "CONNECT"] {
        let body = wrap(request_of(deployment(operation)));
        assert!(agrees(&body).expect("agrees"), "{operation} should take the fast path");
    }
}

#[test]
fn defers_on_escaped_keys_duplicates_trailing_bytes_and_other_versions() {
    let good = String::from_utf8(wrap(request_of(deployment("CREATE")))).expect("utf-8");
    let cases = [
        good.replacen("\"uid\"", "\"\\u0075id\"", 1),
        good.replacen("\"uid\":", "\"uid\":\"dup\",\"uid\":", 1),
        format!("{good} x"),
        good.replacen("admission.k8s.io/v1", "admission.k8s.io/v1beta1", 1),
        good.replacen("\"operation\":\"CREATE\"", "\"operation\":7", 1),
        good.replacen("\"labels\":{", "\"labels\":[{", 1),
        good[..good.len() - 1].to_owned(),
    ];
    for case in cases {
        assert!(deployment_review(case.as_bytes()).is_none(), "{case}");
    }
}

#[test]
fn strings_holding_braces_and_escaped_quotes_are_skipped_whole() {
    let body = wrap(request_of(
        deployment("CREATE")
            .annotation("note", "} ] { [ \" \\ unbalanced")
            .set("/object/status", json!({"message": "a \"quoted\" {brace}"})),
    ));
    assert!(agrees(&body).expect("agrees"));
}

#[test]
fn non_utf8_bodies_are_deferred_not_misread() {
    let mut body = wrap(request_of(deployment("CREATE")));
    let at = body.windows(5).position(|w| w == b"api:1").expect("image");
    body[at] = 0xff;
    assert!(deployment_review(&body).is_none());
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[ -~\\\\\"{}\\[\\]é]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn mutated_request() -> impl Strategy<Value = Value> {
    let operations = prop::sample::select(vec!["CREATE", "UPDATE", "DELETE", "CONNECT", "PATCH"]);
    let labels = prop::collection::btree_map("app|tier|app.kubernetes.io/version", "api|web|v1.0.0", 0..3);
    (operations, labels, any_json(), any_json(), any::<bool>(), prop::option::of("[a-z ]{0,10}"), any::<bool>())
        .prop_map(|(operation, labels, old_template, noise, same_template, override_reason, dry_run)| {
            let mut request = request_of(deployment(operation));
            request["object"]["metadata"]["labels"] = json!(labels);
            request["object"]["status"] = noise.clone();
            request["object"]["metadata"]["managedFields"] = json!([noise]);
            if let Some(reason) = override_reason {
                request["object"]["metadata"]["annotations"][OVERRIDE_ANNOTATION] = json!(reason);
                request["userInfo"]["groups"] = json!(["sre-oncall"]);
            }
            if !same_template && operation == "UPDATE" {
                request["oldObject"]["spec"]["template"] = old_template;
            }
            request["dryRun"] = json!(dry_run);
            request
        })
}

proptest! {
    #[test]
    fn the_fast_reader_agrees_with_serde_on_realistic_requests(request in mutated_request()) {
        let body = wrap(request);
        prop_assert!(agrees(&body)?, "a well-formed request should take the fast path");
    }

    #[test]
    fn the_fast_reader_agrees_with_serde_whenever_it_answers(request in any_json(), object in any_json()) {
        let mut shaped = request_of(deployment("UPDATE"));
        shaped["object"]["spec"] = object;
        agrees(&wrap(shaped))?;
        agrees(&wrap(request.clone()))?;
        agrees(request.to_string().as_bytes())?;
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_fast_reader(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = deployment_review(&body);
    }
}
