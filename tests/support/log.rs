//! The request log: what clients asked for, so tests can count status writes, event creates, relists.

use serde_json::Value;

/// What a request did, classified the way the API server's audit log and RBAC see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
    /// `/api`, `/apis`, `/apis/{group}/{version}`, `/version`, health endpoints.
    Discovery,
    /// Anything not routable to a resource.
    Other,
}

/// One HTTP request as the double saw it.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: String,
    pub verb: Verb,
    /// API group (empty for core) and version, when the path names a resource.
    pub group: String,
    pub version: String,
    /// Plural resource name, e.g. `deployments`.
    pub resource: Option<String>,
    /// `status` or `scale`.
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// The `fieldManager` query parameter.
    pub field_manager: Option<String>,
    /// For PATCH: `merge`, `json`, `strategic` or `apply`.
    pub patch_type: Option<&'static str>,
    pub content_type: Option<String>,
    pub user_agent: Option<String>,
    /// Parsed request body, when it was JSON (or YAML for apply).
    pub body: Option<Value>,
    /// HTTP status of the answer (200 for a watch that started streaming).
    pub status: u16,
}

impl RequestRecord {
    /// True for a write (update, patch) to the `status` subresource.
    pub fn is_status_write(&self) -> bool {
        self.subresource.as_deref() == Some("status") && matches!(self.verb, Verb::Update | Verb::Patch)
    }

    /// True when this request is `verb` on `resource` (plural), e.g. `is(Verb::Create, "events")`.
    pub fn is(&self, verb: Verb, resource: &str) -> bool {
        self.verb == verb && self.resource.as_deref() == Some(resource)
    }

    /// The value of a query parameter, percent-decoded.
    pub fn query_param(&self, key: &str) -> Option<String> {
        super::route::query_pairs(&self.query).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}
