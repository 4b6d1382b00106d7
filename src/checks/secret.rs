//! `secret` check (being implemented).

use super::{Outcome, Scope};
use crate::api::SecretCheck;

pub fn evaluate(_spec: &SecretCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
