//! Matching ReadinessSignoffs to items: who may approve or waive, for which release, until when.

use jiff::Timestamp;

use super::signoff_rules;
use crate::api::{ChecklistItem, ItemState, ManualCheck, Principals, ReadinessSignoffSpec, SignoffAction};
use crate::checks::Outcome;
use crate::engine::SignoffRecord;
use crate::inventory::view::SignoffView;
use crate::inventory::{Inventory, kinds};

/// A sign-off of the checklist: its spec and when it was made.
struct Candidate {
    name: String,
    spec: ReadinessSignoffSpec,
    created: Option<Timestamp>,
}

/// What the waivers of an item come to.
pub(super) enum WaiverOutcome {
    /// One counts: the item is Waived.
    Counted(Outcome, SignoffRecord),
    /// Some exist, none counts: why, one `NAME by SIGNER (reason)` each.
    Ignored(Vec<String>),
    /// None exists.
    None,
}

/// The sign-offs of one checklist. Whether one counts is [`signoff_rules::problems`], the rule
/// the webhook and the CLI share; identity binding (signer == requesting user) is the admission
/// webhook's job, here `spec.signer` is trusted.
pub(super) struct SignoffSet {
    candidates: Vec<Candidate>,
    release: Option<String>,
    now: Timestamp,
}

impl SignoffSet {
    /// No sign-offs: for a checklist none of whose items can use one.
    pub(super) fn empty(now: Timestamp) -> Self {
        SignoffSet { candidates: Vec::new(), release: None, now }
    }

    pub(super) fn collect(
        inventory: &Inventory,
        namespace: &str,
        checklist: &str,
        release: Option<&str>,
        now: Timestamp,
    ) -> Self {
        // A sign-off whose spec cannot be read never counts (the webhook refuses one; offline
        // manifests may hold one), and neither does one whose view cannot be read at all.
        let candidates = inventory
            .views_in::<SignoffView>(kinds::SIGNOFF, Some(namespace))
            .filter_map(|view| {
                let view = view.ok()?;
                let spec = view.spec.clone()?;
                Some(Candidate { name: view.metadata.name.clone(), spec, created: view.metadata.creation_timestamp })
            })
            .filter(|c| c.spec.checklist == checklist)
            .collect();
        SignoffSet { candidates, release: release.map(str::to_owned), now }
    }

    /// Why `c` does not count for `item` now (the first reason), or `None` when it counts.
    fn not_counted(&self, item: &ChecklistItem, c: &Candidate) -> Option<String> {
        signoff_rules::problems(self.release.as_deref(), item, &c.spec, c.created, self.now)
            .into_iter()
            .next()
            .map(|reason| format!("{} by {} ({reason})", c.name, c.spec.signer.username))
    }

    /// A manual item: Passed by the first (by name) valid approval, else Pending; with the
    /// approval that counted.
    pub(super) fn approval(&self, item: &ChecklistItem, manual: &ManualCheck) -> (Outcome, Option<SignoffRecord>) {
        let mut rejected = Vec::new();
        for c in self.for_item(&item.name, SignoffAction::Approve) {
            if let Some(why) = self.not_counted(item, c) {
                rejected.push(why);
                continue;
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

    /// The first (by name) waiver that counts turns a non-passing item Waived; otherwise the
    /// waivers that exist and why each does not count, for the item's message.
    pub(super) fn waiver(&self, item: &ChecklistItem) -> WaiverOutcome {
        let mut rejected = Vec::new();
        for c in self.for_item(&item.name, SignoffAction::Waive) {
            if let Some(why) = self.not_counted(item, c) {
                rejected.push(why);
                continue;
            }
            let outcome = Outcome::new(
                ItemState::Waived,
                format!("waived by {} (readinesssignoff/{}): {}", c.spec.signer.username, c.name, c.spec.reason),
            );
            return WaiverOutcome::Counted(outcome, c.record());
        }
        if rejected.is_empty() { WaiverOutcome::None } else { WaiverOutcome::Ignored(rejected) }
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
