//! The Issuer view: the issuer types under cert-manager's own names (from its CRDs), the
//! documented Issuers read and written back alike, and how malformed specs read.

use serde_json::{Value, json};

use super::*;
use crate::checks::corpus;
use crate::inventory::view::meta::round_trip::{assert_round_trips, corpus_objects, repository_objects};

/// The view of a ClusterIssuer with `spec`, which must read back from its own serialization.
fn issuer(spec: Value) -> IssuerView {
    assert_round_trips(&json!({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
                               "metadata": {"name": "letsencrypt-prod"}, "spec": spec}))
}

#[test]
fn every_issuer_type_is_read_under_its_cert_manager_name() {
    for file in ["cert-manager/cert-manager.io_issuers.yaml", "cert-manager/cert-manager.io_clusterissuers.yaml"] {
        let Some(example) = corpus::crd_example(file, "v1") else { return };
        let view: IssuerView = assert_round_trips(&example);
        assert_eq!(
            serde_json::to_value(&view).expect("serializes"),
            json!({"metadata": {"name": "example"},
                   "spec": {"acme": {}, "ca": {}, "selfSigned": {}, "vault": {}, "venafi": {}}}),
            "{file}"
        );
    }
}

#[test]
fn the_corpus_issuers_each_configure_a_type_and_write_back_alike() {
    let (Some(issuers), Some(cluster_issuers)) = (corpus_objects("Issuer"), corpus_objects("ClusterIssuer")) else {
        return;
    };
    assert!(issuers.len() + cluster_issuers.len() >= 10, "the corpus holds Issuers");
    let mut types = std::collections::BTreeSet::new();
    for found in issuers.iter().chain(&cluster_issuers) {
        let view: IssuerView = assert_round_trips(found);
        let spec = view.spec.as_ref().unwrap_or_else(|| panic!("{} has a spec", view.metadata.name));
        types.insert(spec.issuer_type().unwrap_or_else(|| panic!("{} configures a type", view.metadata.name)));
    }
    assert!(types.contains("acme") && types.contains("selfSigned"), "{types:?}");
}

#[test]
fn acme_wins_over_other_types_and_their_content_is_not_kept() {
    let view = issuer(json!({"ca": {"secretName": "ca"}, "acme": {"server": "https://acme.example/directory"}}));
    assert_eq!(view.spec.as_ref().and_then(IssuerSpec::issuer_type), Some("acme"));
    assert_eq!(serde_json::to_value(&view).expect("serializes")["spec"], json!({"acme": {}, "ca": {}}));
}

/// A type key counts whatever it holds (the check never judged the content), except null, which
/// the API server prunes; a spec that is not a mapping is no spec, and a mapping setting no
/// type is a spec of unknown type.
#[test]
fn malformed_specs_read_as_they_were_judged() {
    assert_eq!(issuer(json!({"selfSigned": "yes"})).spec.and_then(|s| s.issuer_type()), Some("selfSigned"));
    assert_eq!(issuer(json!({"acme": null, "vault": {}})).spec.and_then(|s| s.issuer_type()), Some("vault"));
    assert_eq!(issuer(json!({"acme": null})).spec, Some(IssuerSpec::default()));
    assert_eq!(issuer(json!({"foo": {}})).spec, Some(IssuerSpec::default()));
    for spec in [json!("acme"), json!(["acme"]), Value::Null] {
        let view = issuer(spec.clone());
        assert_eq!(view.spec, None, "{spec}");
    }
    assert_eq!(issuer(json!({})).spec, Some(IssuerSpec::default()));
}

#[test]
fn the_repositorys_issuers_write_back_alike() {
    let issuers = [repository_objects("Issuer"), repository_objects("ClusterIssuer")].concat();
    assert!(issuers.len() >= 2, "examples/novacron and the projection fixture hold Issuers");
    for found in &issuers {
        assert_round_trips::<IssuerView>(found);
    }
}
