//! One reconcile: gather facts, evaluate with the pure engine, write status only when it
//! changed (or needs a staleness refresh), announce changes with Events, record metrics.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::events::Recorder;
use kube::runtime::reflector::Store;
use tokio_util::sync::CancellationToken;

use super::backoff::CappedBackoff;
use super::cache::{Cache, Change};
use super::evaluator::{Deadline, EvaluationSettings, Unfinished};
use super::leader::Leader;
use super::watch_set::WatchSet;
use super::wiring::{self, Wiring};
use super::{events, governance, report_export, status, unfinished};
use crate::api::{ReadinessChecklist, ReadinessChecklistStatus};
use crate::checks::{ChecklistReads, Facts};
use crate::engine;
use crate::inventory::{Kind, kinds};
use crate::metrics::Metrics;
use crate::probes::Probes;
use crate::probes::version::ServerVersion;
use crate::{Error, Result};

/// Default `reevaluateEvery`.
pub const DEFAULT_REEVALUATE: Duration = Duration::from_secs(300);
/// First and longest delay after a failed reconcile.
pub const ERROR_BACKOFF_MIN: Duration = Duration::from_secs(1);
pub const ERROR_BACKOFF_MAX: Duration = Duration::from_secs(60);

/// Everything a reconcile needs, shared by all of them.
pub struct Context {
    pub client: kube::Client,
    pub cache: Arc<Cache>,
    pub watch_set: WatchSet,
    pub store: Store<ReadinessChecklist>,
    pub probes: Probes,
    pub version: ServerVersion,
    pub leader: Leader,
    pub recorder: Recorder,
    pub metrics: Arc<Metrics>,
    pub secret_checks: bool,
    pub evaluation: EvaluationSettings,
    /// Whether gating checklists' namespaces reach the workloads webhook (`GateWired`).
    pub wiring: Arc<Wiring>,
    /// Fired on SIGTERM: a reconcile waiting for an evaluation stops waiting.
    pub shutdown: CancellationToken,
    pub written: status::WrittenStatuses,
    /// `--report-format`: the PolicyReport / OpenReports writer, when enabled.
    pub reports: Option<report_export::ReportExport>,
    /// See [`super::Settings::waiver_lead_time`].
    pub waiver_lead_time: Duration,
    failures: Mutex<HashMap<(String, String), u32>>,
    /// Item names whose metric series exist, per checklist, to remove them when items go.
    recorded: Mutex<HashMap<(String, String), Vec<String>>>,
}

