//! The view of a ReadinessSignoff as the engine weighs it (`engine::signoffs`): its spec, in the
//! API type itself ([`ReadinessSignoffSpec`], the one declaration of its fields), and when it
//! was made.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::de::{lenient, nullable};
use super::shape::string_map;
use crate::api::ReadinessSignoffSpec;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignoffView {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: SignoffMetadata,
    /// `None` when absent or not a valid spec (a missing field, an unknown action...): such a
    /// sign-off never counts. The admission webhook and the CRD schema refuse them; offline
    /// manifests may still hold one.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub spec: Option<ReadinessSignoffSpec>,
}

view_of!(SignoffView: ReadinessSignoff);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignoffMetadata {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// When the sign-off was made, which the waiver and lead-time rules compare; `None` when
    /// absent or not an RFC 3339 timestamp.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<Timestamp>,
    #[serde(default, deserialize_with = "string_map", skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests;
