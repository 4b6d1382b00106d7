//! The ReadinessSignoff view: its spec is the API type, read as the engine read it from JSON;
//! its creation time leniently; written back alike.

use serde_json::{Value, json};

use super::*;
use crate::inventory::view::from_value;
use crate::inventory::view::meta::round_trip::{assert_round_trips, repository_objects};

fn object(metadata: Value, spec: Value) -> Value {
    let mut value = json!({"apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessSignoff", "metadata": metadata});
    if !spec.is_null() {
        value["spec"] = spec;
    }
    value
}

/// The view of a sign-off, which must read back from its own serialization.
fn signoff(metadata: Value, spec: Value) -> SignoffView {
    assert_round_trips(&object(metadata, spec))
}

fn spec() -> Value {
    json!({"checklist": "release", "item": "load-test", "action": "Waive", "release": "v1.0.0",
           "reason": "flaky load generator", "ticket": "CHG-1234", "expiresAt": "2026-12-01T00:00:00Z",
           "signer": {"username": "alice", "groups": ["sre", "cto"]}})
}

#[test]
fn a_signoff_reads_its_spec_as_the_api_type_and_writes_back_alike() {
    let view = signoff(
        json!({"name": "waive-load", "creationTimestamp": "2026-11-24T10:00:00Z", "labels": {"team": "sre"},
               "uid": "0e0c", "resourceVersion": "42"}),
        spec(),
    );
    let api: ReadinessSignoffSpec = serde_json::from_value(spec()).expect("a valid spec");
    assert_eq!(view.spec.as_ref(), Some(&api));
    assert_eq!(view.metadata.name, "waive-load");
    assert_eq!(view.metadata.creation_timestamp, Some("2026-11-24T10:00:00Z".parse().expect("timestamp")));
    assert_eq!(
        serde_json::to_value(&view).expect("serializes"),
        json!({"metadata": {"name": "waive-load", "creationTimestamp": "2026-11-24T10:00:00Z",
                            "labels": {"team": "sre"}},
               "spec": spec()})
    );
}

/// A spec the API type cannot read (as `serde_json::from_value` could not before) is no spec,
/// so the sign-off never counts; a creation time that is not RFC 3339 is unknown.
#[test]
fn malformed_fields_read_as_the_engine_read_them() {
    let mut unsigned = spec();
    unsigned.as_object_mut().expect("an object").remove("signer");
    let mut vetoed = spec();
    vetoed["action"] = json!("Veto");
    for spec in [unsigned, vetoed, json!("approve"), Value::Null] {
        let view = signoff(json!({"name": "s"}), spec.clone());
        assert_eq!(view.spec, None, "{spec}");
    }
    for created in [json!("yesterday"), json!(1_764_000_000), json!({"seconds": 1})] {
        let view = signoff(json!({"name": "s", "creationTimestamp": created}), spec());
        assert_eq!(view.metadata.creation_timestamp, None, "{created}");
        assert!(view.spec.is_some());
    }
}

/// `expiresAt` is a Kubernetes `Time`: read to the sub-second as written, written in whole
/// seconds, which is how the API server stores it; the round trip holds for what it stores.
#[test]
fn expiry_is_written_in_whole_seconds_as_the_api_server_stores_it() {
    let mut precise = spec();
    precise["expiresAt"] = json!("2026-12-01T00:00:00.750Z");
    let view: SignoffView = from_value(&object(json!({"name": "s"}), precise), || "s".to_owned()).expect("reads");
    let expires = view.spec.as_ref().and_then(|s| s.expires_at.as_ref()).expect("an expiry");
    assert_eq!(expires.0, "2026-12-01T00:00:00.750Z".parse::<Timestamp>().expect("timestamp"));
    assert_eq!(serde_json::to_value(&view).expect("serializes")["spec"]["expiresAt"], "2026-12-01T00:00:00Z");
}

#[test]
fn the_repositorys_signoffs_write_back_alike() {
    let signoffs = repository_objects("ReadinessSignoff");
    assert!(signoffs.len() >= 2, "examples/novacron and the projection fixture hold ReadinessSignoffs");
    for signoff in &signoffs {
        assert_round_trips::<SignoffView>(signoff);
    }
}
