//! `/validate/workloads`: may this Deployment roll out, given the checklists whose gate selects it?
//!
//! Gated: CREATE, and UPDATE that changes `spec.template` (scale, status and metadata-only
//! updates pass). Every gating checklist must be Go per [`current_decision`] (current and not
//! stale) and, with `bindRelease`, for the release the Deployment carries. What happens
//! otherwise depends on each checklist's enforcement: Enforce denies (unless overridden by a
//! member of `overrideGroups`), Warn admits with warnings, Audit admits and records.

mod deployment;

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use kube::Resource;

pub use deployment::{
    DeploymentView, Metadata, OVERRIDE_ANNOTATION, OverrideAnnotation, RawJson, SpecView, TemplateOnly,
    template_changed,
};

use super::bounds::bound_text;
use super::{AdmissionInput, Effect, Operation, OverrideEvent, Reason, Verdict};
use crate::api::{Decision, Enforcement, ReadinessChecklist};
use crate::engine::admission::{self, Hold};
use crate::engine::current_decision;
use crate::inventory::selector;
use crate::webhook::state::ChecklistView;

/// The label a workload's release is read from when a gate sets `bindRelease`.
pub const VERSION_LABEL: &str = "app.kubernetes.io/version";

/// Audit annotation keys. The API server prefixes each with the webhook's name
/// (`workloads.readygate.io/decision`), so they must be bare qualified names without a prefix.
pub const AUDIT_DECISION: &str = "decision";
pub const AUDIT_CHECKLIST: &str = "checklist";
pub const AUDIT_BLOCKING: &str = "blocking";
pub const AUDIT_OVERRIDE_REASON: &str = "override-reason";

/// How many blocking items a message names before summarising the rest.
const BLOCKING_SHOWN: usize = 10;

/// One gating checklist that does not let the workload through.
struct Shortfall {
    checklist: Arc<ReadinessChecklist>,
    namespace: String,
    name: String,
    enforcement: Enforcement,
    decision: Decision,
    reason: Reason,
    /// Why, beyond the decision: staleness, or the release mismatch.
    detail: Option<String>,
    blocking: Vec<String>,
}

impl Shortfall {
    fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// `readinesschecklist shop/release is NoGo (blocking: a, b); see ...`
    fn describe(&self) -> String {
        let mut text = format!("readinesschecklist {} ", self.key());
        match (&self.reason, &self.detail) {
            (Reason::ReleaseMismatch, Some(detail)) => text.push_str(detail),
            (Reason::Frozen | Reason::OutsideWindow | Reason::Soaking, Some(detail)) => {
                text.push_str(&format!("is {}, but {detail}", self.decision.as_str()))
            }
            (_, Some(detail)) => text.push_str(&format!("is {} ({detail})", self.decision.as_str())),
            (_, None) => text.push_str(&format!("is {}", self.decision.as_str())),
        }
        if !self.blocking.is_empty() {
            text.push_str(&format!("; blocking: {}", list_bounded(&self.blocking)));
        }
        text
    }

    fn see_also(&self) -> String {
        format!(
            "see `kubectl get rcl {name} -n {ns} -o yaml` / `readygate status {name} -n {ns}`",
            name = self.name,
            ns = self.namespace
        )
    }
}

/// A Deployment request read in one pass over the body: the object's few fields and the old
/// object's template (see [`crate::webhook::review::parse_as`]).
pub type DeploymentRequest<'a> = AdmissionInput<'a, DeploymentView<'a>, TemplateOnly<'a>>;

/// Decides a Deployment admission against the checklists cached for its namespace, reading the
/// objects out of the raw request.
pub fn decide(request: &AdmissionInput<'_>, checklists: &dyn ChecklistView, now: Timestamp) -> Verdict {
    if let Some(verdict) = not_gated(request) {
        return verdict;
    }
    let Some(object) = request.object else {
        return no_object();
    };
    let deployment = match DeploymentView::parse(object) {
        Ok(deployment) => deployment,
        Err(error) => return Verdict::deny(Reason::Malformed, 400, format!("cannot read the Deployment: {error}")),
    };
    // An unreadable old object counts as a template change: gate rather than guess.
    let old =
        request.old_object.map(|old| TemplateOnly::parse(old).map_or(Old::Unreadable, |o| Old::Read(o.template())));
    judge(request, &deployment, old, checklists, now)
}

