//! `certificate` scenarios: readiness and expiry from status, renewBefore, issuers and ACME, the
//! offline partial rule, selection, and cert-manager's own documentation examples.

use serde_json::{Value, json};

use super::*;
use crate::api::ItemState;
use crate::checks::Facts;
use crate::checks::fixtures::World;
use crate::inventory::Object;

fn now() -> jiff::Timestamp {
    "2026-11-25T10:00:00Z".parse().expect("timestamp")
}

fn certificate(name: &str) -> Value {
    json!({
        "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
        "metadata": {"name": name, "namespace": "shop", "generation": 2, "labels": {"app": "api"}},
        "spec": {
            "secretName": format!("{name}-tls"), "dnsNames": ["api.example.com"],
            "issuerRef": {"name": "letsencrypt-prod", "kind": "ClusterIssuer"}
        }
    })
}

/// A Certificate as cert-manager leaves it once issued: Ready for generation 2, valid until
/// `not_after`.
fn issued(name: &str, not_after: &str) -> Value {
    let mut value = certificate(name);
    value["status"] = json!({
        "conditions": [{"type": "Ready", "status": "True", "reason": "Ready", "observedGeneration": 2,
                        "message": "Certificate is up to date and has not expired"}],
        "notBefore": "2026-09-01T00:00:00Z", "notAfter": not_after,
    });
    value
}

fn cluster_issuer(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": name}, "spec": spec})
}

fn acme_issuer() -> Value {
    cluster_issuer(
        "letsencrypt-prod",
        json!({"acme": {"server": "https://acme-v02.api.letsencrypt.org/directory",
                        "privateKeySecretRef": {"name": "letsencrypt-prod"}, "solvers": [{"http01": {}}]}}),
    )
}

fn check(spec: Value) -> CertificateCheck {
    serde_json::from_value(spec).expect("valid certificate check")
}

fn run_in(namespace: &str, spec: Value, objects: Vec<Value>, facts: &Facts) -> Outcome {
    let objects = objects.into_iter().map(|o| Object::from_value(o, Some(namespace)).expect("object"));
    evaluate(&check(spec), &World::new(objects).facts(facts.clone()).namespace(namespace).at(now()).scope())
}

fn run(spec: Value, objects: Vec<Value>) -> Outcome {
    run_in("shop", spec, objects, &Facts::live())
}

fn offline(spec: Value, objects: Vec<Value>) -> Outcome {
    run_in("shop", spec, objects, &Facts::offline())
}

#[test]
fn issued_ready_certificate_with_time_left_passes() {
    let outcome = run(
        json!({"names": ["api"], "minRemainingValidity": "30d", "requireAcme": true,
               "issuer": {"kind": "ClusterIssuer", "name": "letsencrypt-prod"}}),
        vec![issued("api", "2027-02-23T10:00:00Z"), acme_issuer()],
    );
    assert_eq!(
        outcome,
        Outcome::passed(
            "certificate/api Ready, valid for 90d, issuer clusterissuer/letsencrypt-prod, \
             ACME issuer clusterissuer/letsencrypt-prod"
        )
    );
}

#[test]
fn not_ready_certificate_fails_with_cert_managers_reason() {
    let mut cert = issued("api", "2027-02-23T10:00:00Z");
    cert["status"]["conditions"] = json!([{"type": "Ready", "status": "False", "reason": "DoesNotExist",
                                           "message": "Issuing certificate as Secret does not exist"}]);
    assert_eq!(
        run(json!({"names": ["api"]}), vec![cert]),
        Outcome::failed("certificate/api is not Ready (DoesNotExist: Issuing certificate as Secret does not exist)")
    );
}

#[test]
fn long_condition_messages_are_cut() {
    let mut cert = issued("api", "2027-02-23T10:00:00Z");
    cert["status"]["conditions"][0]["status"] = json!("False");
    cert["status"]["conditions"][0]["message"] = json!("é".repeat(500));
    let outcome = run(json!({"names": ["api"]}), vec![cert]);
    assert!(outcome.message.len() < 250);
    assert!(outcome.message.ends_with("…)"));
}

