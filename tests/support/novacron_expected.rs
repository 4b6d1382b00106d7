//! What the shipped NovaCron example must evaluate to, shared by the suites that check it
//! (`tests/novacron.rs` over every output, `tests/html_report.rs` in a browser).

/// The Critical items `examples/novacron/bad/` blocks on, sorted as the reports sort them (and
/// as README.md lists them).
pub const BAD_BLOCKING: [&str; 11] = [
    "api-autoscaling",
    "auth-secret-strength",
    "backup-hourly-incremental",
    "cto-signoff",
    "hsts",
    "network-default-deny",
    "no-cluster-admin",
    "no-literal-secret-env",
    "private-ports-services",
    "rbac-boundaries",
    "release-image-tag",
];
