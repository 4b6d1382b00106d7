//! `rbac` check (being implemented).

use super::{Outcome, Scope};
use crate::api::RbacCheck;

pub fn evaluate(_spec: &RbacCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