impl Context {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: kube::Client,
        cache: Arc<Cache>,
        watch_set: WatchSet,
        store: Store<ReadinessChecklist>,
        probes: Probes,
        version: ServerVersion,
        leader: Leader,
        recorder: Recorder,
        metrics: Arc<Metrics>,
        secret_checks: bool,
        evaluation: EvaluationSettings,
        wiring: Arc<Wiring>,
        shutdown: CancellationToken,
    ) -> Self {
        Context {
            client,
            cache,
            watch_set,
            store,
            probes,
            version,
            leader,
            recorder,
            metrics,
            secret_checks,
            evaluation,
            wiring,
            shutdown,
            written: status::WrittenStatuses::default(),
            reports: None,
            waiver_lead_time: engine::governance::DEFAULT_WAIVER_LEAD_TIME,
            failures: Mutex::default(),
            recorded: Mutex::default(),
        }
    }

    /// Writes PolicyReports / OpenReports Reports as well (`--report-format`).
    pub fn with_reports(mut self, reports: Option<report_export::ReportExport>) -> Self {
        self.reports = reports;
        self
    }

    /// Brings the checklist's report (when enabled) in line with `status`; a failure is logged
    /// and retried on the next evaluation, never a failed reconcile.
    async fn export_report(&self, checklist: &ReadinessChecklist, status: &ReadinessChecklistStatus) {
        let Some(reports) = &self.reports else { return };
        match reports.publish(checklist, status).await {
            Ok(report_export::Outcome::Written) => {
                tracing::debug!(namespace = ?checklist.metadata.namespace, name = ?checklist.metadata.name,
                    kind = reports.format().kind(), "report written");
            }
            Ok(report_export::Outcome::Unchanged) => {}
            Err(error) => tracing::warn!(%error, "report not written; retried on the next evaluation"),
        }
    }

    pub fn with_waiver_lead_time(mut self, lead_time: Duration) -> Self {
        self.waiver_lead_time = lead_time;
        self
    }

    /// Facts from the caches: server version, unavailable kinds, other checklists' decisions
    /// (staleness-adjusted, and as last written by this process when the cache lags).
    fn facts(&self, namespace: &str, now: Timestamp) -> Facts {
        let mut facts = Facts::live();
        facts.server_version = self.version.get();
        facts.secret_checks = self.secret_checks;
        facts.unavailable_kinds = self.cache.unavailable_kinds();
        for other in self.store.state() {
            if other.metadata.namespace.as_deref() != Some(namespace) {
                continue;
            }
            let mut view = (*other).clone();
            view.status = self.written.previous(&other);
            let decision = engine::current_decision(&view, now).0;
            facts.checklists.insert((namespace.to_owned(), other.metadata.name.clone().unwrap_or_default()), decision);
        }
        facts
    }

    fn record_metrics(&self, evaluation: &engine::Evaluation) {
        let key = (evaluation.namespace.clone(), evaluation.name.clone());
        self.metrics.record_items(
            &evaluation.namespace,
            &evaluation.name,
            evaluation.items.iter().map(|i| (i.name.as_str(), i.state)),
        );
        self.metrics.record_decision(&evaluation.namespace, &evaluation.name, evaluation.decision);
        let names: Vec<String> = evaluation.items.iter().map(|i| i.name.clone()).collect();
        let keep: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut recorded = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(before) = recorded.get(&key) {
            self.metrics.forget_checklist(&evaluation.namespace, &evaluation.name, &keep, before);
        }
        recorded.insert(key, names);
    }

    /// Forgets per-checklist state of checklists that no longer exist.
    pub fn collect_garbage(&self) {
        let alive: std::collections::HashSet<(String, String)> = self
            .store
            .state()
            .iter()
            .map(|c| (c.metadata.namespace.clone().unwrap_or_default(), c.metadata.name.clone().unwrap_or_default()))
            .collect();
        self.watch_set.retain(|k| alive.contains(k));
        self.written.retain(|k| alive.contains(k));
        if let Some(reports) = &self.reports {
            reports.retain(|k| alive.contains(k));
        }
        self.failures.lock().unwrap_or_else(PoisonError::into_inner).retain(|k, _| alive.contains(k));
        let mut recorded = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        recorded.retain(|(ns, name), items| {
            let keep = alive.contains(&(ns.clone(), name.clone()));
            if !keep {
                self.metrics.forget_checklist(ns, name, &[], items);
            }
            keep
        });
    }
}

/// How long an evaluation may age before it is rewritten: half the gate's `maxStaleness`, so
/// readers never see a stale Unknown while the controller is healthy.
pub fn refresh_after(checklist: &ReadinessChecklist) -> Duration {
    let max = checklist
        .spec
        .gate
        .as_ref()
        .and_then(|g| g.max_staleness.as_ref())
        .map_or(engine::DEFAULT_MAX_STALENESS, |d| d.as_std());
    max / 2
}

/// When to evaluate again without any change: `reevaluateEvery`, or sooner when the staleness
/// refresh is due first.
pub fn requeue_after(checklist: &ReadinessChecklist) -> Duration {
    let every = checklist.spec.reevaluate_every.as_ref().map_or(DEFAULT_REEVALUATE, |d| d.as_std());
    every.min(refresh_after(checklist)).max(Duration::from_secs(1))
}

fn key_of(checklist: &ReadinessChecklist) -> (String, String) {
    (checklist.metadata.namespace.clone().unwrap_or_default(), checklist.metadata.name.clone().unwrap_or_default())
}

