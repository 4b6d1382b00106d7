//! The readygate CRD types (`readygate.io/v1alpha1`): spec, status and the shapes they share.

mod checklist;
mod checks;
mod duration;
mod governance;
mod shared;
mod signoff;
mod status;

pub use checklist::{ChecklistItem, Enforcement, Gate, ReadinessChecklist, ReadinessChecklistSpec};
pub use checks::*;
pub use duration::{Duration, DurationError};
pub use governance::{
    AdmissionStatus, ExpiringWaiver, MAX_WINDOWS, TimeWindow, WaiverPolicy, WindowKind, WindowStatus,
};
pub use shared::{IntRange, Principals, Severity, Target};
pub use signoff::{ReadinessSignoff, ReadinessSignoffSpec, Signer, SignoffAction};
pub use status::{Decision, HistoryEntry, ItemState, ItemStatus, ReadinessChecklistStatus, Summary};

/// The API group of both kinds.
pub const GROUP: &str = "readygate.io";
/// The served and stored version.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` of both kinds.
pub const API_VERSION: &str = "readygate.io/v1alpha1";

#[cfg(test)]
mod rules;
