//! `network_policy` check (being implemented).

use super::{Outcome, Scope};
use crate::api::NetworkPolicyCheck;

pub fn evaluate(_spec: &NetworkPolicyCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
