//! Time and governance on the gate: change-freeze and allowed windows, soak time, and the rules
//! waivers must follow. These shape admission only; the checklist's own decision (api.md's rule)
//! does not look at them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::Duration;

/// Most windows per list: enough for any release calendar, and a bound the API server's CEL
/// cost estimate needs.
pub const MAX_WINDOWS: usize = 32;

/// A recurring span of time: it opens at each run of `schedule` (a CronJob schedule, read in
/// `timeZone` as the CronJob controller reads it, DST included) and lasts `duration` of elapsed
/// time from there.
#[skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, KubeSchema)]
// Every unit of the duration grammar is a non-negative number, so a duration is positive
// exactly when it has a non-zero digit somewhere.
#[x_kube(validation = Rule::new("self.duration.matches('[1-9]')").message("duration must be positive"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct TimeWindow {
    /// Unique among the gate's windows (freeze and allowed); messages and Events name it.
    #[schemars(length(min = 1, max = 63), regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))]
    pub name: String,
    /// When the window opens: a CronJob schedule (`0 18 * * 5`, `@weekly`), robfig/cron v3 syntax.
    #[schemars(length(min = 1, max = 256))]
    pub schedule: String,
    /// How long the window stays open after each start (elapsed time: a `24h` window over a DST
    /// change ends at a wall-clock hour one off from its start).
    // Bounded so the API server's cost estimate of the CEL rule (a regex over it) stays small.
    #[schemars(length(min = 1, max = 64))]
    pub duration: Duration,
    /// IANA zone the schedule is read in (default UTC), as `CronJob.spec.timeZone`.
    #[schemars(length(min = 1, max = 64))]
    pub time_zone: Option<String>,
    /// Why, shown to whoever is blocked.
    #[schemars(length(max = 512))]
    pub reason: Option<String>,
}

/// Which list a window comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum WindowKind {
    /// `gate.freezeWindows`: admission is blocked while it is open.
    Freeze,
    /// `gate.allowedWindows`: admission is possible only while one is open.
    Allowed,
}

impl WindowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::Freeze => "Freeze",
            WindowKind::Allowed => "Allowed",
        }
    }
}

/// What an item demands of the waivers that may make it Waived.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("!has(self.maxValidity) || self.maxValidity.matches('[1-9]')")
    .message("maxValidity must be positive"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct WaiverPolicy {
    /// A waiver must carry `expiresAt`, at most this long after it was created.
    #[schemars(length(min = 1, max = 64))]
    pub max_validity: Option<Duration>,
    /// A waiver must name a ticket (`spec.ticket`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_ticket: bool,
}

/// `status.admission`: what the gate's windows and soak time mean for admission as of the last
/// evaluation. The webhook decides from the spec and the clock at request time; this is the
/// record of it for people and dashboards.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionStatus {
    /// Whether a workload the gate selects would be admitted (before enforcement and overrides).
    pub allowed: bool,
    /// `Go`, `NoGo`, `Unknown` (the decision), or what holds a Go back: `Frozen`,
    /// `OutsideAllowedWindows`, `Soaking`.
    pub reason: String,
    #[serde(default)]
    pub message: String,
    /// The window open now (a freeze, or the allowed window admission relies on).
    pub active_window: Option<WindowStatus>,
    /// The next window to open.
    pub next_window: Option<WindowStatus>,
    /// Since when the checklist has been Go without interruption.
    pub go_since: Option<Time>,
    /// When `gate.minGoDuration` will have been served (if it stays Go).
    pub soaked_at: Option<Time>,
}

/// One occurrence of a window.
#[skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WindowStatus {
    pub name: String,
    pub kind: WindowKind,
    pub start: Time,
    pub end: Time,
    pub reason: Option<String>,
}

/// `status.expiringWaivers`: a waiver that counts now but expires within the controller's lead
/// time. Kept in status so a restarted controller knows what it already announced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpiringWaiver {
    pub item: String,
    /// The ReadinessSignoff's name.
    pub signoff: String,
    pub expires_at: Time,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::{ChecklistItem, Gate};

    fn failures(result: Result<(), kube::core::cel::ValidationErrors>) -> Vec<String> {
        result.err().map(|errors| errors.iter().map(|e| e.message.clone()).collect()).unwrap_or_default()
    }

    #[test]
    fn the_schema_refuses_empty_durations_and_shared_window_names() {
        let window = |duration: &str| json!({"name": "w", "schedule": "@daily", "duration": duration});
        assert!(failures(TimeWindow::validate_cel(&window("1h"), None)).is_empty());
        assert!(failures(TimeWindow::validate_cel(&window("0.5s"), None)).is_empty());
        assert_eq!(failures(TimeWindow::validate_cel(&window("0s"), None)), ["duration must be positive"]);
        assert_eq!(failures(TimeWindow::validate_cel(&window("0h0m"), None)), ["duration must be positive"]);
        let gate = json!({"selector": {}, "freezeWindows": [window("1h")], "allowedWindows": [window("8h")],
                          "minGoDuration": "0m"});
        assert_eq!(
            failures(Gate::validate_cel(&gate, None)),
            ["window names must be unique across freezeWindows and allowedWindows", "minGoDuration must be positive"]
        );
        assert_eq!(
            failures(WaiverPolicy::validate_cel(&json!({"maxValidity": "0d"}), None)),
            ["maxValidity must be positive"]
        );
    }

    #[test]
    fn the_schema_refuses_waivers_of_manual_items() {
        let manual = json!({"name": "cto", "waivableBy": {"groups": ["leads"]},
                            "check": {"manual": {"approvers": {"users": ["alice"]}}}});
        assert_eq!(
            failures(ChecklistItem::validate_cel(&manual, None)),
            ["a manual item cannot be waived: approvals are personal (remove waivableBy)"]
        );
        let lonely = json!({"name": "v", "waiver": {"requireTicket": true}, "check": {"kubernetesVersion": {"atLeast": "1.28"}}});
        assert_eq!(
            failures(ChecklistItem::validate_cel(&lonely, None)),
            ["waiver rules need waivableBy: nobody may waive this item"]
        );
    }
}