/// [`decide`] for a request whose objects were read with the envelope.
pub fn decide_parsed(request: &DeploymentRequest<'_>, checklists: &dyn ChecklistView, now: Timestamp) -> Verdict {
    if let Some(verdict) = not_gated(request) {
        return verdict;
    }
    let Some(deployment) = &request.object else {
        return no_object();
    };
    let old = request.old_object.as_ref().map(|old| Old::Read(old.template()));
    judge(request, deployment, old, checklists, now)
}

/// The old object's `spec.template`, as far as it could be read.
enum Old<'a> {
    Read(Option<&'a str>),
    Unreadable,
}

fn no_object() -> Verdict {
    Verdict::deny(Reason::Malformed, 400, "the admission request carries no object to judge")
}

/// What passes without looking at checklists: other kinds, DELETE/CONNECT, subresources.
fn not_gated<O, P>(request: &AdmissionInput<'_, O, P>) -> Option<Verdict> {
    if !request.kind.is("apps", "Deployment") {
        return Some(Verdict::allow(Reason::UnsupportedKind));
    }
    let gated_operation = matches!(request.operation, Operation::Create | Operation::Update);
    if !gated_operation || request.sub_resource.as_deref().is_some_and(|s| !s.is_empty()) {
        return Some(Verdict::allow(Reason::NotGated));
    }
    None
}

