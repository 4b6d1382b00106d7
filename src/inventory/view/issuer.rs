//! The view of a cert-manager Issuer or ClusterIssuer (the two share their spec): which issuer
//! type it configures, what the `certificate` check's `requireAcme` rule reads. The
//! configuration itself (ACME server, solvers, CA secret...) is never judged, so it is skipped
//! unbuilt.

use serde::de::IgnoredAny;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::de::nullable;
use super::meta::Meta;
use super::shape::optional_mapping;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IssuerView {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: Meta,
    /// `None` when absent or not a mapping.
    #[serde(default, deserialize_with = "optional_mapping", skip_serializing_if = "Option::is_none")]
    pub spec: Option<IssuerSpec>,
}

view_of!(IssuerView: Issuer, ClusterIssuer);

/// The issuer types cert-manager's own Issuers configure, one key each. A key counts when it is
/// set to anything but null (null is absent, as the API server prunes it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acme: Option<Configured>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<Configured>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_signed: Option<Configured>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<Configured>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venafi: Option<Configured>,
}

impl IssuerSpec {
    /// The issuer type configured, by its key (`acme`, `selfSigned`...); ACME first, then in
    /// cert-manager's order. `None` when the spec sets none of them.
    pub fn issuer_type(&self) -> Option<&'static str> {
        [
            ("acme", &self.acme),
            ("ca", &self.ca),
            ("selfSigned", &self.self_signed),
            ("vault", &self.vault),
            ("venafi", &self.venafi),
        ]
        .into_iter()
        .find_map(|(key, set)| set.is_some().then_some(key))
    }
}

/// An issuer type's configuration: there, content unread. Written back as `{}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Configured;

impl<'de> Deserialize<'de> for Configured {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| Configured)
    }
}

impl Serialize for Configured {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

#[cfg(test)]
mod tests;
