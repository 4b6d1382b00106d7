//! An in-process, stateful Kubernetes API server double that speaks the wire protocol kube-rs uses.
//!
//! Integration tests run the real `kube::Client`, kube-runtime watchers, kube-lease-manager and
//! the `readygate` binary against [`ApiServerDouble`] (plain HTTP on 127.0.0.1, no auth):
//!
//! ```ignore
//! let double = ApiServerDouble::start().await;
//! double.install_crd(ReadinessChecklist::crd());
//! double.seed(json!({"apiVersion": "apps/v1", "kind": "Deployment", ...}));
//! let kubeconfig = double.write_kubeconfig(); // KUBECONFIG for `readygate run`
//! double.faults().drop_watches();
//! ```
//!
//! The double's tasks run on the test's runtime: await child processes with
//! `tokio::process`, or use [`BlockingDouble`] from synchronous tests. Each test module uses
//! only part of this code, hence the blanket `dead_code` allowance.
#![allow(dead_code)]

mod apply;
mod blocking;
mod crud;
mod delete;
mod discovery;
mod double;
mod errors;
mod faults;
mod identity;
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
pub use blocking::BlockingDouble;
#[allow(unused_imports)]
pub use double::{ApiServerDouble, DoubleConfig};
#[allow(unused_imports)]
pub use faults::Faults;
#[allow(unused_imports)]
pub use log::{RequestRecord, Verb};
