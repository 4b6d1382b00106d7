//! Matching ReadinessSignoffs to items: who may approve or waive, for which release, until when.

use jiff::Timestamp;

use crate::api::{ItemState, ManualCheck, Principals, ReadinessSignoffSpec, SignoffAction};
use crate::checks::Outcome;
use crate::engine::SignoffRecord;
use crate::inventory::{Inventory, kinds};

/// A sign-off of the checklist: its spec, when it was made, and why it cannot count at all
/// (another release, expired), which a pending item's message repeats.
struct Candidate {
    name: String,
    spec: ReadinessSignoffSpec,
    created: Option<Timestamp>,
    void: Option<String>,
}

/// The sign-offs of one checklist; only those for its release and not expired count. Identity
/// binding (signer == requesting user) is the admission webhook's job; here `spec.signer` is
/// trusted.
pub(super) struct SignoffSet {
    candidates: Vec<Candidate>,
    now: Timestamp,
}

impl SignoffSet {
    /// No sign-offs: for a checklist none of whose items can use one.
    pub(super) fn empty(now: Timestamp) -> Self {
        SignoffSet { candidates: Vec::new(), now }
    }

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
                let void = if spec.release.as_deref() != release {
                    Some(format!("for release {}", spec.release.as_deref().unwrap_or("<none>")))
                } else {
                    spec.expires_at.as_ref().filter(|t| t.0 <= now).map(|t| format!("expired at {}", t.0))
                };
                Some(Candidate { name: object.name.clone(), spec, created, void })
            })
            .filter(|c| c.spec.checklist == checklist)
            .collect();
        SignoffSet { candidates, now }
    }

    /// A manual item: Passed by the first (by name) valid approval, else Pending; with the
    /// approval that counted.
    pub(super) fn approval(&self, item: &str, manual: &ManualCheck) -> (Outcome, Option<SignoffRecord>) {
        let mut rejected = Vec::new();
        for c in self.for_item(item, SignoffAction::Approve) {
            if let Some(void) = &c.void {
                rejected.push(format!("{} by {} ({void})", c.name, c.spec.signer.username));
                continue;
            }
            if !manual.approvers.admits(&c.spec.signer.username, &c.spec.signer.groups) {
                rejected.push(format!("{} by {} (not an approver)", c.name, c.spec.signer.username));
                continue;
            }
            if let Some(valid_for) = &manual.valid_for {
                let stale = match c.created {
                    Some(t) if self.now.duration_since(t) <= valid_for.as_span() => None,
                    Some(_) => Some(format!("older than {valid_for}")),
                    // Offline manifests carry no creationTimestamp: the API server sets it.
                    None => Some(format!("no creationTimestamp to hold against validFor {valid_for}")),
                };
                if let Some(stale) = stale {
                    rejected.push(format!("{} by {} ({stale})", c.name, c.spec.signer.username));
                    continue;
                }
            }
            let outcome = Outcome::passed(format!(
                "approved by {} (readinesssignoff/{}): {}",
                c.spec.signer.username, c.name, c.spec.reason
            ));
            return (outcome, Some(c.record()));
        }
        let wanted = describe_principals(&manual.approvers);
        let mut message = format!("awaiting sign-off by {wanted}");
        if !rejected.is_empty() {
            message.push_str(&format!("; not counted: {}", rejected.join(", ")));
        }
        (Outcome::new(ItemState::Pending, message), None)
    }

    /// A waiver by someone the item's `waivableBy` admits turns a non-passing item Waived; with
    /// the waiver that counted.
    pub(super) fn waiver(&self, item: &str, waivable_by: Option<&Principals>) -> Option<(Outcome, SignoffRecord)> {
        let allowed = waivable_by?;
        self.for_item(item, SignoffAction::Waive)
            .filter(|c| c.void.is_none())
            .find(|c| allowed.admits(&c.spec.signer.username, &c.spec.signer.groups))
            .map(|c| {
                let outcome = Outcome::new(
                    ItemState::Waived,
                    format!("waived by {} (readinesssignoff/{}): {}", c.spec.signer.username, c.name, c.spec.reason),
                );
                (outcome, c.record())
            })
    }

    fn for_item<'a>(&'a self, item: &'a str, action: SignoffAction) -> impl Iterator<Item = &'a Candidate> + 'a {
        self.candidates.iter().filter(move |c| c.spec.item == item && c.spec.action == action)
    }
}

impl Candidate {
    fn record(&self) -> SignoffRecord {
        SignoffRecord {
            object: self.name.clone(),
            item: self.spec.item.clone(),
            action: self.spec.action,
            signer: self.spec.signer.username.clone(),
            reason: self.spec.reason.clone(),
            signed_at: self.created,
            expires_at: self.spec.expires_at.as_ref().map(|t| t.0),
        }
    }
}

fn describe_principals(p: &Principals) -> String {
    let mut parts: Vec<String> = p.users.iter().map(|u| format!("user {u}")).collect();
    parts.extend(p.groups.iter().map(|g| format!("group {g}")));
    if parts.is_empty() { "nobody (no approvers listed)".to_owned() } else { parts.join(" or ") }
}
