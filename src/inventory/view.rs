//! Typed views: per kind, a serde struct holding only the fields its checks read.
//!
//! Deserializing into a view *is* the projection: serde skips every field the struct does not
//! name without building it, so a view of a 9 KB Deployment costs a few hundred bytes and no
//! `serde_json::Value` tree ever exists for it. Literal env values are reduced on the way in
//! (whether one is there, never what it is). Checks take the view, so each field path they read
//! is checked by the compiler. A view decodes from the same text or JSON whichever way the
//! object is held (compact text offline, a `Value` in tests or for kinds not converted yet).
//!
//! A view also writes itself (`Serialize`, empty fields left out) to JSON that reads back into
//! the same view; that JSON is what the live cache keeps of an object (`inventory::live`), so
//! what the controller holds and what its checks read are one declaration.

/// Declares a struct the view of the catalogue kinds named: [`View`] over its
/// `metadata.labels`, and for a view of one kind `reference()` (`service/db`), the way messages
/// name the objects they judged. Every view has a `metadata` with `name` and `labels`; a macro
/// because a trait's default method cannot reach a field, so without it each view would repeat
/// the same impl.
macro_rules! view_of {
    ($view:ident: $kind:ident) => {
        view_of!(@impl $view: $kind);

        impl $view {
            /// `kind/name`: how messages name the objects they judged.
            pub fn reference(&self) -> String {
                let kind = $crate::inventory::kind::CatalogueKind::$kind.kind();
                format!("{}/{}", kind.to_ascii_lowercase(), self.metadata.name)
            }
        }
    };
    ($view:ident: $($kind:ident),+) => {
        view_of!(@impl $view: $($kind),+);
    };
    (@impl $view:ident: $($kind:ident),+) => {
        impl $crate::inventory::view::View for $view {
            const KINDS: &'static [$crate::inventory::kind::CatalogueKind] =
                &[$($crate::inventory::kind::CatalogueKind::$kind),+];

            fn labels(&self) -> &::std::collections::BTreeMap<String, String> {
                &self.metadata.labels
            }
        }
    };
}

pub mod binding;
pub mod certificate;
pub mod cron_job;
pub mod de;
pub mod hpa;
pub mod ingress;
pub mod issuer;
pub mod limit_range;
pub mod meta;
pub mod namespace;
pub mod network_policy;
pub mod pdb;
pub mod resource_quota;
pub mod role;
pub mod secret;
pub mod service;
pub mod shape;
pub mod signoff;
pub mod workload;

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::kind::CatalogueKind;

pub use binding::BindingView;
pub use certificate::CertificateView;
pub use cron_job::CronJobView;
pub use hpa::HpaView;
pub use ingress::IngressView;
pub use issuer::IssuerView;
pub use limit_range::LimitRangeView;
pub use namespace::NamespaceView;
pub use network_policy::NetworkPolicyView;
pub use pdb::PdbView;
pub use resource_quota::ResourceQuotaView;
pub use role::RoleView;
pub use secret::SecretView;
pub use service::ServiceView;
pub use signoff::SignoffView;
pub use workload::WorkloadView;

/// A typed view of some catalogue kinds. `KINDS` declares which (each with its group,
/// version, plural and scope in [`CatalogueKind::info`]).
pub trait View: DeserializeOwned + Serialize + PartialEq + Send + Sync + 'static {
    const KINDS: &'static [CatalogueKind];

    /// `metadata.labels`, which label selectors match.
    fn labels(&self) -> &BTreeMap<String, String>;
}

/// Why an object could not be read into its view: which object, where, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{object}: {path}: {message}")]
pub struct ViewError {
    /// `deployment/api`.
    pub object: String,
    /// The field, as a dotted path (`spec.template.spec.containers`).
    pub path: String,
    pub message: String,
}

impl ViewError {
    fn new(object: String, error: serde_path_to_error::Error<serde_json::Error>) -> Self {
        ViewError { object, path: error.path().to_string(), message: error.into_inner().to_string() }
    }
}

/// Reads `V` from an object's JSON text. `object` names it in the error.
pub fn from_text<V: View>(text: &str, object: impl FnOnce() -> String) -> Result<V, ViewError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| ViewError::new(object(), e))
}

/// Reads `V` from an object's JSON tree (borrowed: nothing of it is cloned but what `V` keeps).
pub fn from_value<V: View>(value: &Value, object: impl FnOnce() -> String) -> Result<V, ViewError> {
    serde_path_to_error::deserialize(value).map_err(|e| ViewError::new(object(), e))
}
