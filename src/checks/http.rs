//! `http` check (being implemented).

use super::{Outcome, Scope};
use crate::api::HttpCheck;

pub fn evaluate(_spec: &HttpCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
