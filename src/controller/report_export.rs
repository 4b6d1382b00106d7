//! `--report-format`: after each evaluation, the leader writes the checklist's PolicyReport or
//! OpenReports Report (built by [`crate::report::policy_report`]) by server-side apply, only
//! when its results changed.
//!
//! What was last written is remembered per checklist. After a restart (or on gaining
//! leadership) the first evaluation reads the stored report instead, so a controller that
//! restarts does not rewrite every report. A failed write is logged and retried on the next
//! evaluation: the checklist's status is the truth, the report a copy for dashboards, so it
//! never fails a reconcile.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, ValidationDirective};
use serde_json::Value;

use crate::api::{ReadinessChecklist, ReadinessChecklistStatus};
use crate::report::policy_report::{self, ReportFormat};

/// The field manager of the reports (distinct from status's, so `managedFields` say which
/// part of readygate wrote what).
pub const FIELD_MANAGER: &str = "readygate-reports";

/// What happened to one checklist's report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Written,
    Unchanged,
}

/// Why a report was not written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Build(#[from] policy_report::ReportError),
    #[error("reading {kind} {namespace}/{name}: {source}")]
    Read { kind: &'static str, namespace: String, name: String, source: kube::Error },
    #[error("applying {kind} {namespace}/{name}: {source}")]
    Apply { kind: &'static str, namespace: String, name: String, source: kube::Error },
}

/// Writes reports of one format and remembers what it wrote.
pub struct ReportExport {
    client: kube::Client,
    format: ReportFormat,
    resource: ApiResource,
    /// (namespace, checklist name) → (checklist uid, the body last written or found stored).
    written: Mutex<HashMap<(String, String), (String, Value)>>,
}

impl ReportExport {
    pub fn new(client: kube::Client, format: ReportFormat) -> Self {
        let resource = ApiResource {
            group: format.group().to_owned(),
            version: format.version().to_owned(),
            api_version: format.api_version(),
            kind: format.kind().to_owned(),
            plural: format.plural().to_owned(),
        };
        ReportExport { client, format, resource, written: Mutex::default() }
    }

    pub fn format(&self) -> ReportFormat {
        self.format
    }

    /// Brings the report of `checklist` in line with `status`.
    pub async fn publish(
        &self,
        checklist: &ReadinessChecklist,
        status: &ReadinessChecklistStatus,
    ) -> Result<Outcome, ExportError> {
        let desired = policy_report::report(self.format, checklist, status)?;
        let namespace = checklist.metadata.namespace.clone().unwrap_or_default();
        let checklist_name = checklist.metadata.name.clone().unwrap_or_default();
        let uid = checklist.metadata.uid.clone().unwrap_or_default();
        let key = (namespace.clone(), checklist_name);
        let remembered = self.lock().get(&key).filter(|(seen, _)| *seen == uid).map(|(_, body)| body.clone());
        let name = desired.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let api: Api<DynamicObject> = Api::namespaced_with(self.client.clone(), &namespace, &self.resource);
        let current = match remembered {
            Some(body) => policy_report::is_current(&desired, &body),
            None => match api.get_opt(&name).await {
                Ok(Some(stored)) => {
                    serde_json::to_value(&stored).is_ok_and(|v| policy_report::is_current(&desired, &v))
                }
                Ok(None) => false,
                Err(source) => {
                    return Err(ExportError::Read { kind: self.format.kind(), namespace, name, source });
                }
            },
        };
        if current {
            self.lock().insert(key, (uid, desired));
            return Ok(Outcome::Unchanged);
        }
        // Strict: a field the published schema does not know is refused, never silently pruned.
        let params = PatchParams {
            field_validation: Some(ValidationDirective::Strict),
            ..PatchParams::apply(FIELD_MANAGER).force()
        };
        api.patch(&name, &params, &Patch::Apply(&desired)).await.map_err(|source| ExportError::Apply {
            kind: self.format.kind(),
            namespace,
            name,
            source,
        })?;
        self.lock().insert(key, (uid, desired));
        Ok(Outcome::Written)
    }

    /// Forgets everything: another replica may have written since (on gaining leadership).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Forgets checklists that no longer exist (their reports go with them, by owner reference).
    pub fn retain(&self, alive: impl Fn(&(String, String)) -> bool) {
        self.lock().retain(|k, _| alive(k));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), (String, Value)>> {
        self.written.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
