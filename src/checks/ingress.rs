//! `ingress` check (being implemented).

use super::{Outcome, Scope};
use crate::api::IngressCheck;

pub fn evaluate(_spec: &IngressCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