#[test]
fn ready_condition_from_an_older_generation_does_not_count() {
    let mut cert = issued("api", "2027-02-23T10:00:00Z");
    cert["metadata"]["generation"] = json!(3);
    assert_eq!(
        run(json!({"names": ["api"]}), vec![cert]),
        Outcome::failed("certificate/api Ready condition is stale (observedGeneration 2, generation 3)")
    );
}

#[test]
fn missing_ready_condition_fails() {
    let mut cert = issued("api", "2027-02-23T10:00:00Z");
    cert["status"]["conditions"] = json!([{"type": "Issuing", "status": "True"}]);
    assert_eq!(run(json!({"names": ["api"]}), vec![cert]), Outcome::failed("certificate/api has no Ready condition"));
}

#[test]
fn expiring_soon_and_expired_certificates_fail() {
    let soon =
        run(json!({"names": ["api"], "minRemainingValidity": "30d"}), vec![issued("api", "2026-12-05T10:00:00Z")]);
    assert_eq!(soon, Outcome::failed("certificate/api expires in 10d (2026-12-05T10:00:00Z), needs at least 30d"));
    let expired =
        run(json!({"names": ["api"], "minRemainingValidity": "1h"}), vec![issued("api", "2026-11-01T00:00:00Z")]);
    assert_eq!(expired, Outcome::failed("certificate/api expired at 2026-11-01T00:00:00Z"));
}

#[test]
fn live_certificate_without_status_is_not_issued_yet() {
    assert_eq!(
        run(json!({"names": ["api"], "minRemainingValidity": "30d"}), vec![certificate("api")]),
        Outcome::failed("certificate/api is not issued yet (no status)")
    );
}

#[test]
fn renew_before_or_its_percentage_form_satisfies_require_renew_before() {
    let mut with_duration = issued("api", "2027-02-23T10:00:00Z");
    with_duration["spec"]["renewBefore"] = json!("360h");
    let outcome = run(json!({"names": ["api"], "requireRenewBefore": true}), vec![with_duration]);
    assert_eq!(outcome, Outcome::passed("certificate/api Ready, renewBefore 360h"));

    let mut with_percentage = issued("api", "2027-02-23T10:00:00Z");
    with_percentage["spec"]["renewBeforePercentage"] = json!(25);
    let outcome = run(json!({"names": ["api"], "requireRenewBefore": true}), vec![with_percentage]);
    assert_eq!(outcome, Outcome::passed("certificate/api Ready, renewBeforePercentage 25%"));

    let outcome =
        run(json!({"names": ["api"], "requireRenewBefore": true}), vec![issued("api", "2027-01-01T00:00:00Z")]);
    assert_eq!(outcome, Outcome::failed("certificate/api sets neither renewBefore nor renewBeforePercentage"));
}

#[test]
fn issuer_kind_defaults_to_issuer_on_both_sides() {
    let mut cert = issued("api", "2027-02-23T10:00:00Z");
    cert["spec"]["issuerRef"] = json!({"name": "ca-issuer"});
    let outcome = run(json!({"names": ["api"], "issuer": {"name": "ca-issuer"}}), vec![cert.clone()]);
    assert_eq!(outcome, Outcome::passed("certificate/api Ready, issuer issuer/ca-issuer"));
    let outcome = run(json!({"names": ["api"], "issuer": {"kind": "ClusterIssuer", "name": "ca-issuer"}}), vec![cert]);
    assert_eq!(outcome, Outcome::failed("certificate/api uses issuer/ca-issuer, expected clusterissuer/ca-issuer"));
}

