//! The `json` and `yaml` outputs: a list with one entry per checklist, in the status's shape.

use serde::Serialize;

use crate::api::{Decision, ItemState, Severity, Summary};
use crate::engine::Evaluation;
use crate::{Error, Result};

/// One checklist: `{name, namespace, decision, summary, blocking, items}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChecklistReport<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub decision: Decision,
    pub summary: &'a Summary,
    pub blocking: &'a [String],
    pub items: Vec<ItemReport<'a>>,
    /// What the gate's windows and soak time say about admission (only when it sets any).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission: Option<AdmissionReport<'a>>,
}

/// `{held, reason, message}`: `held` when a window or the soak time blocks admission.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionReport<'a> {
    pub held: bool,
    pub reason: &'a str,
    pub message: &'a str,
}

/// One item: `{name, state, severity, message}`, plus its title and section for readers.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemReport<'a> {
    pub name: &'a str,
    pub state: ItemState,
    pub severity: Severity,
    pub message: &'a str,
    pub title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<&'a str>,
}

/// The serializable view of `evaluations`.
pub fn reports(evaluations: &[Evaluation]) -> Vec<ChecklistReport<'_>> {
    evaluations
        .iter()
        .map(|e| ChecklistReport {
            name: &e.name,
            namespace: &e.namespace,
            decision: e.decision,
            summary: &e.summary,
            blocking: &e.blocking,
            items: e
                .items
                .iter()
                .map(|i| ItemReport {
                    name: &i.name,
                    state: i.state,
                    severity: i.severity,
                    message: &i.message,
                    title: &i.title,
                    section: i.section.as_deref(),
                })
                .collect(),
            admission: e.admission.as_ref().map(|a| AdmissionReport {
                held: a.held,
                reason: &a.reason,
                message: &a.message,
            }),
        })
        .collect()
}

pub(super) fn render_json(evaluations: &[Evaluation]) -> Result<String> {
    let mut text =
        serde_json::to_string_pretty(&reports(evaluations)).map_err(|e| Error::serialize("report as JSON", e))?;
    text.push('\n');
    Ok(text)
}

pub(super) fn render_yaml(evaluations: &[Evaluation]) -> Result<String> {
    to_yaml(&reports(evaluations)).map_err(|e| Error::serialize("report as YAML", e))
}

/// `value` as YAML the way readygate writes it everywhere (reports, status, CRDs): a long line
/// stays one line, not folded at 80 columns (messages and CRD descriptions read, and diff,
/// better whole); text of several lines is a literal block.
pub fn to_yaml<T: serde::Serialize>(value: &T) -> std::result::Result<String, serde_saphyr::SerializeError> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    serde_saphyr::to_string_with_options(value, options)
}
