//! What a decision returns: allowed or not, why, what the user sees, and the side effects the shell must apply.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ObjectReference;

use super::bounds::{bound_text, bound_warnings};
use crate::api::Decision;

/// Why a request was answered as it was; bounded, so it doubles as the `reason` metric label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Not something this path judges: DELETE, CONNECT, a subresource, an unchanged template.
    NotGated,
    /// A kind this path does not handle (a webhook rule broader than it should be).
    UnsupportedKind,
    /// No checklist's gate selects the workload.
    NoChecklist,
    /// Every gating checklist is Go.
    Go,
    NoGo,
    /// A gating checklist is Unknown: not evaluated, evaluated for an older spec, or stale.
    Unknown,
    /// Go, but for another release than the workload's `app.kubernetes.io/version`.
    ReleaseMismatch,
    /// A change-freeze window of the gate is open (or cannot be read).
    Frozen,
    /// The gate has allowed windows and none is open.
    OutsideWindow,
    /// Go, but not yet for the gate's `minGoDuration`.
    Soaking,
    /// Denied by a checklist but admitted by the override annotation of an allowed user.
    Override,
    /// Not Go, admitted with warnings (enforcement Warn).
    Warn,
    /// Not Go, admitted and recorded (enforcement Audit).
    Audit,
    /// A sign-off or checklist that passes every rule.
    Valid,
    /// A sign-off whose signer is not the requesting user.
    Identity,
    /// A sign-off whose spec changed on update.
    Immutable,
    /// A sign-off or checklist that breaks a rule.
    Invalid,
    /// The request or its object could not be read.
    Malformed,
    /// The request body passed the size limit.
    TooLarge,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotGated => "not_gated",
            Reason::UnsupportedKind => "unsupported_kind",
            Reason::NoChecklist => "no_checklist",
            Reason::Go => "go",
            Reason::NoGo => "nogo",
            Reason::Unknown => "unknown",
            Reason::ReleaseMismatch => "release_mismatch",
            Reason::Frozen => "frozen",
            Reason::OutsideWindow => "outside_window",
            Reason::Soaking => "soaking",
            Reason::Override => "override",
            Reason::Warn => "warn",
            Reason::Audit => "audit",
            Reason::Valid => "valid",
            Reason::Identity => "identity",
            Reason::Immutable => "immutable",
            Reason::Invalid => "invalid",
            Reason::Malformed => "malformed",
            Reason::TooLarge => "too_large",
        }
    }
}

/// An override the webhook honoured: the shell turns it into an Event on the checklist, a log
/// line and a metric (never for dry-run requests).
#[derive(Clone, Debug, PartialEq)]
pub struct OverrideEvent {
    /// The checklist whose decision was overridden (the Event's `regarding`).
    pub checklist: ObjectReference,
    /// `deployment/api`.
    pub workload: String,
    pub user: String,
    pub reason: String,
    /// The checklist's decision as the webhook judged it.
    pub decision: Decision,
    pub blocking: Vec<String>,
}

impl OverrideEvent {
    /// `namespace/name` of the checklist, for logs.
    pub fn checklist_key(&self) -> String {
        format!(
            "{}/{}",
            self.checklist.namespace.as_deref().unwrap_or_default(),
            self.checklist.name.as_deref().unwrap_or_default()
        )
    }

    /// The Event's note (Kubernetes caps it at 1 KiB).
    pub fn note(&self) -> String {
        let blocking =
            if self.blocking.is_empty() { String::new() } else { format!("; blocking: {}", self.blocking.join(", ")) };
        bound_text(
            &format!(
                "{} admitted by override of user {} while the checklist is {}{blocking}: {}",
                self.workload,
                self.user,
                self.decision.as_str(),
                self.reason
            ),
            1024,
        )
    }
}

/// Something the shell must do besides answering.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Override(Box<OverrideEvent>),
    /// A not-Go checklist in Audit mode let a workload through: log it.
    Audited {
        checklist: String,
        decision: Decision,
    },
}

/// The answer to one admission request.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub allowed: bool,
    pub reason: Reason,
    /// HTTP-style code for a denial (`status.code`): 403 forbidden, 422 invalid, 400 malformed.
    pub code: u16,
    /// Shown to the user on denial.
    pub message: String,
    pub warnings: Vec<String>,
    /// Keys without prefix: the API server prefixes them with the webhook's name.
    pub audit_annotations: BTreeMap<&'static str, String>,
    pub effects: Vec<Effect>,
}

/// Longest denial message; the API server relays it to `kubectl` in full.
pub const MAX_MESSAGE_BYTES: usize = 4096;

impl Verdict {
    pub fn allow(reason: Reason) -> Self {
        Verdict {
            allowed: true,
            reason,
            code: 200,
            message: String::new(),
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
            effects: Vec::new(),
        }
    }

    pub fn deny(reason: Reason, code: u16, message: impl Into<String>) -> Self {
        Verdict {
            allowed: false,
            code,
            message: bound_text(&message.into(), MAX_MESSAGE_BYTES),
            ..Verdict::allow(reason)
        }
    }

    #[must_use]
    pub fn with_warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings.extend(warnings);
        self.warnings = bound_warnings(std::mem::take(&mut self.warnings));
        self
    }

    /// The `status.reason` Kubernetes uses for the code.
    pub fn status_reason(&self) -> &'static str {
        match self.code {
            400 => "BadRequest",
            403 => "Forbidden",
            422 => "Invalid",
            _ => "",
        }
    }
}
