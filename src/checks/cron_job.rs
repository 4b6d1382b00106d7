//! `cronJob`: CronJobs (`batch/v1`) that run often enough, are not suspended, and succeeded
//! recently.
//!
//! Which CronJobs: `name`, or `selector`, or every CronJob of the namespace. `maxInterval` is an
//! existence rule ("backups run at least daily"): some judged CronJob that is not suspended has
//! a schedule whose longest gap between runs stays within it. The other rules hold for every
//! judged CronJob: not suspended (unless `allowSuspended`), a valid schedule, a last success
//! within `lastSuccessWithin`.
//!
//! An invalid schedule or time zone fails naming the CronJob: the object is what is broken (the
//! controller cannot run it), not the checklist. Offline, a CronJob without `status` cannot
//! prove its last success: that part is Skipped while the schedule rules still decide.

use super::findings::Findings;
use super::schedule::{self, Gap, ScheduleError};
use super::{KubeVersion, Mode, Outcome, Scope, select_views};
use crate::api::CronJobCheck;
use crate::inventory::kinds;
use crate::inventory::view::CronJobView;

/// A CronJob whose schedule could be analysed, for the `maxInterval` rule.
struct Candidate {
    reference: String,
    schedule: String,
    gap: Gap,
    suspended: bool,
}

pub fn evaluate(spec: &CronJobCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::cron_job(spec)) {
        return refused;
    }
    let cron_jobs =
        match select_views::<CronJobView>(scope, kinds::CRON_JOB, spec.name.as_deref(), spec.selector.as_ref()) {
            Ok(selected) => selected,
            Err(e) => return Outcome::error(e),
        };
    // Each CronJob is read, judged and dropped in turn.
    let mut judged = 0usize;
    let mut findings = Findings::default();
    let mut candidates = Vec::new();
    for cron_job in cron_jobs {
        let cron_job = match cron_job {
            Ok(cron_job) => cron_job,
            Err(e) => return Outcome::error(e.to_string()),
        };
        judged += 1;
        if let Some(candidate) = judge(&cron_job, spec, scope, &mut findings) {
            candidates.push(candidate);
        }
    }
    if judged == 0 {
        return Outcome::failed(match (&spec.name, &spec.selector) {
            (Some(name), _) => format!("no CronJob named {name} in namespace {}", scope.namespace),
            (None, Some(s)) => {
                format!(
                    "no CronJob matches {} in namespace {}",
                    crate::inventory::selector::describe(s),
                    scope.namespace
                )
            }
            (None, None) => format!("no CronJob in namespace {}", scope.namespace),
        });
    }
    if let Some(max) = &spec.max_interval {
        judge_interval(&candidates, max, &mut findings);
    }
    findings.into_outcome()
}

/// The per-CronJob rules; returns the CronJob as a `maxInterval` candidate when its schedule is
/// valid.
fn judge(cron_job: &CronJobView, spec: &CronJobCheck, scope: &Scope<'_>, findings: &mut Findings) -> Option<Candidate> {
    let reference = cron_job.reference();
    if let Some(problem) = removed_api_version(cron_job, scope.facts.server_version) {
        findings.fail(problem);
    }
    let suspended = cron_job.spec.is_suspended();
    if suspended && !spec.allow_suspended {
        findings.fail(format!("{reference} is suspended (spec.suspend: true)"));
    }
    if let Some(within) = &spec.last_success_within {
        judge_last_success(cron_job, within, scope, findings);
    }
    let Some(text) = cron_job.spec.schedule.as_deref() else {
        findings.fail(format!("{reference} has no spec.schedule"));
        return None;
    };
    let time_zone = cron_job.spec.time_zone.as_deref();
    let analysis = match schedule::analyze(text, time_zone, scope.now) {
        Ok(analysis) => analysis,
        Err(ScheduleError::Invalid(why)) => {
            findings.fail(format!("{reference} has an invalid schedule {text:?}: {why}"));
            return None;
        }
        Err(ScheduleError::NoTimeZoneDatabase(why)) => {
            findings.error(format!("{reference}: {why}"));
            return None;
        }
    };
    let mut described = format!("{text:?} {}", analysis.zone);
    if analysis.legacy_prefix {
        described.push_str(" (TZ in schedule is not officially supported; use spec.timeZone)");
    }
    if spec.max_interval.is_none() && spec.last_success_within.is_none() {
        let state = if suspended { ", suspended (allowed)" } else { "" };
        findings.verified(format!("{reference} schedule {described}{state}"));
    }
    Some(Candidate { reference, schedule: described, gap: analysis.gap, suspended })
}

