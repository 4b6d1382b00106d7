//! Failures as the API server reports them: `Status` objects with the right code and reason.

use serde_json::{Value, json};

/// A failed request. Rendered as a `kind: Status` body, which is what kube-rs parses into
/// `kube::Error::Api`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
    /// Seconds for a `Retry-After` header (429 and 503 answers).
    pub retry_after: Option<u64>,
}

/// Names a resource the way the server's messages do: `deployments.apps "web"`.
pub struct Subject<'a> {
    pub group: &'a str,
    /// The plural resource name; the server puts it in `details.kind`.
    pub plural: &'a str,
    pub name: &'a str,
}

impl Subject<'_> {
    fn qualified(&self) -> String {
        if self.group.is_empty() { self.plural.to_string() } else { format!("{}.{}", self.plural, self.group) }
    }

    fn details(&self) -> Value {
        json!({"name": self.name, "group": self.group, "kind": self.plural})
    }
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError { code, reason, message: message.into(), details: None, retry_after: None }
    }

    pub fn not_found(s: &Subject) -> Self {
        let mut e = Self::new(404, "NotFound", format!("{} \"{}\" not found", s.qualified(), s.name));
        e.details = Some(s.details());
        e
    }

    pub fn already_exists(s: &Subject) -> Self {
        let msg = format!("{} \"{}\" already exists", s.qualified(), s.name);
        let mut e = Self::new(409, "AlreadyExists", msg);
        e.details = Some(s.details());
        e
    }

    /// The optimistic-concurrency failure every controller must retry on.
    pub fn conflict(s: &Subject, why: &str) -> Self {
        let msg = format!("Operation cannot be fulfilled on {} \"{}\": {why}", s.qualified(), s.name);
        let mut e = Self::new(409, "Conflict", msg);
        e.details = Some(s.details());
        e
    }

    pub fn stale_resource_version(s: &Subject) -> Self {
        Self::conflict(s, "the object has been modified; please apply your changes to the latest version and try again")
    }

    /// 422: the object fails validation. `kind` is the object's Kind, as in real messages.
    pub fn invalid(kind: &str, name: &str, field: &str, why: &str) -> Self {
        let msg = format!("{kind} \"{name}\" is invalid: {field}: {why}");
        let mut e = Self::new(422, "Invalid", msg);
        e.details = Some(json!({
            "name": name, "kind": kind,
            "causes": [{"reason": "FieldValueInvalid", "message": why, "field": field}],
        }));
        e
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn method_not_allowed(method: &str) -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({method})"),
        )
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {content_type:?})"
            ),
        )
    }

    /// 410 Gone: the resourceVersion or continue token predates the retained history.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn not_found_path(path: &str) -> Self {
        Self::new(404, "NotFound", format!("the server could not find the requested resource ({path})"))
    }

    /// An injected failure with the reason the real server uses for that code.
    pub fn for_code(code: u16) -> Self {
        let (reason, message) = match code {
            400 => ("BadRequest", "injected bad request"),
            401 => ("Unauthorized", "Unauthorized"),
            403 => ("Forbidden", "injected: forbidden"),
            404 => ("NotFound", "injected: not found"),
            409 => ("Conflict", "injected: conflict"),
            410 => ("Expired", "injected: resource version too old"),
            429 => ("TooManyRequests", "injected: too many requests, please try again later"),
            503 => ("ServiceUnavailable", "injected: the server is currently unable to handle the request"),
            504 => ("Timeout", "injected: the server was unable to return a response in the time allotted"),
            _ => ("InternalError", "Internal error occurred: injected failure"),
        };
        let mut e = Self::new(code, reason, message);
        if matches!(code, 429 | 503) {
            // Retry-After: 1 is what priority-and-fairness sends; kube-rs' retry layer honours it.
            e.retry_after = Some(1);
            e.details = Some(json!({"retryAfterSeconds": 1}));
        }
        e
    }

    pub fn to_status(&self) -> Value {
        let mut s = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": self.message,
            "reason": self.reason, "code": self.code,
        });
        if let Some(d) = &self.details {
            s["details"] = d.clone();
        }
        s
    }
}

/// A field-manager conflict from server-side apply, in the shape kubectl and kube-rs show.
pub fn apply_conflict(conflicts: &[(String, String)]) -> ApiError {
    let list: Vec<String> =
        conflicts.iter().map(|(manager, field)| format!("conflict with \"{manager}\": {field}")).collect();
    let n = conflicts.len();
    let plural = if n == 1 { "" } else { "s" };
    let msg = format!("Apply failed with {n} conflict{plural}: {}", list.join("; "));
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(manager, field)| {
            json!({"type": "FieldManagerConflict", "message": format!("conflict with \"{manager}\""), "field": field})
        })
        .collect();
    let mut e = ApiError::new(409, "Conflict", msg);
    e.details = Some(json!({"causes": causes}));
    e
}
