//! `/validate/signoffs`: a ReadinessSignoff must be made by its signer, for an item that exists
//! and accepts that action, for the checklist's release, and never change afterwards.

use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::request::nullable;
use super::{AdmissionInput, Operation, Reason, Verdict};
use crate::api::{Check, ChecklistItem, GROUP, ReadinessChecklist, ReadinessSignoffSpec};
use crate::engine::signoff_rules::{self, NotCounted};
use crate::webhook::state::ChecklistView;

#[derive(Debug, Deserialize)]
struct SignoffView {
    #[serde(default, deserialize_with = "nullable")]
    metadata: Metadata,
    spec: serde_json::Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    creation_timestamp: Option<Time>,
}

/// Decides a ReadinessSignoff admission.
pub fn decide(request: &AdmissionInput<'_>, checklists: &dyn ChecklistView, now: Timestamp) -> Verdict {
    if !request.kind.is(GROUP, "ReadinessSignoff") {
        return Verdict::allow(Reason::UnsupportedKind);
    }
    if !matches!(request.operation, Operation::Create | Operation::Update) {
        return Verdict::allow(Reason::NotGated);
    }
    let Some(object) = request.object else {
        return Verdict::deny(Reason::Malformed, 400, "the admission request carries no object to judge");
    };
    let signoff = match read(object) {
        Ok(signoff) => signoff,
        Err(message) => return Verdict::deny(Reason::Invalid, 422, message),
    };
    let display = format!("readinesssignoff/{}", signoff.metadata.name.as_deref().unwrap_or(request.name()));

    if request.operation == Operation::Update {
        // Identity and rules were judged at creation; an update may only touch metadata.
        let old_spec = request.old_object.and_then(|old| read(old).ok()).map(|old| old.spec);
        if old_spec.as_ref() == Some(&signoff.spec) {
            return Verdict::allow(Reason::Valid);
        }
        return Verdict::deny(
            Reason::Immutable,
            422,
            format!("{display}: spec is immutable; delete the sign-off and create a new one"),
        );
    }

    let spec: ReadinessSignoffSpec = match serde_json::from_value(signoff.spec.clone()) {
        Ok(spec) => spec,
        Err(error) => return Verdict::deny(Reason::Invalid, 422, format!("{display}: spec: {error}")),
    };
    let identity = identity_problems(&spec, request);
    if !identity.is_empty() {
        return Verdict::deny(Reason::Identity, 403, format!("{display}: {}", identity.join("; ")));
    }

    let namespace = request.namespace();
    let checklist = checklists
        .in_namespace(namespace)
        .into_iter()
        .find(|c| c.metadata.name.as_deref() == Some(spec.checklist.as_str()));
    let Some(checklist) = checklist else {
        return Verdict::deny(
            Reason::Invalid,
            422,
            format!("{display}: spec.checklist: readinesschecklist {namespace}/{} not found", spec.checklist),
        );
    };
    let created = signoff.metadata.creation_timestamp.map_or(now, |t| t.0);
    let (problems, warnings) = rule_problems(&spec, &checklist, created, now);
    if problems.is_empty() {
        Verdict::allow(Reason::Valid).with_warnings(warnings)
    } else {
        Verdict::deny(Reason::Invalid, 422, format!("{display}: {}", problems.join("; "))).with_warnings(warnings)
    }
}

fn read(object: &RawValue) -> Result<SignoffView, String> {
    serde_json::from_str(object.get()).map_err(|e| format!("cannot read the ReadinessSignoff: {e}"))
}

/// `spec.signer` must be exactly who sends the request: same username, and no group the user
/// does not have.
fn identity_problems(spec: &ReadinessSignoffSpec, request: &AdmissionInput<'_>) -> Vec<String> {
    let user = &request.user_info;
    let mut problems = Vec::new();
    if spec.signer.username != user.username {
        problems.push(format!(
            "spec.signer.username is {:?} but the request is made by {:?}: a sign-off must be created by its signer",
            spec.signer.username, user.username
        ));
    }
    let foreign: Vec<&str> =
        spec.signer.groups.iter().filter(|g| !user.groups.contains(g)).map(String::as_str).collect();
    if !foreign.is_empty() {
        problems.push(format!(
            "spec.signer.groups lists {} that user {:?} does not belong to",
            foreign.join(", "),
            user.username
        ));
    }
    problems
}

