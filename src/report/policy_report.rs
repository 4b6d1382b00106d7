//! A checklist's stored status as a report the policy dashboards read (Policy Reporter and
//! others): a `wgpolicyk8s.io/v1alpha2` PolicyReport or an `openreports.io/v1alpha1` Report, one
//! result per item, in the checklist's namespace and owned by it.
//!
//! Pure: checklist and status in, the apply body out. The mapping from item state and
//! severity to a result is documented in docs/policy-reports.md; keep the two in step.
//!
//! The body holds nothing that changes while the items do not (no evaluation time: a result's
//! timestamp is its item's last transition), so "write only when the results change" is a
//! comparison of bodies.

use serde_json::{Value, json};

use crate::api::{API_VERSION, ItemState, ItemStatus, ReadinessChecklist, ReadinessChecklistStatus, Severity};

/// The `source` of every result, and of an OpenReports Report.
pub const SOURCE: &str = "readygate";
/// Prefix of every report's name, so it cannot collide with another generator's report.
pub const NAME_PREFIX: &str = "readygate-";
/// Longest object name the API server accepts (DNS subdomain).
const MAX_NAME: usize = 253;

/// Which report API to write (`readygate run --report-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum ReportFormat {
    /// `wgpolicyk8s.io/v1alpha2` PolicyReport (Kyverno's and Policy Reporter's original API).
    #[value(name = "policyreport")]
    PolicyReport,
    /// `openreports.io/v1alpha1` Report (the API PolicyReport moved to).
    #[value(name = "openreports")]
    OpenReports,
}

impl ReportFormat {
    pub fn group(self) -> &'static str {
        match self {
            ReportFormat::PolicyReport => "wgpolicyk8s.io",
            ReportFormat::OpenReports => "openreports.io",
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            ReportFormat::PolicyReport => "v1alpha2",
            ReportFormat::OpenReports => "v1alpha1",
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            ReportFormat::PolicyReport => "PolicyReport",
            ReportFormat::OpenReports => "Report",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            ReportFormat::PolicyReport => "policyreports",
            ReportFormat::OpenReports => "reports",
        }
    }

    pub fn api_version(self) -> String {
        format!("{}/{}", self.group(), self.version())
    }
}

/// A result's verdict, as both APIs spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Warn,
    Error,
    Skip,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Warn => "warn",
            Verdict::Error => "error",
            Verdict::Skip => "skip",
        }
    }
}

/// An item's result. An unmet Critical item is `fail` because it blocks the release (NO-GO);
/// an unmet High or Low item is `warn` because it never decides. A waiver is an accepted
/// exception, which dashboards count as `skip` (as Kyverno reports a PolicyException).
pub fn verdict(state: ItemState, severity: Severity) -> Verdict {
    match (state, severity) {
        (ItemState::Passed, _) => Verdict::Pass,
        (ItemState::Failed | ItemState::Pending, Severity::Critical) => Verdict::Fail,
        (ItemState::Failed | ItemState::Pending, Severity::High | Severity::Low) => Verdict::Warn,
        (ItemState::Error, _) => Verdict::Error,
        (ItemState::Skipped | ItemState::Waived, _) => Verdict::Skip,
    }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Low => "low",
    }
}

/// The report's name: `readygate-<checklist>`, or `readygate-<uid>` when that would be longer
/// than an object name may be.
pub fn report_name(checklist_name: &str, uid: &str) -> String {
    let name = format!("{NAME_PREFIX}{checklist_name}");
    if name.len() <= MAX_NAME { name } else { format!("{NAME_PREFIX}{uid}") }
}

/// Counts per verdict; they add up to the number of results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub pass: u32,
    pub fail: u32,
    pub warn: u32,
    pub error: u32,
    pub skip: u32,
}

impl Counts {
    fn add(&mut self, verdict: Verdict) {
        let slot = match verdict {
            Verdict::Pass => &mut self.pass,
            Verdict::Fail => &mut self.fail,
            Verdict::Warn => &mut self.warn,
            Verdict::Error => &mut self.error,
            Verdict::Skip => &mut self.skip,
        };
        *slot += 1;
    }

    pub fn total(&self) -> u32 {
        self.pass + self.fail + self.warn + self.error + self.skip
    }
}