#[test]
fn an_external_issuer_group_does_not_pass_for_cert_managers_kind() {
    let mut cert = issued("api", "2027-02-23T10:00:00Z");
    cert["spec"]["issuerRef"] = json!({"name": "pca", "kind": "ClusterIssuer", "group": "awspca.cert-manager.io"});
    let outcome =
        run(json!({"names": ["api"], "issuer": {"kind": "ClusterIssuer", "name": "pca"}}), vec![cert.clone()]);
    assert_eq!(
        outcome,
        Outcome::failed(
            "certificate/api uses clusterissuer/pca (group awspca.cert-manager.io), expected clusterissuer/pca"
        )
    );
    let outcome = run(json!({"names": ["api"], "requireAcme": true}), vec![cert]);
    assert_eq!(
        outcome,
        Outcome::failed(
            "certificate/api uses external issuer clusterissuer/pca (group awspca.cert-manager.io), not an ACME Issuer"
        )
    );
}

#[test]
fn require_acme_follows_the_issuer_ref_to_a_namespaced_issuer() {
    let mut cert = issued("api", "2027-02-23T10:00:00Z");
    cert["spec"]["issuerRef"] = json!({"name": "letsencrypt-prod"});
    let mut issuer = acme_issuer();
    issuer["kind"] = json!("Issuer");
    issuer["metadata"]["namespace"] = json!("shop");
    let outcome = run(json!({"names": ["api"], "requireAcme": true}), vec![cert.clone(), issuer.clone()]);
    assert_eq!(outcome, Outcome::passed("certificate/api Ready, ACME issuer issuer/letsencrypt-prod"));
    // An Issuer of the same name in another namespace is not the one referenced.
    issuer["metadata"]["namespace"] = json!("billing");
    let outcome = run(json!({"names": ["api"], "requireAcme": true}), vec![cert, issuer]);
    assert_eq!(outcome, Outcome::failed("certificate/api references issuer/letsencrypt-prod, which does not exist"));
}

#[test]
fn a_self_signed_issuer_is_not_acme() {
    let outcome = run(
        json!({"names": ["api"], "requireAcme": true}),
        vec![issued("api", "2027-02-23T10:00:00Z"), cluster_issuer("letsencrypt-prod", json!({"selfSigned": {}}))],
    );
    assert_eq!(
        outcome,
        Outcome::failed("certificate/api uses clusterissuer/letsencrypt-prod, which is not ACME (selfSigned)")
    );
}

#[test]
fn unreadable_issuer_kind_is_an_error_not_a_failure() {
    let mut facts = Facts::live();
    facts.unavailable_kinds.insert(kinds::CLUSTER_ISSUER.to_owned(), "forbidden".to_owned());
    let outcome = run_in(
        "shop",
        json!({"names": ["api"], "requireAcme": true}),
        vec![issued("api", "2027-01-01T00:00:00Z")],
        &facts,
    );
    assert_eq!(outcome, Outcome::error("cannot read ClusterIssuer.cert-manager.io: forbidden"));
}

#[test]
fn offline_without_status_skips_status_parts_and_says_what_was_verified() {
    let mut cert = certificate("api");
    cert["spec"]["renewBefore"] = json!("360h");
    let outcome = offline(
        json!({"names": ["api"], "minRemainingValidity": "30d", "requireRenewBefore": true, "requireAcme": true}),
        vec![cert, acme_issuer()],
    );
    assert_eq!(outcome.state, ItemState::Skipped);
    assert_eq!(
        outcome.message,
        "verified certificate/api renewBefore 360h, ACME issuer clusterissuer/letsencrypt-prod; \
         needs a live cluster: certificate/api Ready and remaining validity (no status in the manifests)"
    );
}

#[test]
fn offline_spec_failure_decides_despite_missing_status() {
    let outcome = offline(json!({"names": ["api"], "requireRenewBefore": true}), vec![certificate("api")]);
    assert_eq!(outcome, Outcome::failed("certificate/api sets neither renewBefore nor renewBeforePercentage"));
}

#[test]
fn offline_issuer_outside_the_manifests_cannot_be_proven_acme() {
    let outcome = offline(json!({"names": ["api"], "requireAcme": true}), vec![certificate("api")]);
    assert_eq!(outcome.state, ItemState::Skipped);
    assert!(outcome.message.contains("certificate/api ACME (clusterissuer/letsencrypt-prod is not in the manifests)"));
}

