//! `certificate`: cert-manager Certificates (`cert-manager.io/v1`) that are Ready, stay valid
//! long enough, renew early, and come from the expected (ACME) issuer.
//!
//! Which Certificates: `names` (each must exist), or `selector`, or every Certificate of the
//! namespace. Ready is always required: the `Ready` condition is `"True"` and not older than the
//! spec (`observedGeneration` vs `metadata.generation`). Spec parts (issuer, renewBefore, ACME)
//! are provable from manifests; status parts (Ready, remaining validity) are not: offline,
//! without a `status`, they are Skipped with what was verified, unless a spec part fails.

use serde_json::Value;

use super::findings::Findings;
use super::schedule::format_secs;
use super::{Mode, Outcome, Scope};
use crate::api::{CertificateCheck, IssuerRef};
use crate::inventory::{Object, kinds, selector};

const CERT_MANAGER_GROUP: &str = "cert-manager.io";
/// Condition messages from cert-manager can be long; keep item messages readable.
const MAX_CONDITION_MESSAGE: usize = 160;

pub fn evaluate(spec: &CertificateCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::certificate(spec)) {
        return refused;
    }
    let mut findings = Findings::default();
    let certificates = match select_certificates(spec, scope, &mut findings) {
        Ok(certificates) => certificates,
        Err(outcome) => return outcome,
    };
    for certificate in certificates {
        judge(certificate, spec, scope, &mut findings);
    }
    findings.into_outcome()
}

fn select_certificates<'a>(
    spec: &CertificateCheck,
    scope: &Scope<'a>,
    findings: &mut Findings,
) -> Result<Vec<&'a Object>, Outcome> {
    let namespace = scope.namespace;
    let in_namespace = || scope.inventory.in_namespace(kinds::CERTIFICATE, Some(namespace));
    match (spec.names.is_empty(), &spec.selector) {
        (false, Some(_)) => Err(Outcome::error("give either names or selector, not both")),
        (false, None) => {
            let mut found = Vec::new();
            let mut missing = Vec::new();
            for name in &spec.names {
                match scope.inventory.get(kinds::CERTIFICATE, Some(namespace), name) {
                    Some(object) => found.push(object.as_ref()),
                    None => missing.push(name.as_str()),
                }
            }
            if !missing.is_empty() {
                findings.fail(format!("no Certificate named {} in namespace {namespace}", missing.join(", ")));
            }
            Ok(found)
        }
        (true, Some(s)) => {
            selector::validate(s).map_err(|e| Outcome::error(format!("invalid selector: {e}")))?;
            let found: Vec<&Object> =
                in_namespace().filter(|o| selector::matches_lenient(s, &o.labels)).map(|o| o.as_ref()).collect();
            if found.is_empty() {
                return Err(Outcome::failed(format!(
                    "no Certificate matches {} in namespace {namespace}",
                    selector::describe(s)
                )));
            }
            Ok(found)
        }
        (true, None) => {
            let found: Vec<&Object> = in_namespace().map(|o| o.as_ref()).collect();
            if found.is_empty() {
                return Err(Outcome::failed(format!("no Certificate in namespace {namespace}")));
            }
            Ok(found)
        }
    }
}

fn judge(certificate: &Object, spec: &CertificateCheck, scope: &Scope<'_>, findings: &mut Findings) {
    let reference = certificate.reference();
    let mut verified = Vec::new();
    let mut unprovable = Vec::new();
    let has_status = certificate.get("/status").and_then(Value::as_object).is_some_and(|s| !s.is_empty());
    if !has_status {
        if scope.facts.mode == Mode::Offline {
            unprovable.push("Ready");
            if spec.min_remaining_validity.is_some() {
                unprovable.push("remaining validity");
            }
        } else {
            findings.fail(format!("{reference} is not issued yet (no status)"));
        }
    } else {
        match ready(certificate) {
            Ok(()) => verified.push("Ready".to_owned()),
            Err(problem) => findings.fail(format!("{reference} {problem}")),
        }
        if let Some(min) = &spec.min_remaining_validity {
            match remaining_validity(certificate, min, scope.now) {
                Ok(left) => verified.push(left),
                Err(problem) => findings.fail(format!("{reference} {problem}")),
            }
        }
    }
    if spec.require_renew_before {
        match renew_before(certificate) {
            Ok(setting) => verified.push(setting),
            Err(problem) => findings.fail(format!("{reference} {problem}")),
        }
    }
    if let Some(expected) = &spec.issuer {
        match issuer_matches(certificate, expected) {
            Ok(issuer) => verified.push(format!("issuer {issuer}")),
            Err(problem) => findings.fail(format!("{reference} {problem}")),
        }
    }
    if spec.require_acme {
        match acme(certificate, scope) {
            Acme::Yes(issuer) => verified.push(format!("ACME issuer {issuer}")),
            Acme::No(problem) => findings.fail(format!("{reference} {problem}")),
            Acme::Unreadable(problem) => findings.error(problem),
            Acme::NotInManifests(issuer) => {
                findings.unprovable(format!("{reference} ACME ({issuer} is not in the manifests)"))
            }
        }
    }
    if !unprovable.is_empty() {
        findings.unprovable(format!("{reference} {} (no status in the manifests)", unprovable.join(" and ")));
    }
    if !verified.is_empty() {
        findings.verified(format!("{reference} {}", verified.join(", ")));
    }
}

