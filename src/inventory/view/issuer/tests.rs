//! The Issuer view: the issuer types under cert-manager's own names (from its CRDs), the
//! documented Issuers read and written back alike, and how malformed specs read.

use serde_json::{Value, json};

use super::*;
use crate::checks::corpus;
use crate::checks::fixtures::{assert_repository_views_round_trip, assert_round_trip, object, view_of};
use crate::inventory::kinds;

fn issuer(spec: Value) -> IssuerView {
    view_of(&object(json!({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
                           "metadata": {"name": "letsencrypt-prod"}, "spec": spec})))
}

#[test]
fn every_issuer_type_is_read_under_its_cert_manager_name() {
    for file in ["cert-manager/cert-manager.io_issuers.yaml", "cert-manager/cert-manager.io_clusterissuers.yaml"] {
        let Some(example) = corpus::crd_example(file, "v1") else { return };
        let view: IssuerView = view_of(&object(example));
        assert_eq!(
            serde_json::to_value(&view).expect("serializes"),
            json!({"metadata": {"name": "example"},
                   "spec": {"acme": {}, "ca": {}, "selfSigned": {}, "vault": {}, "venafi": {}}}),
            "{file}"
        );
        assert_round_trip(&view);
    }
}

#[test]
fn cert_managers_documented_issuers_each_configure_a_type_and_write_back_alike() {
    let Some(objects) = corpus::objects("cert-manager-docs", "sandbox") else { return };
    let issuers: Vec<_> =
        objects.iter().filter(|o| [kinds::ISSUER, kinds::CLUSTER_ISSUER].contains(&o.kind_key.as_str())).collect();
    assert!(issuers.len() >= 10, "the docs hold Issuers ({})", issuers.len());
    let mut types = std::collections::BTreeSet::new();
    for found in issuers {
        let view: IssuerView = view_of(found);
        let spec = view.spec.as_ref().unwrap_or_else(|| panic!("{} has a spec", found.name));
        types.insert(spec.issuer_type().unwrap_or_else(|| panic!("{} configures a type", found.name)));
        assert_round_trip(&view);
    }
    assert!(types.contains("acme") && types.contains("selfSigned"), "{types:?}");
}

#[test]
fn acme_wins_over_other_types_and_their_content_is_not_kept() {
    let view = issuer(json!({"ca": {"secretName": "ca"}, "acme": {"server": "https://acme.example/directory"}}));
    assert_eq!(view.spec.as_ref().and_then(IssuerSpec::issuer_type), Some("acme"));
    assert_eq!(serde_json::to_value(&view).expect("serializes")["spec"], json!({"acme": {}, "ca": {}}));
    assert_round_trip(&view);
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
        assert_round_trip(&view);
    }
    assert_round_trip(&issuer(json!({})));
}

#[test]
fn the_repositorys_issuers_write_back_alike() {
    let count = assert_repository_views_round_trip::<IssuerView>();
    assert!(count >= 2, "examples/novacron and the projection fixture hold Issuers ({count})");
}
