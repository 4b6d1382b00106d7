//! The time-and-governance parts of `status`: what the gate's windows and soak time mean for
//! admission (`status.admission`), and which counted waivers expire soon
//! (`status.expiringWaivers` and the `WaiverExpiringSoon` condition). Added to the status
//! [`super::next_status`] builds, so the checklist's own decision and conditions stay as
//! api.md defines them.

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::admission::{self, WindowSpan};
use super::{Evaluation, condition};
use crate::api::{
    AdmissionStatus, ExpiringWaiver, ReadinessChecklist, ReadinessChecklistStatus, SignoffAction, WindowStatus,
};

/// Condition type raised while a counted waiver expires within the lead time.
pub const CONDITION_WAIVER_EXPIRING: &str = "WaiverExpiringSoon";
/// Default lead time for [`CONDITION_WAIVER_EXPIRING`] (`readygate run --waiver-expiry-lead-time`).
pub const DEFAULT_WAIVER_LEAD_TIME: std::time::Duration = std::time::Duration::from_secs(72 * 3600);

/// Adds `status.admission`, `status.expiringWaivers` and the waiver condition to `status`, the
/// status just built from `evaluation` at `now`. Returns the next instant these change by the
/// clock alone (a window opens or closes, the soak ends, a waiver enters the lead time or
/// expires), so the controller evaluates again then.
pub fn annotate(
    checklist: &ReadinessChecklist,
    evaluation: &Evaluation,
    status: &mut ReadinessChecklistStatus,
    previous: Option<&ReadinessChecklistStatus>,
    lead_time: std::time::Duration,
    now: Timestamp,
) -> Option<Timestamp> {
    let mut changes = Vec::new();
    status.admission = checklist.spec.gate.as_ref().filter(|g| admission::has_time_rules(g)).map(|gate| {
        let go_since = admission::go_since(status.decision, &status.history);
        let answer = admission::gate_admission(gate, status.decision, go_since, now);
        changes.extend(answer.next_change);
        let (allowed, reason, message) = match &answer.hold {
            Some(hold) => (false, hold.reason().to_owned(), hold.message_without_clock()),
            None => (
                status.decision == crate::api::Decision::Go,
                status.decision.as_str().to_owned(),
                format!("no window or soak time holds admission back; the decision is {}", status.decision.as_str()),
            ),
        };
        AdmissionStatus {
            allowed,
            reason,
            message: super::bound_message(message),
            active_window: answer.active.as_ref().map(window_status),
            next_window: answer.next.as_ref().map(window_status),
            go_since: answer.go_since.map(Time),
            soaked_at: answer.soaked_at.map(Time),
        }
    });

    let lead = SignedDuration::try_from(lead_time).unwrap_or(SignedDuration::MAX);
    let mut expiring: Vec<ExpiringWaiver> = Vec::new();
    for waiver in evaluation.signoffs.iter().filter(|s| s.action == SignoffAction::Waive) {
        let Some(expires) = waiver.expires_at else { continue };
        if expires <= now {
            continue;
        }
        changes.push(expires);
        match expires.checked_sub(lead) {
            Ok(enters) if enters > now => changes.push(enters),
            _ => expiring.push(ExpiringWaiver {
                item: waiver.item.clone(),
                signoff: waiver.object.clone(),
                expires_at: Time(expires),
            }),
        }
    }
    expiring.sort_by(|a, b| a.expires_at.0.cmp(&b.expires_at.0).then_with(|| a.item.cmp(&b.item)));
    let had_condition = previous.is_some_and(|p| p.conditions.iter().any(|c| c.type_ == CONDITION_WAIVER_EXPIRING));
    if !expiring.is_empty() || had_condition {
        let before = previous.map(|p| p.conditions.as_slice()).unwrap_or_default();
        let now_time = Time(now);
        let generation = status.observed_generation;
        let waiver_condition = if expiring.is_empty() {
            condition(
                before,
                CONDITION_WAIVER_EXPIRING,
                "False",
                "NoneExpiring",
                "no waiver expires soon",
                generation,
                &now_time,
            )
        } else {
            let listed: Vec<String> = expiring
                .iter()
                .map(|w| format!("item {} (readinesssignoff/{}) at {}", w.item, w.signoff, w.expires_at.0))
                .collect();
            let message = format!(
                "{} waiver(s) expire within {}: {}",
                expiring.len(),
                crate::checks::schedule::format_secs(lead.as_secs()),
                listed.join(", ")
            );
            condition(
                before,
                CONDITION_WAIVER_EXPIRING,
                "True",
                "Expiring",
                &super::bound_message(message),
                generation,
                &now_time,
            )
        };
        status.conditions.retain(|c| c.type_ != CONDITION_WAIVER_EXPIRING);
        status.conditions.push(waiver_condition);
    }
    status.expiring_waivers = expiring;
    changes.into_iter().filter(|t| *t > now).min()
}

fn window_status(span: &WindowSpan) -> WindowStatus {
    WindowStatus {
        name: span.name.clone(),
        kind: span.kind,
        start: Time(span.start),
        end: Time(span.end),
        reason: span.reason.clone(),
    }
}
