//! `cron_job` check (being implemented).

use super::{Outcome, Scope};
use crate::api::CronJobCheck;

pub fn evaluate(_spec: &CronJobCheck, _scope: &Scope<'_>) -> Outcome {
    Outcome::error("not implemented yet")
}