/// The item-level rules; returns (problems, warnings). Whether the sign-off would count is
/// [`signoff_rules::problems`] at the time of the request, the rule the controller and
/// `readygate check` apply; one that would not count is refused, except an approval by
/// someone who is not (or not yet) an approver, which is only warned about.
fn rule_problems(
    spec: &ReadinessSignoffSpec,
    checklist: &Arc<ReadinessChecklist>,
    created: Timestamp,
    now: Timestamp,
) -> (Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let checklist_name = checklist.metadata.name.as_deref().unwrap_or_default();
    let Some(item) = checklist.spec.items.iter().find(|i| i.name == spec.item) else {
        if spec.release != checklist.spec.release {
            problems.push(release_problem(spec.release.as_deref(), checklist.spec.release.as_deref(), checklist_name));
        }
        let names: Vec<&str> = checklist.spec.items.iter().take(20).map(|i| i.name.as_str()).collect();
        problems.push(format!(
            "spec.item: readinesschecklist {checklist_name} has no item {:?} (items: {})",
            spec.item,
            names.join(", ")
        ));
        return (problems, warnings);
    };
    let signer = &spec.signer;
    for problem in signoff_rules::problems(checklist.spec.release.as_deref(), item, spec, Some(created), now) {
        let name = &item.name;
        match problem {
            NotCounted::NotApprover => warnings.push(format!(
                "{} is not an approver of item {name}: the controller will not count this approval",
                signer.username
            )),
            NotCounted::OtherRelease { signed, checklist: release } => {
                problems.push(release_problem(signed.as_deref(), release.as_deref(), checklist_name))
            }
            NotCounted::Expired(expires) => problems.push(format!("spec.expiresAt {expires} is not in the future")),
            NotCounted::ApproveNotManual { check } => problems.push(format!(
                "spec.action: Approve is only for manual items; item {name} is a {check} check (use Waive if it may be \
                 waived)"
            )),
            NotCounted::NotWaivable if matches!(item.check, Check::Manual(_)) => problems.push(format!(
                "spec.action: item {name} cannot be waived (it has no waivableBy): a manual item is approved by one \
                 of its approvers, never waived (approvals are personal)"
            )),
            NotCounted::NotWaivable => {
                problems.push(format!("spec.action: item {name} cannot be waived (it has no waivableBy)"))
            }
            NotCounted::ManualNotWaivable => problems.push(format!(
                "spec.action: item {name} is manual: it is approved by one of its approvers, never waived \
                 (approvals are personal)"
            )),
            NotCounted::NotAllowedToWaive => problems.push(format!(
                "spec.action: user {} is not allowed to waive item {name} (see its waivableBy)",
                signer.username
            )),
            NotCounted::NoExpiry { max_validity } => problems.push(format!(
                "spec.expiresAt: required: waivers of item {name} must expire within {max_validity} \
                 (waiver.maxValidity)"
            )),
            NotCounted::ExpiresTooLate { expires, limit, max_validity } => problems.push(format!(
                "spec.expiresAt {expires} is later than item {name} allows ({limit}: waiver.maxValidity {max_validity})"
            )),
            NotCounted::NoTicket => problems.push(format!(
                "spec.ticket: required: waivers of item {name} must name a ticket (waiver.requireTicket)"
            )),
            other @ (NotCounted::OlderThan(_) | NotCounted::NoCreationTime { .. }) => {
                problems.push(format!("spec: the sign-off would not count: {other}"))
            }
        }
    }
    // An approval may not be set to outlive what the item allows, even though it stops
    // counting at validFor anyway: the object should not promise more.
    if let Some(expires) = &spec.expires_at
        && expires.0 > now
    {
        problems.extend(valid_for_problem(expires.0, item, created));
    }
    (problems, warnings)
}

fn release_problem(signed: Option<&str>, release: Option<&str>, checklist_name: &str) -> String {
    format!(
        "spec.release is {} but readinesschecklist {checklist_name} is for release {}",
        describe_release(signed),
        describe_release(release)
    )
}

fn valid_for_problem(expires: Timestamp, item: &ChecklistItem, created: Timestamp) -> Option<String> {
    let Check::Manual(manual) = &item.check else { return None };
    let valid_for = manual.valid_for.as_ref()?;
    let limit = created.checked_add(valid_for.as_span()).ok()?;
    (expires > limit).then(|| {
        format!("spec.expiresAt {expires} is later than item {} allows ({limit}: validFor {valid_for})", item.name)
    })
}

fn describe_release(release: Option<&str>) -> String {
    release.map_or_else(|| "<none>".to_owned(), |r| format!("{r:?}"))
}

#[cfg(test)]
#[path = "signoffs_tests.rs"]
mod tests;
