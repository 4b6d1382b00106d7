//! `certificate` check (being implemented).

use super::{Outcome, Scope};
use crate::api::CertificateCheck;

pub fn evaluate(_spec: &CertificateCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
