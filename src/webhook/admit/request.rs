//! The parts of an `AdmissionRequest` the decisions read, borrowed from the request body.
//!
//! Objects are generic: raw JSON (`&RawValue`) by default, parsed later by the decision, or a
//! partial view read in the same pass as the envelope (the hot `/validate/workloads` path), so a
//! request body is scanned once.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// `AdmissionRequest` (admission.k8s.io/v1), partially: unknown fields are skipped. `O` and `P`
/// are how `object` and `oldObject` are read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionInput<'a, O = &'a RawValue, P = O> {
    #[serde(borrow)]
    pub uid: Cow<'a, str>,
    #[serde(borrow)]
    pub kind: Gvk<'a>,
    #[serde(default, borrow)]
    pub sub_resource: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub namespace: Option<Cow<'a, str>>,
    pub operation: Operation,
    #[serde(default, deserialize_with = "nullable")]
    pub user_info: UserInfo,
    #[serde(default = "absent")]
    pub object: Option<O>,
    #[serde(default = "absent")]
    pub old_object: Option<P>,
    #[serde(default, deserialize_with = "nullable")]
    pub dry_run: bool,
}

/// Group, version and kind of the object as the webhook received it.
#[derive(Debug, Default, Deserialize)]
pub struct Gvk<'a> {
    #[serde(default, borrow)]
    pub group: Cow<'a, str>,
    #[serde(default, borrow)]
    pub version: Cow<'a, str>,
    #[serde(default, borrow)]
    pub kind: Cow<'a, str>,
}

impl Gvk<'_> {
    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.group == group && self.kind == kind
    }
}

/// `apps/v1 Deployment`, `v1 Pod`: for messages and logs (written straight into the log line,
/// without a string of its own per request).
impl std::fmt::Display for Gvk<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.group.is_empty() {
            write!(f, "{} {}", self.version, self.kind)
        } else {
            write!(f, "{}/{} {}", self.group, self.version, self.kind)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Operation {
    Create,
    Update,
    Delete,
    Connect,
    /// Anything else: Kubernetes defines no other operation, so such a request is not gated.
    #[serde(other)]
    Other,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
            Operation::Other => "OTHER",
        }
    }
}

/// `request.userInfo`: who asks.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UserInfo {
    #[serde(default, deserialize_with = "nullable")]
    pub username: String,
    #[serde(default, deserialize_with = "nullable")]
    pub groups: Vec<String>,
}

impl<O, P> AdmissionInput<'_, O, P> {
    /// The request's namespace ("" for cluster-scoped objects).
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or_default()
    }

    /// The object name; empty on a CREATE that relies on `generateName`.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }
}

impl<'a> AdmissionInput<'a> {
    /// Parses a request from JSON (the value of `AdmissionReview.request`).
    pub fn parse(raw: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(raw)
    }
}

/// A missing object (DELETE has no `object`, CREATE no `oldObject`), without requiring `Default`
/// of the object type.
fn absent<T>() -> Option<T> {
    None
}

/// Kubernetes serializes empty lists and strings as `null` or omits them; both mean "default".
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_request_and_keeps_objects_raw() {
        let raw = r#"{"uid":"u1","kind":{"group":"apps","version":"v1","kind":"Deployment"},
            "resource":{"group":"apps","version":"v1","resource":"deployments"},
            "namespace":"shop","name":"api","operation":"UPDATE",
            "userInfo":{"username":"alice","groups":["dev"]},
            "object":{"spec":{"template":{"a":1}}},"oldObject":null,"dryRun":true}"#;
        let request = AdmissionInput::parse(raw).expect("parses");
        assert_eq!(request.uid, "u1");
        assert!(request.kind.is("apps", "Deployment"));
        assert_eq!(request.operation, Operation::Update);
        assert_eq!(request.user_info.groups, ["dev"]);
        assert_eq!(request.object.map(RawValue::get), Some(r#"{"spec":{"template":{"a":1}}}"#));
        assert!(request.old_object.is_none());
        assert!(request.dry_run);
    }

    #[test]
    fn unknown_operations_and_null_user_fields_are_tolerated() {
        let raw = r#"{"uid":"u1","kind":{"kind":"X"},"operation":"operationValue","userInfo":{"groups":null}}"#;
        let request = AdmissionInput::parse(raw).expect("parses");
        assert_eq!(request.operation, Operation::Other);
        assert!(request.user_info.groups.is_empty());
        assert_eq!(request.namespace(), "");
    }

    #[test]
    fn a_request_without_uid_is_an_error() {
        assert!(AdmissionInput::parse(r#"{"kind":{},"operation":"CREATE"}"#).is_err());
    }
}
