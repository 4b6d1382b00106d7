//! The Certificate view: every field under cert-manager's own name (from its CRD), real
//! Certificates written back as they read, and how malformed fields read.

use serde_json::{Value, json};

use super::*;
use crate::checks::corpus;
use crate::inventory::view::meta::round_trip::{assert_round_trips, corpus_objects, repository_objects};

/// The view of `value`, which must read back from its own serialization.
fn read(value: Value) -> CertificateView {
    assert_round_trips(&value)
}

fn certificate(rest: Value) -> Value {
    let mut value = json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "api"}});
    value.as_object_mut().expect("an object").extend(rest.as_object().expect("an object").clone());
    value
}

#[test]
fn every_field_is_read_under_its_cert_manager_name() {
    let Some(mut example) = corpus::crd_example("cert-manager/cert-manager.io_certificates.yaml", "v1") else {
        return;
    };
    example["metadata"] = json!({"name": "example", "generation": 3, "labels": {"app": "api"}});
    let view = read(example);
    assert_eq!(
        serde_json::to_value(&view).expect("serializes"),
        json!({
            "metadata": {"name": "example", "generation": 3, "labels": {"app": "api"}},
            "spec": {"renewBefore": "value", "renewBeforePercentage": 1,
                     "issuerRef": {"group": "value", "kind": "value", "name": "value"}},
            "status": {"conditions": [{"type": "value", "status": "True", "reason": "value", "message": "value",
                                       "observedGeneration": 1}],
                       "notAfter": "2027-01-01T00:00:00Z"}
        })
    );
}

#[test]
fn the_corpus_certificates_read_and_write_back_alike() {
    let Some(certificates) = corpus_objects("Certificate") else { return };
    assert!(certificates.len() >= 5, "the corpus holds Certificates ({})", certificates.len());
    for certificate in &certificates {
        let view = read(certificate.clone());
        assert_eq!(view.metadata.name, certificate["metadata"]["name"].as_str().expect("a name"));
        assert!(view.spec.issuer_ref.name.is_some(), "{} names its issuer", view.metadata.name);
    }
}

#[test]
fn an_issued_certificate_reads_its_ready_condition_and_expiry() {
    let view = read(certificate(json!({
        "metadata": {"name": "api", "generation": 2},
        "spec": {"secretName": "api-tls", "renewBeforePercentage": 25.5, "issuerRef": {"name": "letsencrypt-prod"}},
        "status": {"conditions": [{"type": "Issuing", "status": "False"},
                                  {"type": "Ready", "status": "True", "reason": "Ready", "observedGeneration": 2,
                                   "lastTransitionTime": "2026-09-01T00:00:00Z"}],
                   "notAfter": "2026-12-01T00:00:00Z", "renewalTime": "2026-11-01T00:00:00Z", "revision": 4}
    })));
    let status = view.status.as_ref().expect("issued");
    let ready = status.ready().expect("a Ready condition");
    assert_eq!((ready.status.as_deref(), ready.observed_generation), (Some("True"), Some(2)));
    assert_eq!(status.not_after.as_deref(), Some("2026-12-01T00:00:00Z"));
    assert_eq!(view.spec.renew_before_percentage.as_ref().map(ToString::to_string).as_deref(), Some("25.5"));
    assert_eq!(view.reference(), "certificate/api");
}

/// What the check read from JSON before, field by field: a mapping of the wrong shape is empty,
/// a scalar of the wrong type is unset, a condition that is not a mapping says nothing.
#[test]
fn malformed_fields_read_as_unset_rather_than_failing_the_certificate() {
    let view = read(certificate(json!({
        "metadata": {"name": "api", "generation": "2", "labels": "app=api"},
        "spec": {"renewBefore": 360, "renewBeforePercentage": "25", "issuerRef": "letsencrypt-prod"},
        "status": {"conditions": ["Ready", {"type": "Ready", "status": true, "observedGeneration": 1.0}],
                   "notAfter": 1_700_000_000}
    })));
    assert_eq!(view.metadata.generation, None);
    assert!(view.metadata.labels.is_empty());
    assert_eq!(view.spec, CertificateSpec::default());
    let status = view.status.as_ref().expect("a non-empty status");
    let ready = Condition { kind: Some("Ready".to_owned()), ..Condition::default() };
    assert_eq!(status.conditions, [Condition::default(), ready]);
    assert_eq!(status.not_after, None);

    assert_eq!(read(certificate(json!({"spec": ["issuerRef"]}))).spec, CertificateSpec::default());
    assert_eq!(
        read(certificate(json!({"status": {"conditions": {"type": "Ready"}}}))).status,
        Some(CertificateStatus::default())
    );
}

/// A status that is absent, null, empty or not a mapping says cert-manager has not processed
/// the Certificate; any other status says it has, even one holding nothing this view reads, and
/// writes back as a status.
#[test]
fn only_a_non_empty_status_mapping_is_a_status() {
    for status in [Value::Null, json!({}), json!("Ready"), json!([{"type": "Ready"}])] {
        assert_eq!(read(certificate(json!({"status": status}))).status, None, "{status}");
    }
    assert_eq!(read(certificate(json!({}))).status, None);
    for status in [json!({"conditions": []}), json!({"lastFailureTime": "2026-11-01T00:00:00Z"})] {
        let view = read(certificate(json!({"status": status})));
        assert_eq!(view.status, Some(CertificateStatus::default()), "{status}");
        assert_eq!(serde_json::to_value(&view).expect("serializes")["status"], json!({"conditions": []}));
    }
}

#[test]
fn the_repositorys_certificates_write_back_alike() {
    let certificates = repository_objects("Certificate");
    assert!(certificates.len() >= 2, "examples/novacron and the projection fixture hold Certificates");
    for certificate in &certificates {
        read(certificate.clone());
    }
}