/// Why a report cannot be built for a checklist.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReportError {
    /// Without a uid there is no owner reference, and a report without one would outlive it.
    #[error("readinesschecklist {0} has no metadata.uid (not read from the API server?)")]
    NoUid(String),
}

/// The apply body of the report for `checklist` with `status` (the one just written, or about
/// to be). Results follow the status's items, in order.
pub fn report(
    format: ReportFormat,
    checklist: &ReadinessChecklist,
    status: &ReadinessChecklistStatus,
) -> Result<Value, ReportError> {
    let name = checklist.metadata.name.clone().unwrap_or_default();
    let namespace = checklist.metadata.namespace.clone().unwrap_or_default();
    let uid = checklist.metadata.uid.clone().ok_or_else(|| ReportError::NoUid(format!("{namespace}/{name}")))?;
    let mut counts = Counts::default();
    let results: Vec<Value> = status
        .items
        .iter()
        .map(|item| {
            let verdict = verdict(item.state, item.severity);
            counts.add(verdict);
            result(checklist, &name, item, verdict)
        })
        .collect();
    let mut body = json!({
        "apiVersion": format.api_version(),
        "kind": format.kind(),
        "metadata": {
            "name": report_name(&name, &uid),
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/managed-by": SOURCE,
                "readygate.io/checklist": label_value(&name),
            },
            "ownerReferences": [{
                "apiVersion": API_VERSION,
                "kind": "ReadinessChecklist",
                "name": name,
                "uid": uid,
                "controller": true,
            }],
        },
        "scope": {
            "apiVersion": API_VERSION,
            "kind": "ReadinessChecklist",
            "name": name,
            "namespace": namespace,
            "uid": uid,
        },
        "summary": {
            "pass": counts.pass,
            "fail": counts.fail,
            "warn": counts.warn,
            "error": counts.error,
            "skip": counts.skip,
        },
        "results": results,
    });
    if format == ReportFormat::OpenReports {
        body["source"] = json!(SOURCE);
    }
    Ok(body)
}

fn result(checklist: &ReadinessChecklist, checklist_name: &str, item: &ItemStatus, verdict: Verdict) -> Value {
    let spec = checklist.spec.items.iter().find(|i| i.name == item.name);
    let mut properties = serde_json::Map::new();
    properties.insert("state".to_owned(), json!(item.state.as_str()));
    if let Some(title) = spec.and_then(|i| i.title.as_deref()) {
        properties.insert("title".to_owned(), json!(title));
    }
    if let Some(release) = &checklist.spec.release {
        properties.insert("release".to_owned(), json!(release));
    }
    let mut result = json!({
        "source": SOURCE,
        "policy": checklist_name,
        "rule": item.name,
        "result": verdict.as_str(),
        "severity": severity(item.severity),
        "scored": true,
        "message": item.message,
        "properties": properties,
    });
    if let Some(section) = spec.and_then(|i| i.section.as_deref()) {
        result["category"] = json!(section);
    }
    // Whole seconds: a `metav1.Time` is stored with second precision, so the status read back
    // has none finer, and a timestamp from the status just computed must not differ from it.
    if let Some(at) = &item.last_transition_time {
        result["timestamp"] = json!({"seconds": at.0.as_second(), "nanos": 0});
    }
    result
}

/// A label value is at most 63 characters of `[A-Za-z0-9_.-]`; checklist names longer than
/// that are cut (the owner reference and scope carry the full name).
fn label_value(name: &str) -> String {
    let cut: String = name.chars().take(63).collect();
    cut.trim_end_matches(['-', '.']).to_owned()
}

/// Whether `stored` already says what `desired` (a [`report`] body) says: same results,
/// summary, scope, source, owner and our labels. Labels or annotations others added do not
/// count, so they never cause a write.
pub fn is_current(desired: &Value, stored: &Value) -> bool {
    let same = |pointer: &str| desired.pointer(pointer) == stored.pointer(pointer);
    let labels_kept = desired.pointer("/metadata/labels").and_then(Value::as_object).is_none_or(|labels| {
        labels.iter().all(|(key, value)| stored.pointer("/metadata/labels").and_then(|l| l.get(key)) == Some(value))
    });
    labels_kept && ["/metadata/ownerReferences", "/scope", "/summary", "/results", "/source"].into_iter().all(same)
}

#[cfg(test)]
mod tests;
