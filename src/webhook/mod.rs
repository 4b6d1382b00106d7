//! The admission webhook: pure decisions (`admit`) behind thin handlers, served over HTTPS with
//! reloadable certificates, reading checklists from an in-memory cache only.

pub mod admit;
mod config;
pub mod connections;
pub mod events;
pub mod handler;
pub mod metrics;
pub mod review;
mod server;
pub mod state;
pub mod tls;

pub use config::{TlsMinVersion, WebhookArgs};
pub use events::{EventSink, KubeEvents, LogOnlyEvents, OverrideEvent};
pub use handler::{
    AdmissionResponse, AdmissionService, CHECKLISTS_PATH, MAX_BODY_BYTES, SIGNOFFS_PATH, WORKLOADS_PATH, router,
};
pub use metrics::WebhookMetrics;
pub use server::{Server, serve};
pub use state::{ChecklistView, Ready, WebhookState};
