//! Kubernetes Events on a checklist when its decision or an item's state changes. Planned by
//! comparing the new status with the one stored on the object (not with process memory), so a
//! restarted controller does not repeat what was already announced.

use kube::Resource;
use kube::runtime::events::{Event, EventType, Recorder};

use crate::api::{Decision, ItemState, ReadinessChecklist, ReadinessChecklistStatus};

/// At most this many item Events per evaluation; a mass flip (a namespace deleted) is summed up
/// by the decision Event instead of flooding the API.
pub const MAX_ITEM_EVENTS: usize = 10;
/// Event notes are limited to 1 KiB by the API.
const MAX_NOTE_BYTES: usize = 1024;

/// One Event to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub warning: bool,
    pub reason: String,
    pub note: String,
}

/// The Events that announce the change from `previous` to `next`. Nothing before the first
/// stored status except the first decision; nothing when nothing changed.
pub fn plan(previous: Option<&ReadinessChecklistStatus>, next: &ReadinessChecklistStatus) -> Vec<Planned> {
    let mut planned = Vec::new();
    let before = previous.map_or(Decision::Unknown, |p| p.decision);
    let first = previous.is_none_or(|p| p.last_evaluation_time.is_none());
    if next.decision != before || (first && next.decision != Decision::Unknown) {
        let mut note = format!("decision {} -> {}", before.as_str(), next.decision.as_str());
        if !next.blocking.is_empty() {
            note.push_str(&format!("; blocking: {}", next.blocking.join(", ")));
        }
        planned.push(Planned {
            warning: next.decision != Decision::Go,
            reason: format!("Decision{}", next.decision.as_str()),
            note: bound(note),
        });
    }
    let Some(previous) = previous.filter(|_| !first) else { return planned };
    let changed: Vec<Planned> = next
        .items
        .iter()
        .filter_map(|item| {
            let old = previous.items.iter().find(|i| i.name == item.name)?;
            (old.state != item.state).then(|| Planned {
                warning: matches!(item.state, ItemState::Failed | ItemState::Error),
                reason: format!("Item{}", item.state.as_str()),
                note: bound(format!(
                    "item {}: {} -> {}: {}",
                    item.name,
                    old.state.as_str(),
                    item.state.as_str(),
                    item.message
                )),
            })
        })
        .collect();
    let total = changed.len();
    planned.extend(changed.into_iter().take(MAX_ITEM_EVENTS));
    if total > MAX_ITEM_EVENTS {
        planned.push(Planned {
            warning: false,
            reason: "ItemsChanged".to_owned(),
            note: format!("{} more items changed state; see status.items", total - MAX_ITEM_EVENTS),
        });
    }
    planned
}

fn bound(note: String) -> String {
    if note.len() <= MAX_NOTE_BYTES {
        return note;
    }
    crate::engine::bound_message(note)
}

/// Publishes `planned` Events on `checklist`; failures are logged, never fatal (the status is
/// the record, Events are the notification).
pub async fn publish(recorder: &Recorder, checklist: &ReadinessChecklist, planned: &[Planned]) -> usize {
    let reference = checklist.object_ref(&());
    let mut published = 0;
    for p in planned {
        let event = Event {
            type_: if p.warning { EventType::Warning } else { EventType::Normal },
            reason: p.reason.clone(),
            note: Some(p.note.clone()),
            action: "Evaluate".to_owned(),
            secondary: None,
        };
        match recorder.publish(&event, &reference).await {
            Ok(()) => published += 1,
            Err(error) => tracing::warn!(%error, reason = %p.reason, "publishing an Event failed"),
        }
    }
    published
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;
    use crate::api::{ItemStatus, Severity};

    fn status(decision: Decision, items: &[(&str, ItemState)]) -> ReadinessChecklistStatus {
        ReadinessChecklistStatus {
            decision,
            last_evaluation_time: Some(Time(jiff::Timestamp::UNIX_EPOCH)),
            items: items
                .iter()
                .map(|(name, state)| ItemStatus {
                    name: (*name).to_owned(),
                    state: *state,
                    severity: Severity::Critical,
                    message: format!("{name} is {}", state.as_str()),
                    last_transition_time: None,
                })
                .collect(),
            blocking: items.iter().filter(|(_, s)| !s.is_satisfied()).map(|(n, _)| (*n).to_owned()).collect(),
            ..ReadinessChecklistStatus::default()
        }
    }

    #[test]
    fn a_flip_announces_the_decision_and_the_item() {
        let before = status(Decision::Go, &[("autoscaling", ItemState::Passed)]);
        let after = status(Decision::NoGo, &[("autoscaling", ItemState::Failed)]);
        let planned = plan(Some(&before), &after);
        assert_eq!(planned.len(), 2);
        assert_eq!(planned[0].reason, "DecisionNoGo");
        assert_eq!(planned[0].note, "decision Go -> NoGo; blocking: autoscaling");
        assert!(planned[0].warning);
        assert_eq!(planned[1].reason, "ItemFailed");
        assert_eq!(planned[1].note, "item autoscaling: Passed -> Failed: autoscaling is Failed");
    }

    #[test]
    fn an_unchanged_status_announces_nothing() {
        let s = status(Decision::Go, &[("autoscaling", ItemState::Passed)]);
        assert!(plan(Some(&s), &s.clone()).is_empty());
    }

    #[test]
    fn the_first_evaluation_announces_only_the_decision() {
        let after = status(Decision::NoGo, &[("a", ItemState::Failed), ("b", ItemState::Pending)]);
        let planned = plan(None, &after);
        assert_eq!(planned.iter().map(|p| p.reason.as_str()).collect::<Vec<_>>(), ["DecisionNoGo"]);
    }

    #[test]
    fn mass_flips_are_summarized() {
        let names: Vec<String> = (0..15).map(|i| format!("item-{i}")).collect();
        let before: Vec<(&str, ItemState)> = names.iter().map(|n| (n.as_str(), ItemState::Passed)).collect();
        let after: Vec<(&str, ItemState)> = names.iter().map(|n| (n.as_str(), ItemState::Error)).collect();
        let planned = plan(Some(&status(Decision::Go, &before)), &status(Decision::Unknown, &after));
        assert_eq!(planned.len(), 1 + MAX_ITEM_EVENTS + 1);
        assert_eq!(planned.last().map(|p| p.note.as_str()), Some("5 more items changed state; see status.items"));
    }
}
