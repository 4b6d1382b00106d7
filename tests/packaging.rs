//! readygate's packaging, rendered by the real tools: the kustomize base in deploy/ and its
//! components, the Helm chart (kept in step with deploy/), the CRD copies, the alerting rules
//! (promtool), and readygate judging its own installation. The tools are required: a missing
//! one fails with a pointer to scripts/test.sh, which installs them.

#[path = "packaging/alerts.rs"]
mod alerts;
#[path = "packaging/chart.rs"]
mod chart;
#[path = "packaging/crd_copies.rs"]
mod crd_copies;
#[path = "packaging/health.rs"]
mod health;
#[path = "packaging/kustomize.rs"]
mod kustomize;
#[path = "packaging/render.rs"]
mod render;
#[path = "packaging/reports.rs"]
mod reports;
#[path = "packaging/self_check.rs"]
mod self_check;
#[path = "packaging/tools.rs"]
mod tools;
#[path = "packaging/wiring.rs"]
mod wiring;