fn judge<O, P>(
    request: &AdmissionInput<'_, O, P>,
    deployment: &DeploymentView<'_>,
    old: Option<Old<'_>>,
    checklists: &dyn ChecklistView,
    now: Timestamp,
) -> Verdict {
    if request.operation == Operation::Update {
        let changed = match old {
            Some(Old::Read(old)) => template_changed(old, deployment.template()),
            Some(Old::Unreadable) | None => true,
        };
        if !changed {
            return Verdict::allow(Reason::NotGated);
        }
    }

    let namespace = if request.namespace().is_empty() { &deployment.metadata.namespace } else { request.namespace() };
    let workload = workload_reference(request, deployment);
    let labels = &deployment.metadata.labels;
    let mut gating: Vec<Arc<ReadinessChecklist>> = checklists
        .in_namespace(namespace)
        .into_iter()
        .filter(|c| c.spec.gate.as_ref().is_some_and(|g| selector::matches_lenient(&g.selector, labels)))
        .collect();
    if gating.is_empty() {
        return Verdict::allow(Reason::NoChecklist);
    }
    gating.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));

    let shortfalls: Vec<Shortfall> =
        gating.iter().filter_map(|c| shortfall(c, namespace, &workload, labels, now)).collect();
    let mut verdict = combine(request, deployment, &workload, shortfalls);
    verdict.audit_annotations.insert(
        AUDIT_CHECKLIST,
        bound_text(
            &gating
                .iter()
                .map(|c| format!("{namespace}/{}", c.metadata.name.as_deref().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(","),
            1024,
        ),
    );
    verdict.audit_annotations.insert(AUDIT_DECISION, verdict.reason.as_str().to_owned());
    verdict
}

/// `deployment/api` (or `deployment/api-*` for a generated name).
fn workload_reference<O, P>(request: &AdmissionInput<'_, O, P>, deployment: &DeploymentView<'_>) -> String {
    let name = if !request.name().is_empty() {
        request.name().to_owned()
    } else if !deployment.metadata.name.is_empty() {
        deployment.metadata.name.clone()
    } else {
        format!("{}*", deployment.metadata.generate_name)
    };
    format!("deployment/{name}")
}

/// Why `checklist` does not cover the workload, or `None` when it does.
fn shortfall(
    checklist: &Arc<ReadinessChecklist>,
    namespace: &str,
    workload: &str,
    labels: &BTreeMap<String, String>,
    now: Timestamp,
) -> Option<Shortfall> {
    let gate = checklist.spec.gate.as_ref()?;
    let (decision, why) = current_decision(checklist, now);
    let blocking = checklist.status.as_ref().map(|s| s.blocking.clone()).unwrap_or_default();
    // Windows and soak time (engine::admission) come first: a freeze holds whatever the decision.
    let (reason, detail, blocking) = if let Some((reason, detail)) = time_hold(checklist, gate, decision, now) {
        (reason, detail, blocking)
    } else {
        match decision {
            Decision::Go if !gate.bind_release => return None,
            Decision::Go => {
                let release = checklist.spec.release.as_deref();
                let carried = labels.get(VERSION_LABEL).map(String::as_str);
                match (release, carried) {
                    (Some(release), Some(carried)) if release == carried => return None,
                    (Some(release), Some(carried)) => (
                        Reason::ReleaseMismatch,
                        format!(
                            "is Go for release {release}, but {workload} carries {VERSION_LABEL}={carried} (bindRelease)"
                        ),
                        Vec::new(),
                    ),
                    (Some(release), None) => (
                        Reason::ReleaseMismatch,
                        format!(
                            "is Go for release {release}, but {workload} has no {VERSION_LABEL} label (bindRelease)"
                        ),
                        Vec::new(),
                    ),
                    (None, _) => (
                        Reason::ReleaseMismatch,
                        "sets bindRelease but has no spec.release to bind workloads to".to_owned(),
                        Vec::new(),
                    ),
                }
            }
            Decision::NoGo => (Reason::NoGo, why.unwrap_or_default(), blocking),
            Decision::Unknown => {
                (Reason::Unknown, why.unwrap_or_else(|| "critical items could not be decided".to_owned()), blocking)
            }
        }
    };
    Some(Shortfall {
        checklist: Arc::clone(checklist),
        namespace: namespace.to_owned(),
        name: checklist.metadata.name.clone().unwrap_or_default(),
        enforcement: gate.enforcement,
        decision,
        reason,
        detail: if detail.is_empty() { None } else { Some(detail) },
        blocking,
    })
}

/// What the gate's windows and soak time hold back at `now`, as a reason and the message that
/// names the window or the time left (see [`crate::engine::admission`]).
fn time_hold(
    checklist: &ReadinessChecklist,
    gate: &crate::api::Gate,
    decision: Decision,
    now: Timestamp,
) -> Option<(Reason, String)> {
    if !admission::has_time_rules(gate) {
        return None;
    }
    let history = checklist.status.as_ref().map(|s| s.history.as_slice()).unwrap_or_default();
    let hold = admission::gate_admission(gate, decision, admission::go_since(decision, history), now).hold?;
    let reason = match &hold {
        Hold::Frozen(_) | Hold::UnreadableWindow { .. } => Reason::Frozen,
        Hold::OutsideAllowedWindows(_) => Reason::OutsideWindow,
        Hold::Soaking { .. } => Reason::Soaking,
    };
    Some((reason, hold.message(now)))
}

/// Applies each shortfall's enforcement and the override annotation.
fn combine<O, P>(
    request: &AdmissionInput<'_, O, P>,
    deployment: &DeploymentView<'_>,
    workload: &str,
    shortfalls: Vec<Shortfall>,
) -> Verdict {
    let (mut enforced, rest): (Vec<Shortfall>, Vec<Shortfall>) =
        shortfalls.into_iter().partition(|s| s.enforcement == Enforcement::Enforce);
    let (warned, audited): (Vec<Shortfall>, Vec<Shortfall>) =
        rest.into_iter().partition(|s| s.enforcement == Enforcement::Warn);

    let mut warnings: Vec<String> =
        warned.iter().map(|s| format!("{}; admitted because its gate enforcement is Warn", s.describe())).collect();
    let mut effects: Vec<Effect> =
        audited.iter().map(|s| Effect::Audited { checklist: s.key(), decision: s.decision }).collect();
    let mut blocking: Vec<String> = Vec::new();
    for s in enforced.iter().chain(&warned).chain(&audited) {
        let items = if s.blocking.is_empty() { s.reason.as_str().to_owned() } else { s.blocking.join(" ") };
        blocking.push(format!("{}: {items}", s.key()));
    }

    let user = &request.user_info;
    let mut refused_note = None;
    let mut override_reason = None;
    if let Some(reason) = deployment.override_reason().filter(|_| !enforced.is_empty()) {
        let (honoured, refused): (Vec<Shortfall>, Vec<Shortfall>) = enforced.into_iter().partition(|s| {
            let groups = s.checklist.spec.gate.as_ref().map(|g| g.override_groups.as_slice()).unwrap_or_default();
            groups.iter().any(|g| user.groups.contains(g))
        });
        if refused.is_empty() {
            for s in &honoured {
                warnings.push(format!(
                    "readygate override by {} honoured for readinesschecklist {} ({}): {reason}",
                    user.username,
                    s.key(),
                    s.decision.as_str()
                ));
                effects.push(Effect::Override(Box::new(OverrideEvent {
                    checklist: s.checklist.object_ref(&()),
                    workload: workload.to_owned(),
                    user: user.username.clone(),
                    reason: reason.to_owned(),
                    decision: s.decision,
                    blocking: s.blocking.clone(),
                })));
            }
            override_reason = Some(reason.to_owned());
            enforced = Vec::new();
        } else {
            let refused_by: Vec<String> = refused
                .iter()
                .map(|s| {
                    let groups =
                        s.checklist.spec.gate.as_ref().map(|g| g.override_groups.join(", ")).unwrap_or_default();
                    let groups = if groups.is_empty() { "none".to_owned() } else { groups };
                    format!("readinesschecklist {} allows overrides by groups: {groups}", s.key())
                })
                .collect();
            refused_note = Some(format!(
                "the {OVERRIDE_ANNOTATION} annotation was not honoured: user {} is not in the override groups ({})",
                if user.username.is_empty() { "<unknown>" } else { &user.username },
                refused_by.join("; ")
            ));
            enforced = refused;
        }
    }

    let mut verdict = if let Some(first) = enforced.first() {
        let mut message = format!("{workload} may not roll out: ");
        let parts: Vec<String> = enforced.iter().map(|s| format!("{}; {}", s.describe(), s.see_also())).collect();
        message.push_str(&parts.join(". "));
        if let Some(note) = refused_note {
            message.push_str(&format!(". {note}"));
        }
        Verdict::deny(worst(&enforced).unwrap_or(first.reason), 403, message)
    } else if override_reason.is_some() {
        Verdict::allow(Reason::Override)
    } else if !warned.is_empty() {
        Verdict::allow(Reason::Warn)
    } else if !audited.is_empty() {
        Verdict::allow(Reason::Audit)
    } else {
        Verdict::allow(Reason::Go)
    };
    verdict = verdict.with_warnings(warnings);
    verdict.effects = effects;
    if !blocking.is_empty() {
        verdict.audit_annotations.insert(AUDIT_BLOCKING, bound_text(&blocking.join("; "), 1024));
    }
    if let Some(reason) = override_reason {
        verdict.audit_annotations.insert(AUDIT_OVERRIDE_REASON, bound_text(&reason, 1024));
    }
    verdict
}

/// The reason reported for a denial: NoGo, then the windows, a release mismatch, soaking, Unknown.
fn worst(shortfalls: &[Shortfall]) -> Option<Reason> {
    [Reason::NoGo, Reason::Frozen, Reason::OutsideWindow, Reason::ReleaseMismatch, Reason::Soaking, Reason::Unknown]
        .into_iter()
        .find(|r| shortfalls.iter().any(|s| s.reason == *r))
}

fn list_bounded(items: &[String]) -> String {
    if items.len() <= BLOCKING_SHOWN {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..BLOCKING_SHOWN].join(", "), items.len() - BLOCKING_SHOWN)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod time_tests;
