//! `service` check (being implemented).

use super::{Outcome, Scope};
use crate::api::ServiceCheck;

pub fn evaluate(_spec: &ServiceCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
