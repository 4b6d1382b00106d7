//! `resource_quota` check (being implemented).

use super::{Outcome, Scope};
use crate::api::ResourceQuotaCheck;

pub fn evaluate(_spec: &ResourceQuotaCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