/// Kubernetes stopped serving `batch/v1beta1` CronJobs in 1.25: such a manifest no longer
/// applies, unless the server is known to be older.
fn removed_api_version(cron_job: &CronJobView, server: Option<KubeVersion>) -> Option<String> {
    let removed = matches!(cron_job.api_version.as_str(), "batch/v1beta1" | "batch/v2alpha1");
    let old_server = server.is_some_and(|v| v < KubeVersion { major: 1, minor: 25, patch: 0 });
    (removed && !old_server).then(|| {
        format!(
            "{} uses {}, which Kubernetes no longer serves since 1.25 (use batch/v1)",
            cron_job.reference(),
            cron_job.api_version
        )
    })
}

fn judge_last_success(
    cron_job: &CronJobView,
    within: &crate::api::Duration,
    scope: &Scope<'_>,
    findings: &mut Findings,
) {
    let reference = cron_job.reference();
    let Some(text) = cron_job.status.last_successful_time.as_deref() else {
        if scope.facts.mode == Mode::Offline && !cron_job.status.reported {
            findings.unprovable(format!("{reference} last success (no status in the manifests)"));
        } else {
            findings.fail(format!("{reference} never succeeded (no status.lastSuccessfulTime)"));
        }
        return;
    };
    let Ok(at) = text.parse::<jiff::Timestamp>() else {
        findings.fail(format!("{reference} has an unreadable status.lastSuccessfulTime {text:?}"));
        return;
    };
    // A success stamped in the future (clock skew) is as recent as it gets.
    let age = scope.now.duration_since(at).as_secs().max(0);
    let age_text = schedule::format_secs(age);
    if jiff::SignedDuration::from_secs(age) <= within.as_span() {
        findings.verified(format!("{reference} last succeeded {age_text} ago (within {within})"));
    } else {
        findings.fail(format!("{reference} last succeeded {age_text} ago ({text}), needs within {within}"));
    }
}

/// Some candidate that is not suspended must never leave a gap longer than `max`.
fn judge_interval(candidates: &[Candidate], max: &crate::api::Duration, findings: &mut Findings) {
    if candidates.is_empty() {
        // Every judged CronJob already failed (or errored) on its schedule.
        return;
    }
    let fits = |c: &&Candidate| {
        !c.suspended
            && matches!(c.gap, Gap::AtMost(secs) if u128::from(secs.unsigned_abs()) * 1_000_000_000 <= max.as_std().as_nanos())
    };
    if let Some(best) = candidates.iter().filter(fits).min_by_key(|c| match c.gap {
        Gap::AtMost(secs) => secs,
        Gap::Never => i64::MAX,
    }) {
        let Gap::AtMost(secs) = best.gap else { return };
        findings.verified(format!(
            "{} runs at least every {} ({}, maxInterval {max})",
            best.reference,
            schedule::format_secs(secs),
            best.schedule
        ));
        return;
    }
    let reasons: Vec<String> = candidates
        .iter()
        .map(|c| match c.gap {
            _ if c.suspended => format!("{} is suspended", c.reference),
            Gap::Never => format!("{} never runs ({} matches no date)", c.reference, c.schedule),
            Gap::AtMost(secs) => {
                format!("{} can wait {} between runs ({})", c.reference, schedule::format_secs(secs), c.schedule)
            }
        })
        .collect();
    findings.fail(format!("no CronJob runs at least every {max}: {}", reasons.join(", ")));
}

#[cfg(test)]
mod tests;