/// The reconcile function handed to kube-runtime's Controller.
pub async fn reconcile(checklist: Arc<ReadinessChecklist>, ctx: Arc<Context>) -> Result<Action> {
    // Never judge a half-filled cache: a missing Deployment would read as "no Deployment".
    ctx.cache.readiness().wait().await;
    if !ctx.leader.is_leader() {
        return Ok(Action::await_change());
    }
    let (namespace, name) = key_of(&checklist);
    ctx.watch_set.ensure(&checklist).await;

    let mut facts = Facts::live();
    ctx.probes.fill(&checklist, &mut facts).await;
    let now = Timestamp::now();
    let Facts { http, prometheus, .. } = facts;
    let facts = Facts { http, prometheus, ..ctx.facts(&namespace, now) };

    let started = Instant::now();
    let evaluation = match evaluate_off_runtime(&ctx, &checklist, facts, now).await {
        Ok(evaluation) => evaluation,
        Err(Unfinished::Stopped) => return Ok(Action::await_change()),
        Err(unfinished) => return record_unfinished(&ctx, &checklist, &unfinished, now).await,
    };
    ctx.metrics.observe_evaluation(started.elapsed().as_secs_f64());

    let previous = ctx.written.previous(&checklist);
    let mut next = engine::next_status(previous.as_ref(), &evaluation, checklist.metadata.generation, now);
    ctx.wiring.settle(&checklist, &mut next, previous.as_ref(), &ctx.metrics, now);
    // Windows, soak time and expiring waivers change with the clock alone: look again then.
    let next_change =
        engine::governance::annotate(&checklist, &evaluation, &mut next, previous.as_ref(), ctx.waiver_lead_time, now);
    if engine::status_needs_write(previous.as_ref(), &next, refresh_after(&checklist), now) {
        // Leadership may have moved while probes ran; a former leader must not write.
        if !ctx.leader.is_leader() {
            return Ok(Action::await_change());
        }
        write_status(&ctx, &checklist, previous.as_ref(), &next, None).await?;
        tracing::info!(%namespace, %name, decision = next.decision.as_str(), "status written");
    }
    ctx.export_report(&checklist, &next).await;
    ctx.record_metrics(&evaluation);
    governance::record_metrics(&ctx.metrics, &namespace, &name, &next);
    ctx.failures.lock().unwrap_or_else(PoisonError::into_inner).remove(&(namespace, name));
    Ok(Action::requeue(governance::requeue_until(requeue_after(&checklist), next_change, now)))
}

/// Snapshot and evaluation on the evaluation pool, within the evaluation deadline; never on a
/// runtime worker (see [`super::evaluator`]).
async fn evaluate_off_runtime(
    ctx: &Context,
    checklist: &Arc<ReadinessChecklist>,
    facts: Facts,
    now: Timestamp,
) -> std::result::Result<engine::Evaluation, Unfinished> {
    let settings = &ctx.evaluation;
    let (namespace, _) = key_of(checklist);
    let job = {
        let (cache, checklist, evaluate) = (ctx.cache.clone(), checklist.clone(), settings.evaluate);
        let keys: Vec<Kind> = ChecklistReads::of(&checklist).keys.into_iter().collect();
        move |deadline: &Deadline| {
            let inventory = cache.snapshot(&namespace, &keys);
            evaluate(&checklist, &inventory, &facts, now, deadline)
        }
    };
    let run = settings.pool.run(key_of(checklist), settings.timeout, job);
    tokio::select! {
        result = run => match result {
            Ok(Some(evaluation)) => Ok(evaluation),
            // The engine stopped between items because the deadline passed.
            Ok(None) => Err(Unfinished::DeadlineExceeded { limit: settings.timeout }),
            Err(unfinished) => Err(unfinished),
        },
        () = ctx.shutdown.cancelled() => Err(Unfinished::Stopped),
    }
}

/// An evaluation that did not finish: status `Unknown` with the reason (written only when it
/// changes, like any status), a Warning Event the first time, and a retry with the same
/// backoff as a failed reconcile.
async fn record_unfinished(
    ctx: &Context,
    checklist: &ReadinessChecklist,
    unfinished: &Unfinished,
    now: Timestamp,
) -> Result<Action> {
    let (namespace, name) = key_of(checklist);
    let failures = {
        let mut map = ctx.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let count = map.entry((namespace.clone(), name.clone())).or_insert(0);
        *count += 1;
        *count
    };
    let retry_in = CappedBackoff::delay_for(ERROR_BACKOFF_MIN, ERROR_BACKOFF_MAX, failures - 1);
    tracing::warn!(%namespace, %name, reason = unfinished.metric_label(), error = %unfinished, failures, ?retry_in,
        "checklist evaluation did not finish");
    if !ctx.leader.is_leader() {
        return Ok(Action::await_change());
    }
    let previous = ctx.written.previous(checklist);
    let mut next = unfinished::status(previous.as_ref(), unfinished, checklist.metadata.generation, now);
    ctx.wiring.settle(checklist, &mut next, previous.as_ref(), &ctx.metrics, now);
    if engine::status_needs_write(previous.as_ref(), &next, refresh_after(checklist), now) {
        write_status(ctx, checklist, previous.as_ref(), &next, unfinished::event(previous.as_ref(), unfinished))
            .await?;
    }
    ctx.export_report(checklist, &next).await;
    ctx.metrics.record_decision(&namespace, &name, next.decision);
    Ok(Action::requeue(retry_in))
}

