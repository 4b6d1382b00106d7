//! Live-only facts the pure checks consume: server version, probe observations, other
//! checklists' decisions, and which kinds the cluster could not serve. Offline, most are absent
//! and the checks that need them report `Skipped`.

use std::collections::{BTreeMap, HashMap};

use crate::api::{Decision, TlsVersion};

/// Whether an evaluation runs against manifests or a live cluster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Offline,
    Live,
}

/// A Kubernetes server version (`v1.31.2` -> 1.31.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KubeVersion {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl std::str::FromStr for KubeVersion {
    type Err = String;

    /// Accepts `1.28`, `v1.28.3`, `1.28.3-gke.100` and the `+` suffixes providers add to minors.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim().trim_start_matches('v');
        let core = trimmed.split(['-', '+']).next().unwrap_or_default();
        let mut parts = core.split('.');
        let mut next = |required: bool| -> Result<u64, String> {
            match parts.next() {
                Some(p) => p.trim_end_matches('+').parse().map_err(|_| format!("invalid Kubernetes version {input:?}")),
                None if required => Err(format!("invalid Kubernetes version {input:?} (expected e.g. 1.28)")),
                None => Ok(0),
            }
        };
        Ok(KubeVersion { major: next(true)?, minor: next(true)?, patch: next(false)? })
    }
}

impl std::fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What an HTTP GET observed (the `http` check judges it).
#[derive(Clone, Debug, PartialEq)]
pub struct HttpObservation {
    pub status: u16,
    /// Lower-cased header names; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// `None` for plain HTTP.
    pub tls_version: Option<TlsVersion>,
    pub elapsed: std::time::Duration,
}

/// What a Prometheus instant query returned: one value per series (or one for a scalar).
#[derive(Clone, Debug, PartialEq)]
pub struct PrometheusObservation {
    pub values: Vec<(String, f64)>,
}

/// Inputs an evaluation needs beyond the inventory. Probe results are keyed by what was asked
/// (URL, or URL + query), so two items probing the same endpoint share one observation.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub mode: Mode,
    pub server_version: Option<KubeVersion>,
    pub http: HashMap<String, Result<HttpObservation, String>>,
    pub prometheus: HashMap<(String, String), Result<PrometheusObservation, String>>,
    /// Decisions of other checklists, by (namespace, name), already staleness-adjusted.
    pub checklists: HashMap<(String, String), Decision>,
    /// Whether `secret` checks may read Secret values (the operator's opt-in; always on offline).
    pub secret_checks: bool,
    /// Kinds the cluster cannot serve (CRD missing, RBAC forbidden), with the reason. Items that
    /// read them become `Error` instead of judging an empty list.
    pub unavailable_kinds: HashMap<String, String>,
}

impl Facts {
    /// Facts for `readygate check`: offline mode, secret checks on (the user holds the files).
    pub fn offline() -> Self {
        Facts { mode: Mode::Offline, secret_checks: true, ..Facts::default() }
    }

    pub fn live() -> Self {
        Facts { mode: Mode::Live, ..Facts::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubernetes_versions_as_servers_report_them() {
        let v = |s: &str| s.parse::<KubeVersion>().expect(s);
        assert_eq!(v("1.28"), KubeVersion { major: 1, minor: 28, patch: 0 });
        assert_eq!(v("v1.31.2"), KubeVersion { major: 1, minor: 31, patch: 2 });
        assert_eq!(v("v1.29.4-gke.1043002"), KubeVersion { major: 1, minor: 29, patch: 4 });
        assert_eq!(v("1.27+"), KubeVersion { major: 1, minor: 27, patch: 0 });
        assert!(v("1.28") < v("1.28.1"));
        assert!("one.two".parse::<KubeVersion>().is_err());
        assert!("1".parse::<KubeVersion>().is_err());
    }
}
