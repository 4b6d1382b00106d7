//! `hpa` check (being implemented).

use super::{Outcome, Scope};
use crate::api::HpaCheck;

pub fn evaluate(_spec: &HpaCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
