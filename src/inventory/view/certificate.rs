//! The view of a cert-manager Certificate (`cert-manager.io/v1`): what the `certificate` check
//! reads, and nothing else.
//!
//! Every field is read leniently, as the check read them from JSON before views existed: a
//! `spec` or `issuerRef` that is not a mapping reads as empty, a field of the wrong type as unset,
//! and a condition that is not a mapping as one that says nothing. Whether a Certificate has been processed at
//! all is whether its `status` is a non-empty mapping (see [`CertificateView::status`]).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Number, Value};

use super::de::{lenient, nullable};
use super::meta::is_default;
use super::shape::string_map;
use super::shape::{mapping, mappings};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificateView {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: CertificateMetadata,
    #[serde(default, deserialize_with = "mapping", skip_serializing_if = "is_default")]
    pub spec: CertificateSpec,
    /// `None` when absent or not a non-empty mapping: cert-manager has not processed the
    /// Certificate yet (or, offline, the manifests carry no status).
    #[serde(default, deserialize_with = "filled", skip_serializing_if = "Option::is_none")]
    pub status: Option<CertificateStatus>,
}

view_of!(CertificateView: Certificate);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificateMetadata {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// What the Ready condition's `observedGeneration` is compared with.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    #[serde(default, deserialize_with = "string_map", skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    /// As written (a Go duration): messages show it, nothing computes with it.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub renew_before: Option<String>,
    /// Any JSON number, shown as written.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub renew_before_percentage: Option<Number>,
    #[serde(default, deserialize_with = "mapping", skip_serializing_if = "is_default")]
    pub issuer_ref: CertificateIssuerRef,
}

/// `spec.issuerRef` as written; cert-manager's defaults (group `cert-manager.io`, kind `Issuer`)
/// are the check's to apply.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificateIssuerRef {
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateStatus {
    /// Always written, even empty: a status holding nothing the check reads (`{conditions: []}`,
    /// or only fields outside this view) still says the Certificate was processed, and must read
    /// back as a status.
    #[serde(default, deserialize_with = "mappings")]
    pub conditions: Vec<Condition>,
    /// As written: messages show it, and an unreadable one is reported as such.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
}

impl CertificateStatus {
    /// The first condition of type `Ready`.
    pub fn ready(&self) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.kind.as_deref() == Some("Ready"))
    }
}

/// A status condition. Text fields read as unset unless they are strings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(default, rename = "type", deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// A non-empty mapping read as `T`; `None` for an empty one or anything else.
fn filled<'de, D: Deserializer<'de>, T: DeserializeOwned>(deserializer: D) -> Result<Option<T>, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Object(map) if !map.is_empty() => Ok(T::deserialize(Value::Object(map)).ok()),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests;
