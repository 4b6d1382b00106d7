//! `access` assertions: "subject may (or may not) do this in the checklist's namespace", judged
//! by the authorizer, with the granting binding and role named in the message.

use super::authorizer::Authorizer;
use super::rules::ResourceRequest;
use super::subjects::Requester;
use crate::api::{AccessAssertion, SubjectKind};

/// One assertion, ready to authorize.
pub(super) struct Question {
    who: Requester,
    subject: String,
    request: ResourceRequest,
    expected: bool,
}

/// Turns an assertion into a question. Its spec obeys `checks::spec::rbac` (checked first).
pub(super) fn question(assertion: &AccessAssertion, namespace: &str) -> Question {
    let subject = &assertion.subject;
    // `resource: deployments/scale` is how kubectl spells a subresource; accept it.
    let (resource, subresource) = match (assertion.resource.split_once('/'), assertion.subresource.as_deref()) {
        (Some((resource, sub)), _) => (resource.to_owned(), sub.to_owned()),
        (None, sub) => (assertion.resource.clone(), sub.unwrap_or_default().to_owned()),
    };
    let (who, subject_text) = match subject.kind {
        SubjectKind::User => (Requester::user(&subject.name), format!("User {}", subject.name)),
        SubjectKind::Group => (Requester::group(&subject.name), format!("Group {}", subject.name)),
        SubjectKind::ServiceAccount => {
            let ns = subject.namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(namespace);
            (Requester::service_account(ns, &subject.name), format!("ServiceAccount {ns}/{}", subject.name))
        }
    };
    Question {
        who,
        subject: subject_text,
        request: ResourceRequest {
            verb: assertion.verb.clone(),
            api_group: assertion.api_group.clone(),
            resource,
            subresource,
            name: assertion.resource_name.clone().unwrap_or_default(),
        },
        expected: assertion.allowed,
    }
}

/// `Ok(note)` when the assertion holds, `Err(problem)` when it does not.
pub(super) fn judge(question: &Question, authorizer: &Authorizer<'_>) -> Result<String, String> {
    let verdict = authorizer.authorize(&question.who, &question.request);
    let action = question.request.describe();
    let mut sentence = match &verdict.grant {
        Some(grant) => format!("{} can {action} (via {} -> {})", question.subject, grant.binding, grant.role),
        None => format!("{} cannot {action}", question.subject),
    };
    if !verdict.missing_roles.is_empty() {
        // Kubernetes ignores such bindings too, but offline the role may simply not be in the
        // manifests given (admin, edit, view ship with the cluster).
        sentence.push_str(&format!(" (not judged, role missing: {})", super::list(&verdict.missing_roles)));
    }
    match (verdict.allowed(), question.expected) {
        (true, true) | (false, false) => Ok(sentence),
        (true, false) => Err(format!("{sentence} but allowed: false")),
        (false, true) => Err(sentence),
    }
}
