//! The `GateWired` condition of a gating checklist (`enforcement` Enforce or Warn), the Event
//! that announces it turning False (once: planned against the stored status, as
//! `controller::events` does, so a restart repeats nothing), and its metric value.

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::judge::{Judgement, WORKLOADS_WEBHOOK};
use crate::api::{Enforcement, ReadinessChecklist, ReadinessChecklistStatus};
use crate::controller::events::Planned;
use crate::engine::{bound_message, condition};

pub const CONDITION_GATE_WIRED: &str = "GateWired";
pub const REASON_SELECTED: &str = "NamespaceSelected";
pub const REASON_NOT_SELECTED: &str = "NamespaceNotSelected";
pub const REASON_NO_WEBHOOK: &str = "WebhookNotInstalled";
pub const REASON_UNREADABLE: &str = "WiringUnknown";
/// Event reasons: the gate stopped (or never started) reaching admissions, and it does again.
pub const EVENT_NOT_WIRED: &str = "GateNotWired";
pub const EVENT_WIRED: &str = "GateWired";

/// The condition's content for one judgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Described {
    pub status: &'static str,
    pub reason: &'static str,
    pub message: String,
}

/// What the controller knows about a checklist's wiring.
#[derive(Clone, Debug)]
pub enum GateWiring {
    /// No gate, or `enforcement: Audit`: the condition does not apply.
    NotGated,
    /// Namespaces or the webhook configuration not listed yet: keep what is stored.
    Pending,
    Judged(Described),
}

/// The enforcement that needs the webhook, when the checklist has one.
pub fn gating_enforcement(checklist: &ReadinessChecklist) -> Option<Enforcement> {
    checklist
        .spec
        .gate
        .as_ref()
        .map(|g| g.enforcement)
        .filter(|e| matches!(e, Enforcement::Enforce | Enforcement::Warn))
}

fn enforcement_name(enforcement: Enforcement) -> &'static str {
    match enforcement {
        Enforcement::Enforce => "Enforce",
        Enforcement::Warn => "Warn",
        Enforcement::Audit => "Audit",
    }
}

/// The condition for `judgement` of a checklist in `namespace`.
pub fn describe(judgement: &Judgement, configuration: &str, namespace: &str, enforcement: Enforcement) -> Described {
    let mode = enforcement_name(enforcement);
    let not_sent = format!("Deployments in namespace {namespace} are not sent to readygate");
    let consequence = format!("so this gate ({mode}) is not applied to them");
    match judgement {
        Judgement::Wired { fails_open } => {
            let mut message = format!(
                "namespace {namespace} is selected by webhook {WORKLOADS_WEBHOOK} of ValidatingWebhookConfiguration \
                 {configuration}: its Deployments are gated"
            );
            if *fails_open {
                message
                    .push_str("; failurePolicy is Ignore, so they are admitted ungated while readygate is unreachable");
            }
            Described { status: "True", reason: REASON_SELECTED, message }
        }
        Judgement::NotSelected { selector, fix } => {
            let remedy = match fix {
                Some(command) => format!("opt the namespace in: {command}"),
                None => format!(
                    "no namespace label can opt it in: change the webhook's namespaceSelector in \
                     ValidatingWebhookConfiguration {configuration}"
                ),
            };
            let message = format!(
                "{not_sent}: the namespaceSelector of webhook {WORKLOADS_WEBHOOK} ({selector}) does not select it, \
                 {consequence}; {remedy}"
            );
            Described { status: "False", reason: REASON_NOT_SELECTED, message }
        }
        Judgement::NoWebhook { missing } => Described {
            status: "False",
            reason: REASON_NO_WEBHOOK,
            message: format!("{not_sent}: there is no {missing}, {consequence}; install it (docs/install.md)"),
        },
        Judgement::Unreadable { reason } => Described {
            status: "Unknown",
            reason: REASON_UNREADABLE,
            message: format!("readygate cannot tell whether namespace {namespace} is wired to its webhook: {reason}"),
        },
    }
}

/// Sets `GateWired` on `next` (built without it), keeping its `lastTransitionTime` from
/// `previous` while its status holds.
pub fn apply(
    next: &mut ReadinessChecklistStatus,
    previous: Option<&ReadinessChecklistStatus>,
    wiring: GateWiring,
    generation: Option<i64>,
    now: Timestamp,
) {
    let previous_conditions = previous.map(|p| p.conditions.as_slice()).unwrap_or_default();
    let wired = match wiring {
        GateWiring::NotGated => None,
        GateWiring::Pending => previous_conditions.iter().find(|c| c.type_ == CONDITION_GATE_WIRED).cloned(),
        GateWiring::Judged(described) => {
            let message = bound_message(described.message);
            let (status, reason) = (described.status, described.reason);
            Some(condition(previous_conditions, CONDITION_GATE_WIRED, status, reason, &message, generation, &Time(now)))
        }
    };
    next.conditions.retain(|c| c.type_ != CONDITION_GATE_WIRED);
    next.conditions.extend(wired);
}

fn gate_wired(status: Option<&ReadinessChecklistStatus>) -> Option<&Condition> {
    status?.conditions.iter().find(|c| c.type_ == CONDITION_GATE_WIRED)
}

/// A Warning Event when `GateWired` becomes False (or False for another reason), a Normal one
/// when it turns True again after being False; nothing otherwise, and nothing on a restart
/// (`previous` is the stored status, which already says it).
pub fn event(previous: Option<&ReadinessChecklistStatus>, next: &ReadinessChecklistStatus) -> Option<Planned> {
    let before = gate_wired(previous);
    let after = gate_wired(Some(next))?;
    let was_false = before.filter(|b| b.status == "False");
    match after.status.as_str() {
        "False" if was_false.is_none_or(|b| b.reason != after.reason) => {
            Some(Planned { warning: true, reason: EVENT_NOT_WIRED.to_owned(), note: after.message.clone() })
        }
        "True" if was_false.is_some() => {
            Some(Planned { warning: false, reason: EVENT_WIRED.to_owned(), note: after.message.clone() })
        }
        _ => None,
    }
}

/// The `readygate_gate_wired` value: 1 wired, 0 not, `None` (no series) when unknown.
pub fn metric_value(judgement: &Judgement) -> Option<bool> {
    match judgement {
        Judgement::Wired { .. } => Some(true),
        Judgement::NotSelected { .. } | Judgement::NoWebhook { .. } => Some(false),
        Judgement::Unreadable { .. } => None,
    }
}
