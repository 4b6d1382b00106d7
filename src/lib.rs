//! readygate: production-readiness checklists that the cluster evaluates and enforces.

pub mod api;
pub mod board;
pub mod checks;
pub mod cli;
pub mod controller;
pub mod engine;
pub mod error;
pub mod inventory;
pub mod metrics;
pub mod probes;
pub mod report;
pub mod telemetry;
pub mod webhook;
pub use error::{Error, Result};
