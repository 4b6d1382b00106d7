//! An in-process, stateful Kubernetes API server double that speaks the wire protocol kube-rs uses.
//!
//! Integration tests run the real `kube::Client`, kube-runtime watchers and the `readygate`
//! binary against [`ApiServerDouble`]. Each test module uses only part of this code, hence the
//! blanket `dead_code` allowance.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

mod apply;
mod crud;
mod delete;
mod discovery;
mod double;
mod errors;
mod faults;
mod log;
mod managed;
mod meta;
mod patch;
mod resources;
mod route;
mod scale;
mod schema;
mod select;
mod server;
mod store;
mod watch;
mod write;

// Each test uses part of the API; unused re-exports are expected.
#[allow(unused_imports)]
pub use double::{ApiServerDouble, DoubleConfig};
#[allow(unused_imports)]
pub use faults::Faults;
#[allow(unused_imports)]
pub use log::{RequestRecord, Verb};