#[test]
fn offline_certificate_with_a_status_is_judged_on_it() {
    let outcome =
        offline(json!({"names": ["api"], "minRemainingValidity": "30d"}), vec![issued("api", "2026-12-01T00:00:00Z")]);
    assert_eq!(outcome.state, ItemState::Failed);
}

#[test]
fn each_named_certificate_must_exist() {
    let outcome = run(json!({"names": ["api", "web", "admin"]}), vec![issued("api", "2027-01-01T00:00:00Z")]);
    assert_eq!(outcome, Outcome::failed("no Certificate named web, admin in namespace shop"));
}

#[test]
fn selector_that_selects_nothing_fails() {
    let outcome =
        run(json!({"selector": {"matchLabels": {"app": "web"}}}), vec![issued("api", "2027-01-01T00:00:00Z")]);
    assert_eq!(outcome, Outcome::failed("no Certificate matches app=web in namespace shop"));
    let outcome =
        run(json!({"selector": {"matchLabels": {"app": "api"}}}), vec![issued("api", "2027-01-01T00:00:00Z")]);
    assert_eq!(outcome, Outcome::passed("certificate/api Ready"));
}

#[test]
fn without_names_or_selector_every_certificate_of_the_namespace_is_judged() {
    assert_eq!(run(json!({}), vec![]), Outcome::failed("no Certificate in namespace shop"));
    let outcome = run(json!({}), vec![issued("api", "2027-01-01T00:00:00Z"), certificate("web")]);
    assert_eq!(outcome, Outcome::failed("certificate/web is not issued yet (no status)"));
}

#[test]
fn names_and_selector_together_or_a_bad_selector_are_spec_errors() {
    assert_eq!(run(json!({"names": ["api"], "selector": {}}), vec![]).state, ItemState::Error);
    let bad = json!({"selector": {"matchExpressions": [{"key": "app", "operator": "Near"}]}});
    assert_eq!(run(bad, vec![]).state, ItemState::Error);
}

/// A status holding only fields the check does not read still says cert-manager processed the
/// Certificate: judged on it (no Ready condition), not "not issued yet".
#[test]
fn a_status_without_conditions_is_judged_not_taken_for_no_status() {
    let mut cert = certificate("api");
    cert["status"] = json!({"lastFailureTime": "2026-11-24T10:00:00Z", "failedIssuanceAttempts": 1});
    assert_eq!(run(json!({"names": ["api"]}), vec![cert]), Outcome::failed("certificate/api has no Ready condition"));
}

/// Malformed fields read as unset, as the JSON reads made them: a spec that is a list sets no
/// issuer (cert-manager's defaults, no name) and no renewBefore; labels that are not a mapping
/// leave the Certificate unlabelled, judged rather than unreadable.
#[test]
fn malformed_certificate_fields_read_as_unset() {
    let mut listed = issued("api", "2027-02-23T10:00:00Z");
    listed["spec"] = json!(["letsencrypt-prod", "360h"]);
    assert_eq!(
        run(
            json!({"names": ["api"], "requireRenewBefore": true, "issuer": {"name": "letsencrypt-prod"}}),
            vec![listed]
        ),
        Outcome::failed(
            "certificate/api sets neither renewBefore nor renewBeforePercentage; \
             certificate/api uses issuer/, expected issuer/letsencrypt-prod"
        )
    );
    let mut unlabelled = issued("api", "2027-02-23T10:00:00Z");
    unlabelled["metadata"]["labels"] = json!("app=api");
    assert_eq!(run(json!({}), vec![unlabelled.clone()]), Outcome::passed("certificate/api Ready"));
    assert_eq!(
        run(json!({"selector": {"matchLabels": {"app": "api"}}}), vec![unlabelled]),
        Outcome::failed("no Certificate matches app=api in namespace shop")
    );
}

