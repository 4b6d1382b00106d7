//! Whether a ReadinessSignoff counts for an item at a given time: the one rule the controller,
//! `readygate check` and the `/validate/signoffs` webhook all apply (the webhook at the time of
//! the request, to refuse a sign-off that would not count).

use std::fmt;

use jiff::Timestamp;

use crate::api::{Check, ChecklistItem, Duration, ReadinessSignoffSpec, SignoffAction};

/// Why a sign-off does not count. In the order they are checked; messages show the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotCounted {
    /// Made for another `spec.release` than the checklist's.
    OtherRelease { signed: Option<String>, checklist: Option<String> },
    /// `expiresAt` is not later than the time asked about.
    Expired(Timestamp),
    /// `Approve` of an item that is not manual.
    ApproveNotManual { check: &'static str },
    /// `Waive` of a manual item: approvals are personal.
    ManualNotWaivable,
    /// `Waive` of an item without `waivableBy`.
    NotWaivable,
    /// The signer is not among the manual item's approvers.
    NotApprover,
    /// The signer is not in the item's `waivableBy`.
    NotAllowedToWaive,
    /// An approval made longer than `validFor` ago.
    OlderThan(Duration),
    /// `validFor` or `maxValidity` needs the creation time, and the object has none (offline
    /// manifests: the API server sets it).
    NoCreationTime { rule: &'static str, limit: Duration },
    /// A waiver without `expiresAt` of an item with `waiver.maxValidity`.
    NoExpiry { max_validity: Duration },
    /// A waiver whose `expiresAt` is later than `maxValidity` after its creation.
    ExpiresTooLate { expires: Timestamp, limit: Timestamp, max_validity: Duration },
    /// A waiver without `ticket` of an item with `waiver.requireTicket`.
    NoTicket,
}

impl fmt::Display for NotCounted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotCounted::OtherRelease { signed, .. } => {
                write!(f, "for release {}", signed.as_deref().unwrap_or("<none>"))
            }
            NotCounted::Expired(at) => write!(f, "expired at {at}"),
            NotCounted::ApproveNotManual { check } => write!(f, "Approve of a {check} check, not a manual item"),
            NotCounted::ManualNotWaivable => f.write_str("manual items cannot be waived: approvals are personal"),
            NotCounted::NotWaivable => f.write_str("the item has no waivableBy"),
            NotCounted::NotApprover => f.write_str("not an approver"),
            NotCounted::NotAllowedToWaive => f.write_str("not in waivableBy"),
            NotCounted::OlderThan(valid_for) => write!(f, "older than {valid_for}"),
            NotCounted::NoCreationTime { rule, limit } => {
                write!(f, "no creationTimestamp to hold against {rule} {limit}")
            }
            NotCounted::NoExpiry { max_validity } => {
                write!(f, "no expiresAt; waivers of this item must expire within {max_validity} (waiver.maxValidity)")
            }
            NotCounted::ExpiresTooLate { expires, limit, max_validity } => write!(
                f,
                "expiresAt {expires} is later than {limit}, {max_validity} after creation (waiver.maxValidity)"
            ),
            NotCounted::NoTicket => f.write_str("no ticket; waivers of this item must name one (waiver.requireTicket)"),
        }
    }
}

/// Every reason `signoff` (created at `created`, if known) does not count for `item` of a
/// checklist for `release`, at `at`. Empty: it counts. Identity (signer == creator) is the
/// webhook's own check; here `spec.signer` is trusted.
pub fn problems(
    release: Option<&str>,
    item: &ChecklistItem,
    signoff: &ReadinessSignoffSpec,
    created: Option<Timestamp>,
    at: Timestamp,
) -> Vec<NotCounted> {
    let mut found = Vec::new();
    if signoff.release.as_deref() != release {
        found.push(NotCounted::OtherRelease { signed: signoff.release.clone(), checklist: release.map(str::to_owned) });
    }
    if let Some(expires) = signoff.expires_at.as_ref().filter(|t| t.0 <= at) {
        found.push(NotCounted::Expired(expires.0));
    }
    let signer = &signoff.signer;
    match (signoff.action, &item.check) {
        (SignoffAction::Approve, Check::Manual(manual)) => {
            if !manual.approvers.admits(&signer.username, &signer.groups) {
                found.push(NotCounted::NotApprover);
            }
            if let Some(valid_for) = &manual.valid_for {
                match created {
                    Some(t) if at.duration_since(t) <= valid_for.as_span() => {}
                    Some(_) => found.push(NotCounted::OlderThan(valid_for.clone())),
                    None => found.push(NotCounted::NoCreationTime { rule: "validFor", limit: valid_for.clone() }),
                }
            }
        }
        (SignoffAction::Approve, check) => found.push(NotCounted::ApproveNotManual { check: check.key() }),
        (SignoffAction::Waive, check) => match &item.waivable_by {
            None => found.push(NotCounted::NotWaivable),
            // Validation refuses waivableBy on a manual item; an object that slipped past it
            // still gets no waiver.
            Some(_) if matches!(check, Check::Manual(_)) => found.push(NotCounted::ManualNotWaivable),
            Some(allowed) => {
                if !allowed.admits(&signer.username, &signer.groups) {
                    found.push(NotCounted::NotAllowedToWaive);
                }
                found.extend(waiver_policy_problems(item, signoff, created));
            }
        },
    }
    found
}

/// Whether `signoff` counts for `item` at `at`: [`problems`] finds none.
pub fn counts(
    release: Option<&str>,
    item: &ChecklistItem,
    signoff: &ReadinessSignoffSpec,
    created: Option<Timestamp>,
    at: Timestamp,
) -> bool {
    problems(release, item, signoff, created, at).is_empty()
}

fn waiver_policy_problems(
    item: &ChecklistItem,
    signoff: &ReadinessSignoffSpec,
    created: Option<Timestamp>,
) -> Vec<NotCounted> {
    let Some(policy) = &item.waiver else { return Vec::new() };
    let mut found = Vec::new();
    if let Some(max_validity) = &policy.max_validity {
        match (&signoff.expires_at, created) {
            (None, _) => found.push(NotCounted::NoExpiry { max_validity: max_validity.clone() }),
            (Some(_), None) => {
                found.push(NotCounted::NoCreationTime { rule: "waiver.maxValidity", limit: max_validity.clone() })
            }
            (Some(expires), Some(created)) => {
                let limit = created.checked_add(max_validity.as_span()).unwrap_or(Timestamp::MAX);
                if expires.0 > limit {
                    found.push(NotCounted::ExpiresTooLate {
                        expires: expires.0,
                        limit,
                        max_validity: max_validity.clone(),
                    });
                }
            }
        }
    }
    if policy.require_ticket && signoff.ticket.as_deref().is_none_or(|t| t.trim().is_empty()) {
        found.push(NotCounted::NoTicket);
    }
    found
}
