//! `prometheus` check (being implemented).

use super::{Outcome, Scope};
use crate::api::PrometheusCheck;

pub fn evaluate(_spec: &PrometheusCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