/// Decided with the typed view: an issuer type set to null is not set, as the API server prunes
/// it (before, the key alone made the Issuer ACME offline, though live it never could be).
#[test]
fn an_acme_key_set_to_null_is_no_acme_issuer() {
    let outcome = run(
        json!({"names": ["api"], "requireAcme": true}),
        vec![issued("api", "2027-02-23T10:00:00Z"), cluster_issuer("letsencrypt-prod", json!({"acme": null}))],
    );
    assert_eq!(
        outcome,
        Outcome::failed("certificate/api uses clusterissuer/letsencrypt-prod, which is not ACME (unknown type)")
    );
    let outcome = run(
        json!({"names": ["api"], "requireAcme": true}),
        vec![issued("api", "2027-02-23T10:00:00Z"), cluster_issuer("letsencrypt-prod", json!(["acme"]))],
    );
    assert_eq!(outcome, Outcome::failed("certificate/api uses clusterissuer/letsencrypt-prod, which has no spec"));
}

fn corpus(paths: &[&str]) -> Option<Vec<Value>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/manifests/cert-manager-docs");
    let mut out = Vec::new();
    for path in paths {
        let full = root.join(path);
        let Ok(text) = std::fs::read_to_string(&full) else {
            eprintln!("notice: corpus file {} is absent; skipping this test", full.display());
            return None;
        };
        let documents: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap_or_default();
        out.extend(documents.into_iter().filter(|v| v.is_object()));
    }
    Some(out)
}

#[test]
fn docs_example_certificate_proves_its_spec_offline() {
    let Some(objects) = corpus(&["usage/certificate__block1.yaml"]) else { return };
    let outcome = run_in(
        "sandbox",
        json!({"names": ["example-com"], "requireRenewBefore": true, "issuer": {"name": "ca-issuer"}}),
        objects,
        &Facts::offline(),
    );
    assert_eq!(
        outcome,
        Outcome::skipped(
            "verified certificate/example-com renewBefore 360h, issuer issuer/ca-issuer; \
             needs a live cluster: certificate/example-com Ready (no status in the manifests)"
        )
    );
}

#[test]
fn docs_self_signed_bootstrap_is_not_acme() {
    let Some(objects) = corpus(&["configuration/selfsigned__block3.yaml"]) else { return };
    let outcome = run_in("sandbox", json!({"requireAcme": true}), objects, &Facts::offline());
    assert_eq!(
        outcome,
        Outcome::failed(
            "certificate/my-selfsigned-ca uses clusterissuer/selfsigned-issuer, which is not ACME (selfSigned)"
        )
    );
}

#[test]
fn docs_acme_tutorial_issuer_is_acme_for_a_certificate_that_uses_it() {
    let Some(mut objects) = corpus(&["acme-tutorial/pomerium-production-issuer.yaml"]) else { return };
    let mut cert = certificate("pomerium-cert");
    cert["metadata"]["namespace"] = json!("pomerium");
    cert["spec"]["issuerRef"] = json!({"name": "letsencrypt-prod", "kind": "Issuer"});
    objects.push(cert);
    let outcome =
        run_in("pomerium", json!({"names": ["pomerium-cert"], "requireAcme": true}), objects, &Facts::offline());
    assert_eq!(outcome.state, ItemState::Skipped);
    assert!(outcome.message.starts_with("verified certificate/pomerium-cert ACME issuer issuer/letsencrypt-prod;"));
}

#[test]
fn docs_pomerium_certificates_lack_renew_before_and_their_issuer() {
    let Some(objects) = corpus(&["acme-tutorial/pomerium-certificates.yaml"]) else { return };
    let outcome = run_in("pomerium", json!({"requireRenewBefore": true}), objects.clone(), &Facts::offline());
    assert_eq!(
        outcome,
        Outcome::failed(
            "certificate/pomerium-cert sets neither renewBefore nor renewBeforePercentage; \
             certificate/pomerium-redis-cert sets neither renewBefore nor renewBeforePercentage"
        )
    );
    let outcome = run_in("pomerium", json!({"requireAcme": true}), objects, &Facts::live());
    assert!(outcome.message.contains("references issuer/pomerium-issuer, which does not exist"), "{}", outcome.message);
}
