//! `certificate`: cert-manager Certificates (`cert-manager.io/v1`) that are Ready, stay valid
//! long enough, renew early, and come from the expected (ACME) issuer.
//!
//! Which Certificates: `names` (each must exist), or `selector`, or every Certificate of the
//! namespace. Ready is always required: the `Ready` condition is `"True"` and not older than the
//! spec (`observedGeneration` vs `metadata.generation`). Spec parts (issuer, renewBefore, ACME)
//! are provable from manifests; status parts (Ready, remaining validity) are not: offline,
//! without a `status`, they are Skipped with what was verified, unless a spec part fails.

use std::sync::Arc;

use super::findings::Findings;
use super::schedule::format_secs;
use super::{Mode, Outcome, Scope};
use crate::api::{CertificateCheck, IssuerRef};
use crate::inventory::view::certificate::CertificateStatus;
use crate::inventory::view::{CertificateView, IssuerView, ViewError};
use crate::inventory::{kinds, selector};

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
        match certificate {
            Ok(certificate) => judge(&certificate, spec, scope, &mut findings),
            Err(unreadable) => findings.error(unreadable.to_string()),
        }
    }
    findings.into_outcome()
}

/// The Certificates the item judges, each read into its view (or why it could not be).
type Selected = Vec<Result<Arc<CertificateView>, ViewError>>;

fn select_certificates(
    spec: &CertificateCheck,
    scope: &Scope<'_>,
    findings: &mut Findings,
) -> Result<Selected, Outcome> {
    let namespace = scope.namespace;
    let in_namespace = || scope.inventory.views_in::<CertificateView>(kinds::CERTIFICATE, Some(namespace));
    match (spec.names.is_empty(), &spec.selector) {
        (false, Some(_)) => Err(Outcome::error("give either names or selector, not both")),
        (false, None) => {
            let mut found = Vec::new();
            let mut missing = Vec::new();
            for name in &spec.names {
                match scope.inventory.view(kinds::CERTIFICATE, Some(namespace), name) {
                    Some(certificate) => found.push(certificate),
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
            // An unreadable Certificate is kept, to be reported: whether it matches is unknown.
            let found: Selected = in_namespace()
                .filter(|c| c.as_ref().map_or(true, |c| selector::matches_lenient(s, &c.metadata.labels)))
                .collect();
            if found.is_empty() {
                return Err(Outcome::failed(format!(
                    "no Certificate matches {} in namespace {namespace}",
                    selector::describe(s)
                )));
            }
            Ok(found)
        }
        (true, None) => {
            let found: Selected = in_namespace().collect();
            if found.is_empty() {
                return Err(Outcome::failed(format!("no Certificate in namespace {namespace}")));
            }
            Ok(found)
        }
    }
}

fn judge(certificate: &CertificateView, spec: &CertificateCheck, scope: &Scope<'_>, findings: &mut Findings) {
    let reference = certificate.reference();
    let mut verified = Vec::new();
    let mut unprovable = Vec::new();
    if let Some(status) = &certificate.status {
        match ready(certificate, status) {
            Ok(()) => verified.push("Ready".to_owned()),
            Err(problem) => findings.fail(format!("{reference} {problem}")),
        }
        if let Some(min) = &spec.min_remaining_validity {
            match remaining_validity(status, min, scope.now) {
                Ok(left) => verified.push(left),
                Err(problem) => findings.fail(format!("{reference} {problem}")),
            }
        }
    } else if scope.facts.mode == Mode::Offline {
        unprovable.push("Ready");
        if spec.min_remaining_validity.is_some() {
            unprovable.push("remaining validity");
        }
    } else {
        findings.fail(format!("{reference} is not issued yet (no status)"));
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
fn ready(certificate: &CertificateView, status: &CertificateStatus) -> Result<(), String> {
    let Some(condition) = status.ready() else {
        return Err("has no Ready condition".to_owned());
    };
    let text = |field: &Option<String>| field.as_deref().unwrap_or_default().to_owned();
    if condition.status.as_deref() != Some("True") {
        let mut why = format!("{}: {}", text(&condition.reason), text(&condition.message));
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
    if let (Some(observed), Some(generation)) = (condition.observed_generation, certificate.metadata.generation)
        && observed < generation
    {
        return Err(format!("Ready condition is stale (observedGeneration {observed}, generation {generation})"));
    }
    Ok(())
}

fn remaining_validity(
    status: &CertificateStatus,
    min: &crate::api::Duration,
    now: jiff::Timestamp,
) -> Result<String, String> {
    let Some(text) = status.not_after.as_deref() else {
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
fn renew_before(certificate: &CertificateView) -> Result<String, String> {
    let spec = &certificate.spec;
    if let Some(before) = spec.renew_before.as_deref().filter(|s| !s.is_empty()) {
        return Ok(format!("renewBefore {before}"));
    }
    if let Some(percentage) = &spec.renew_before_percentage {
        return Ok(format!("renewBeforePercentage {percentage}%"));
    }
    Err("sets neither renewBefore nor renewBeforePercentage".to_owned())
}

/// The Certificate's `issuerRef` as (group, kind, name), with cert-manager's defaults.
fn issuer_ref(certificate: &CertificateView) -> (&str, &str, &str) {
    fn given(field: &Option<String>) -> Option<&str> {
        field.as_deref().filter(|s| !s.is_empty())
    }
    let reference = &certificate.spec.issuer_ref;
    (
        given(&reference.group).unwrap_or(CERT_MANAGER_GROUP),
        given(&reference.kind).unwrap_or("Issuer"),
        given(&reference.name).unwrap_or_default(),
    )
}

fn describe_issuer(kind: &str, name: &str) -> String {
    format!("{}/{name}", kind.to_ascii_lowercase())
}

/// Kind (default `Issuer`) and name must match; for cert-manager's own kinds the group must be
/// cert-manager.io too (an external issuer may reuse the kind name in its own group). Kinds of
/// external issuers are compared by kind and name only: the check cannot name a group.
fn issuer_matches(certificate: &CertificateView, expected: &IssuerRef) -> Result<String, String> {
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
fn acme(certificate: &CertificateView, scope: &Scope<'_>) -> Acme {
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
    // Certificates are read from the checklist's namespace only, so theirs is the scope's.
    let namespace = (kind_key == kinds::ISSUER).then_some(scope.namespace);
    let found = match scope.inventory.view::<IssuerView>(kind_key, namespace, name) {
        Some(Ok(found)) => found,
        Some(Err(unreadable)) => return Acme::Unreadable(unreadable.to_string()),
        None => {
            return match scope.facts.mode {
                Mode::Offline => Acme::NotInManifests(issuer),
                Mode::Live => Acme::No(format!("references {issuer}, which does not exist")),
            };
        }
    };
    match found.spec.as_ref().map(|spec| spec.issuer_type()) {
        Some(Some("acme")) => Acme::Yes(issuer),
        Some(other) => Acme::No(format!("uses {issuer}, which is not ACME ({})", other.unwrap_or("unknown type"))),
        None => Acme::No(format!("uses {issuer}, which has no spec")),
    }
}

#[cfg(test)]
mod tests;
