//! `resource` check (being implemented).

use super::{Outcome, Scope};
use crate::api::ResourceCheck;

pub fn evaluate(_spec: &ResourceCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