/// The `Ready` condition is `"True"` and was set for the current generation of the spec.
fn ready(certificate: &Object) -> Result<(), String> {
    let conditions = certificate.get("/status/conditions").and_then(Value::as_array);
    let Some(condition) =
        conditions.into_iter().flatten().find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
    else {
        return Err("has no Ready condition".to_owned());
    };
    let field = |name: &str| condition.get(name).and_then(Value::as_str).unwrap_or_default();
    if field("status") != "True" {
        let mut why = format!("{}: {}", field("reason"), field("message"));
        if why.len() > MAX_CONDITION_MESSAGE {
            let mut end = MAX_CONDITION_MESSAGE;
            while !why.is_char_boundary(end) {
                end -= 1;
            }
            why.truncate(end);
            why.push('…');
        }
        return Err(format!("is not Ready ({why})"));
    }
    let observed = condition.get("observedGeneration").and_then(Value::as_i64);
    let generation = certificate.i64_at("/metadata/generation");
    if let (Some(observed), Some(generation)) = (observed, generation)
        && observed < generation
    {
        return Err(format!("Ready condition is stale (observedGeneration {observed}, generation {generation})"));
    }
    Ok(())
}

fn remaining_validity(
    certificate: &Object,
    min: &crate::api::Duration,
    now: jiff::Timestamp,
) -> Result<String, String> {
    let Some(text) = certificate.str_at("/status/notAfter") else {
        return Err("has no status.notAfter (not issued yet)".to_owned());
    };
    let not_after: jiff::Timestamp = text.parse().map_err(|_| format!("has an unreadable status.notAfter {text:?}"))?;
    let left = not_after.duration_since(now);
    if left <= jiff::SignedDuration::ZERO {
        return Err(format!("expired at {text}"));
    }
    let left_text = format_secs(left.as_secs());
    if left < min.as_span() {
        return Err(format!("expires in {left_text} ({text}), needs at least {min}"));
    }
    Ok(format!("valid for {left_text}"))
}

/// `renewBefore`, or `renewBeforePercentage` (cert-manager >= 1.15), which renews early just the
/// same; without either, cert-manager renews when a third of the lifetime is left.
fn renew_before(certificate: &Object) -> Result<String, String> {
    if let Some(before) = certificate.str_at("/spec/renewBefore").filter(|s| !s.is_empty()) {
        return Ok(format!("renewBefore {before}"));
    }
    if let Some(percentage) = certificate.get("/spec/renewBeforePercentage").filter(|v| v.is_number()) {
        return Ok(format!("renewBeforePercentage {percentage}%"));
    }
    Err("sets neither renewBefore nor renewBeforePercentage".to_owned())
}

/// The Certificate's `issuerRef` as (group, kind, name), with cert-manager's defaults.
fn issuer_ref(certificate: &Object) -> (&str, &str, &str) {
    let part = |name: &str| certificate.str_at(&format!("/spec/issuerRef/{name}")).filter(|s| !s.is_empty());
    (part("group").unwrap_or(CERT_MANAGER_GROUP), part("kind").unwrap_or("Issuer"), part("name").unwrap_or_default())
}

fn describe_issuer(kind: &str, name: &str) -> String {
    format!("{}/{name}", kind.to_ascii_lowercase())
}

/// Kind (default `Issuer`) and name must match; for cert-manager's own kinds the group must be
/// cert-manager.io too (an external issuer may reuse the kind name in its own group). Kinds of
/// external issuers are compared by kind and name only: the check cannot name a group.
fn issuer_matches(certificate: &Object, expected: &IssuerRef) -> Result<String, String> {
    let (group, kind, name) = issuer_ref(certificate);
    let expected_kind = expected.kind.as_deref().filter(|k| !k.is_empty()).unwrap_or("Issuer");
    let builtin = matches!(expected_kind, "Issuer" | "ClusterIssuer");
    let same = kind == expected_kind && name == expected.name && (!builtin || group == CERT_MANAGER_GROUP);
    let actual = describe_issuer(kind, name);
    if same {
        return Ok(actual);
    }
    let group_note = if group == CERT_MANAGER_GROUP { String::new() } else { format!(" (group {group})") };
    Err(format!("uses {actual}{group_note}, expected {}", describe_issuer(expected_kind, &expected.name)))
}

enum Acme {
    Yes(String),
    No(String),
    Unreadable(String),
    NotInManifests(String),
}

/// The referenced Issuer (same namespace) or ClusterIssuer has `spec.acme`.
fn acme(certificate: &Object, scope: &Scope<'_>) -> Acme {
    let (group, kind, name) = issuer_ref(certificate);
    let issuer = describe_issuer(kind, name);
    let kind_key = match (group, kind) {
        (CERT_MANAGER_GROUP, "Issuer") => kinds::ISSUER,
        (CERT_MANAGER_GROUP, "ClusterIssuer") => kinds::CLUSTER_ISSUER,
        _ => return Acme::No(format!("uses external issuer {issuer} (group {group}), not an ACME Issuer")),
    };
    if let Some(reason) = scope.facts.unavailable_kinds.get(kind_key) {
        return Acme::Unreadable(format!("cannot read {kind_key}: {reason}"));
    }
    let namespace = (kind_key == kinds::ISSUER).then_some(certificate.namespace.as_deref()).flatten();
    let Some(object) = scope.inventory.get(kind_key, namespace, name) else {
        return match scope.facts.mode {
            Mode::Offline => Acme::NotInManifests(issuer),
            Mode::Live => Acme::No(format!("references {issuer}, which does not exist")),
        };
    };
    match object.get("/spec").and_then(Value::as_object) {
        Some(spec) if spec.contains_key("acme") => Acme::Yes(issuer),
        Some(spec) => {
            let actual = ["ca", "selfSigned", "vault", "venafi"].into_iter().find(|k| spec.contains_key(*k));
            Acme::No(format!("uses {issuer}, which is not ACME ({})", actual.unwrap_or("unknown type")))
        }
        None => Acme::No(format!("uses {issuer}, which has no spec")),
    }
}

#[cfg(test)]
mod tests;