/// Writes `next` over `previous` by server-side apply, then publishes the Events it implies
/// (plus `extra`), and tells checklists that reference this one when the decision changed.
async fn write_status(
    ctx: &Context,
    checklist: &ReadinessChecklist,
    previous: Option<&ReadinessChecklistStatus>,
    next: &ReadinessChecklistStatus,
    extra: Option<events::Planned>,
) -> Result<()> {
    let (namespace, name) = key_of(checklist);
    let api: Api<ReadinessChecklist> = Api::namespaced(ctx.client.clone(), &namespace);
    let stored = match status::apply(&api, &name, next).await {
        Ok(stored) => stored,
        Err(error) => {
            ctx.metrics.status_write("error");
            return Err(Error::Kube(error));
        }
    };
    ctx.metrics.status_write("applied");
    ctx.written.record(checklist, &stored);
    let mut planned = events::plan(previous, next);
    planned.extend(governance::plan(previous, next));
    planned.extend(extra);
    planned.extend(wiring::event(previous, next));
    let published = events::publish(&ctx.recorder, checklist, &planned).await;
    for p in planned.iter().take(published) {
        ctx.metrics.event(&p.reason);
    }
    if previous.is_none_or(|p| p.decision != next.decision) {
        // Checklists that reference this one re-evaluate with the new decision.
        ctx.cache.notify(Change { kind_key: kinds::CHECKLIST.into(), namespace: Some(namespace) });
    }
    Ok(())
}

/// Retries a failed reconcile with a per-checklist exponential backoff (1 s doubling to 60 s).
pub fn error_policy(checklist: Arc<ReadinessChecklist>, error: &Error, ctx: Arc<Context>) -> Action {
    ctx.metrics.reconcile_error(error.metric_label());
    let key = key_of(&checklist);
    let failures = {
        let mut map = ctx.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let count = map.entry(key.clone()).or_insert(0);
        *count += 1;
        *count
    };
    let delay = CappedBackoff::delay_for(ERROR_BACKOFF_MIN, ERROR_BACKOFF_MAX, failures - 1);
    tracing::warn!(namespace = %key.0, name = %key.1, %error, failures, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checklist(spec: serde_json::Value) -> ReadinessChecklist {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
            "metadata": {"name": "c", "namespace": "n"}, "spec": spec
        }))
        .expect("valid")
    }

    fn manual_items() -> serde_json::Value {
        serde_json::json!([{"name": "x", "check": {"manual": {"approvers": {"users": ["a"]}}}}])
    }

    #[test]
    fn refreshes_at_half_the_gate_staleness() {
        let default = checklist(serde_json::json!({"items": manual_items()}));
        assert_eq!(refresh_after(&default), Duration::from_secs(300));
        let gated = checklist(serde_json::json!({"items": manual_items(),
            "gate": {"selector": {}, "maxStaleness": "2m"}}));
        assert_eq!(refresh_after(&gated), Duration::from_secs(60));
    }

    #[test]
    fn requeues_at_the_sooner_of_interval_and_refresh() {
        let every_minute = checklist(serde_json::json!({"items": manual_items(), "reevaluateEvery": "1m"}));
        assert_eq!(requeue_after(&every_minute), Duration::from_secs(60));
        let hourly_but_gated = checklist(serde_json::json!({"items": manual_items(), "reevaluateEvery": "1h",
            "gate": {"selector": {}, "maxStaleness": "10m"}}));
        assert_eq!(requeue_after(&hourly_but_gated), Duration::from_secs(300));
        assert_eq!(requeue_after(&checklist(serde_json::json!({"items": manual_items()}))), DEFAULT_REEVALUATE);
    }
}
