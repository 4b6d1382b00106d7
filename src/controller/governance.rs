//! The controller's side of windows, soak time and expiring waivers: Events planned against the
//! stored status (so a restarted controller repeats none), metrics, and when to look again.

use std::time::Duration;

use jiff::Timestamp;

use super::events::Planned;
use crate::api::{ReadinessChecklistStatus, WindowKind, WindowStatus};
use crate::metrics::Metrics;

/// Events for what changed between the stored status and the next: a window that opened or
/// closed (`FreezeStarted`/`FreezeEnded`, `AllowedWindowOpened`/`AllowedWindowClosed`) and each
/// waiver newly inside the lead time (`WaiverExpiringSoon`, once per waiver: the stored
/// `status.expiringWaivers` remembers it).
pub fn plan(previous: Option<&ReadinessChecklistStatus>, next: &ReadinessChecklistStatus) -> Vec<Planned> {
    let mut planned = Vec::new();
    let before = previous.and_then(|p| p.admission.as_ref()).and_then(|a| a.active_window.as_ref());
    let after = next.admission.as_ref().and_then(|a| a.active_window.as_ref());
    let same = |a: &WindowStatus, b: &WindowStatus| a.name == b.name && a.kind == b.kind && a.start == b.start;
    if let Some(ended) = before.filter(|b| after.is_none_or(|a| !same(a, b))) {
        planned.push(window_event(ended, false));
    }
    if let Some(started) = after.filter(|a| before.is_none_or(|b| !same(a, b))) {
        planned.push(window_event(started, true));
    }
    let announced = previous.map(|p| p.expiring_waivers.as_slice()).unwrap_or_default();
    for waiver in &next.expiring_waivers {
        if announced.iter().any(|a| a.item == waiver.item && a.signoff == waiver.signoff) {
            continue;
        }
        planned.push(Planned {
            warning: true,
            reason: "WaiverExpiringSoon".to_owned(),
            note: format!(
                "the waiver of item {} (readinesssignoff/{}) expires at {}; the item counts as failing from then \
                 unless it passes or is waived again",
                waiver.item, waiver.signoff, waiver.expires_at.0
            ),
        });
    }
    planned
}

fn window_event(window: &WindowStatus, started: bool) -> Planned {
    let reason = match (window.kind, started) {
        (WindowKind::Freeze, true) => "FreezeStarted",
        (WindowKind::Freeze, false) => "FreezeEnded",
        (WindowKind::Allowed, true) => "AllowedWindowOpened",
        (WindowKind::Allowed, false) => "AllowedWindowClosed",
    };
    let why = window.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
    let note = match (window.kind, started) {
        (WindowKind::Freeze, true) => {
            format!("freeze '{}'{why} started: admission blocked until {}", window.name, window.end.0)
        }
        (WindowKind::Freeze, false) => format!("freeze '{}'{why} ended", window.name),
        (WindowKind::Allowed, true) => {
            format!("allowed window '{}'{why} opened, until {}", window.name, window.end.0)
        }
        (WindowKind::Allowed, false) => format!("allowed window '{}'{why} closed", window.name),
    };
    Planned { warning: false, reason: reason.to_owned(), note: crate::engine::bound_message(note) }
}

pub fn record_metrics(metrics: &Metrics, namespace: &str, name: &str, status: &ReadinessChecklistStatus) {
    let open = status.admission.as_ref().and_then(|a| a.active_window.as_ref());
    metrics.record_window(namespace, name, open.map(|w| (w.name.as_str(), w.kind.as_str())));
    metrics.record_expiring_waivers(namespace, name, status.expiring_waivers.len());
}

/// `regular`, or sooner when the clock alone changes the status before then (plus a second, so
/// the boundary is behind us when we look).
pub fn requeue_until(regular: Duration, next_change: Option<Timestamp>, now: Timestamp) -> Duration {
    let Some(at) = next_change else { return regular };
    let until = at.duration_since(now);
    let until = Duration::try_from(until).unwrap_or(Duration::ZERO) + Duration::from_secs(1);
    regular.min(until)
}

#[cfg(test)]
#[path = "governance_tests.rs"]
mod tests;
