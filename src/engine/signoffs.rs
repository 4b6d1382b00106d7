//! Matching ReadinessSignoffs to items: who may approve or waive, for which release, until when.

use jiff::Timestamp;

use crate::api::{ItemState, ManualCheck, Principals, ReadinessSignoffSpec, SignoffAction};
use crate::checks::Outcome;
use crate::inventory::{Inventory, kinds};

/// A sign-off that could count: its spec and when it was made.
struct Candidate {
    name: String,
    spec: ReadinessSignoffSpec,
    created: Option<Timestamp>,
}

/// The sign-offs of one checklist that are for its release and not expired. Identity binding
/// (signer == requesting user) is the admission webhook's job; here `spec.signer` is trusted.
pub(super) struct SignoffSet {
    candidates: Vec<Candidate>,
    now: Timestamp,
}

impl SignoffSet {
    pub(super) fn collect(
        inventory: &Inventory,
        namespace: &str,
        checklist: &str,
        release: Option<&str>,
        now: Timestamp,
    ) -> Self {
        let candidates = inventory
            .in_namespace(kinds::SIGNOFF, Some(namespace))
            .filter_map(|object| {
                let spec: ReadinessSignoffSpec = serde_json::from_value(object.get("/spec")?.clone()).ok()?;
                let created = object.str_at("/metadata/creationTimestamp").and_then(|t| t.parse::<Timestamp>().ok());
                Some(Candidate { name: object.name.clone(), spec, created })
            })
            .filter(|c| c.spec.checklist == checklist)
            .filter(|c| c.spec.release.as_deref() == release)
            .filter(|c| c.spec.expires_at.as_ref().is_none_or(|t| t.0 > now))
            .collect();
        SignoffSet { candidates, now }
    }

    /// A manual item: Passed by the first (by name) valid approval, else Pending.
    pub(super) fn approval(&self, item: &str, manual: &ManualCheck) -> Outcome {
        let mut rejected = Vec::new();
        for c in self.for_item(item, SignoffAction::Approve) {
            if !manual.approvers.admits(&c.spec.signer.username, &c.spec.signer.groups) {
                rejected.push(format!("{} by {} (not an approver)", c.name, c.spec.signer.username));
                continue;
            }
            if let Some(valid_for) = &manual.valid_for {
                let fresh = c.created.is_some_and(|t| self.now.duration_since(t) <= valid_for.as_span());
                if !fresh {
                    rejected.push(format!("{} by {} (older than {valid_for})", c.name, c.spec.signer.username));
                    continue;
                }
            }
            return Outcome::passed(format!(
                "approved by {} (readinesssignoff/{}): {}",
                c.spec.signer.username, c.name, c.spec.reason
            ));
        }
        let wanted = describe_principals(&manual.approvers);
        let mut message = format!("awaiting sign-off by {wanted}");
        if !rejected.is_empty() {
            message.push_str(&format!("; not counted: {}", rejected.join(", ")));
        }
        Outcome::new(ItemState::Pending, message)
    }

    /// A waiver by someone the item's `waivableBy` admits turns a non-passing item Waived.
    pub(super) fn waiver(&self, item: &str, waivable_by: Option<&Principals>) -> Option<Outcome> {
        let allowed = waivable_by?;
        self.for_item(item, SignoffAction::Waive)
            .find(|c| allowed.admits(&c.spec.signer.username, &c.spec.signer.groups))
            .map(|c| {
                Outcome::new(
                    ItemState::Waived,
                    format!("waived by {} (readinesssignoff/{}): {}", c.spec.signer.username, c.name, c.spec.reason),
                )
            })
    }

    fn for_item<'a>(&'a self, item: &'a str, action: SignoffAction) -> impl Iterator<Item = &'a Candidate> + 'a {
        self.candidates.iter().filter(move |c| c.spec.item == item && c.spec.action == action)
    }
}

fn describe_principals(p: &Principals) -> String {
    let mut parts: Vec<String> = p.users.iter().map(|u| format!("user {u}")).collect();
    parts.extend(p.groups.iter().map(|g| format!("group {g}")));
    if parts.is_empty() { "nobody (no approvers listed)".to_owned() } else { parts.join(" or ") }
}
