//! readygate: production-readiness checklists that the cluster evaluates and enforces.

pub mod api;
pub mod checks;
pub mod cli;
pub mod engine;
pub mod error;
pub mod inventory;
pub mod report;
pub mod webhook;
pub use error::{Error, Result};
