//! readygate: production-readiness checklists that the cluster evaluates and enforces.

pub mod api;
pub mod checks;
pub mod engine;
pub mod error;
pub mod inventory;
pub mod webhook;
pub use error::{Error, Result};
