//! Kubernetes semantics held against Kubernetes' own test tables (issue 14): the RBAC
//! authorizer, label selectors, robfig/cron v3 and CronJob validation, and NetworkPolicy
//! shapes of the e2e suite, ported case by case. Every case names the upstream file and test
//! function it comes from and either agrees with Kubernetes, differs on purpose (with the reason,
//! which docs/checks.md states too), or cannot be expressed in readygate's API (with why).
//! `cargo test --test conformance -- --nocapture` prints the tally per area.

mod conformance {
    pub mod support;

    mod cron;
    mod network_policy;
    mod rbac;
    mod selectors;
}
