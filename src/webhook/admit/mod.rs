//! Pure admission decisions: a parsed request and the cached checklists in, a [`Verdict`] out.
//! No I/O, no clock: the handler passes "now" and applies the returned effects.

pub mod bounds;
pub mod checklists;
mod request;
pub mod signoffs;
mod verdict;
pub mod workloads;

pub use request::{AdmissionInput, Gvk, Operation, UserInfo};
pub use verdict::{Effect, MAX_MESSAGE_BYTES, OverrideEvent, Reason, Verdict};

#[cfg(test)]
pub(crate) mod fixtures;
