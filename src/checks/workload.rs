//! `workload` check (being implemented).

use super::{Outcome, Scope};
use crate::api::WorkloadCheck;

pub fn evaluate(_spec: &WorkloadCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
