//! The live controller: watches feed a projected inventory, changes map to the checklists that
//! read them, kube-runtime's Controller reconciles those (leader only), and the checklist store
//! and readiness handle are shared with the webhook.

pub mod admin;
pub mod backoff;
pub mod cache;
pub mod changes;
pub mod evaluator;
pub mod events;
mod governance;
pub mod leader;
pub mod readiness;
pub mod reconcile;
pub mod report_export;
pub mod status;
pub mod triggers;
pub mod unfinished;
pub mod watch_set;
pub mod watches;
pub mod wiring;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::controller::{self, Controller};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::Store;
use kube::runtime::watcher;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use leader::{Leader, LeaseConfig};
pub use readiness::Readiness;

use crate::api::ReadinessChecklist;
use crate::inventory::kinds;
use crate::metrics::Metrics;
use crate::probes::Probes;
use crate::probes::http::HttpProber;
use crate::probes::version::ServerVersion;

/// How often state of deleted checklists (metrics series, dynamic watches) is dropped.
const GARBAGE_INTERVAL: Duration = Duration::from_secs(30);

/// How the controller runs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Watch the Secrets named by `secret` items and let those items judge them.
    pub secret_checks: bool,
    /// `None`: this replica always leads (`--leader-election=false`).
    pub lease: Option<LeaseConfig>,
    /// Reported as the Events' `reportingInstance`.
    pub instance: String,
    /// Where and how long checklists are evaluated (off the async runtime).
    pub evaluation: evaluator::EvaluationSettings,
    /// The ValidatingWebhookConfiguration whose workloads webhook gates Deployments: gating
    /// checklists in namespaces it does not select are `GateWired=False`.
    pub webhook_configuration: String,
    /// `--report-format`: also write a PolicyReport / OpenReports Report per checklist.
    pub report_format: Option<crate::report::policy_report::ReportFormat>,
    /// A counted waiver expiring within this raises `WaiverExpiringSoon` and an Event.
    pub waiver_lead_time: Duration,
}

/// What the rest of the process shares with the running controller.
pub struct Running {
    /// Every ReadinessChecklist, with status, kept current on every replica (the webhook's view).
    pub store: Store<ReadinessChecklist>,
    /// True once every cache listed once.
    pub readiness: Readiness,
    pub leader: Leader,
    /// Ends after `shutdown` fired and in-flight reconciles finished.
    pub task: JoinHandle<()>,
}

/// Starts watches, leader election and the Controller. Returns once they are started (not
/// synced: see [`Running::readiness`]).
pub async fn start(
    client: kube::Client,
    settings: Settings,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> crate::Result<Running> {
    let readiness = Readiness::new();
    // `/readyz` fails from the moment shutdown is signalled.
    readiness.stop_with(shutdown.clone());
    let (cache, changes) = cache::Cache::new(readiness.clone());
    let watch_ctx = watches::WatchContext { client: client.clone(), cache: cache.clone(), metrics: metrics.clone() };
    for spec in watches::catalogue() {
        let id = spec.id();
        readiness.register(&id);
        let readiness = readiness.clone();
        tokio::spawn(watches::run(spec, watch_ctx.clone(), shutdown.child_token(), move || readiness.mark_synced(&id)));
    }
    let (wiring, wiring_changes) = wiring::Wiring::new(&settings.webhook_configuration);
    {
        let namespaces_id = wiring::watch::NAMESPACES_METRIC.to_owned();
        let configuration_id = format!("ValidatingWebhookConfiguration {}", settings.webhook_configuration);
        readiness.register(&namespaces_id);
        readiness.register(&configuration_id);
        let (ready, cancel) = (readiness.clone(), shutdown.child_token());
        tokio::spawn(wiring::watch::namespaces(wiring.clone(), client.clone(), metrics.clone(), cancel, move || {
            ready.mark_synced(&namespaces_id)
        }));
        let (ready, cancel) = (readiness.clone(), shutdown.child_token());
        tokio::spawn(wiring::watch::configuration(
            wiring.clone(),
            client.clone(),
            metrics.clone(),
            cancel,
            move || ready.mark_synced(&configuration_id),
        ));
    }
    readiness.register(kinds::CHECKLIST);
    readiness.seal();

    let version = ServerVersion::default();
    tokio::spawn(version.clone().refresh(client.clone(), shutdown.child_token()));

    let (leader, lease_task) = match settings.lease {
        Some(lease) => {
            let (leader, task) = leader::elect(client.clone(), lease, metrics.clone(), shutdown.child_token())
                .await
                .map_err(|e| crate::Error::Config(format!("leader election: {e}")))?;
            (leader, Some(task))
        }
        None => {
            metrics.set_leader(true);
            (Leader::always(), None)
        }
    };

    let checklists: Api<ReadinessChecklist> = Api::all(client.clone());
    let ctl = Controller::new(checklists, watcher::Config::default())
        .trigger_backoff(backoff::CappedBackoff::watch())
        .with_config(controller::Config::default().concurrency(8));
    let store = ctl.store();
    {
        let store = store.clone();
        let readiness = readiness.clone();
        tokio::spawn(async move {
            // The store's readiness future keeps one waker: the Controller's own wait would
            // replace ours, so poll it again until it is ready.
            loop {
                match tokio::time::timeout(Duration::from_millis(100), store.wait_until_ready()).await {
                    Ok(Ok(())) => break readiness.mark_synced(kinds::CHECKLIST),
                    Ok(Err(_)) => break,
                    Err(_) => {}
                }
            }
        });
    }

    let prober = HttpProber::new().map_err(crate::Error::Tls)?;
    let reporter = Reporter { controller: "readygate".to_owned(), instance: Some(settings.instance.clone()) };
    let reports = settings.report_format.map(|format| report_export::ReportExport::new(client.clone(), format));
    let ctx = Arc::new(
        reconcile::Context::new(
            client.clone(),
            cache.clone(),
            watch_set::WatchSet::new(watch_ctx, settings.secret_checks, shutdown.child_token()),
            store.clone(),
            Probes::new(prober),
            version,
            leader.clone(),
            Recorder::new(client, reporter),
            metrics,
            settings.secret_checks,
            settings.evaluation,
            wiring,
            shutdown.clone(),
        )
        .with_reports(reports)
        .with_waiver_lead_time(settings.waiver_lead_time),
    );

    let trigger_store = store.clone();
    let triggers = changes
        .into_stream()
        .flat_map(move |change| futures::stream::iter(triggers::affected(&change, &trigger_store.state())));
    let wiring_store = store.clone();
    let triggers = futures::stream::select(
        triggers,
        wiring_changes.flat_map(move |scope| futures::stream::iter(wiring::affected(&scope, &wiring_store.state()))),
    );
    let gained = {
        let ctx = ctx.clone();
        leader.gained().map(move |()| {
            // Another replica may have written since this one last did.
            ctx.written.clear();
            if let Some(reports) = &ctx.reports {
                reports.clear();
            }
        })
    };
    let garbage = {
        let ctx = ctx.clone();
        let cancel = shutdown.child_token();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(GARBAGE_INTERVAL) => ctx.collect_garbage(),
                }
            }
        })
    };

    let ctl_shutdown = shutdown.clone();
    let task = tokio::spawn(async move {
        ctl.reconcile_on(triggers)
            .reconcile_all_on(gained)
            .graceful_shutdown_on(async move { ctl_shutdown.cancelled().await })
            .run(reconcile::reconcile, reconcile::error_policy, ctx)
            .for_each(|result| async move {
                if let Err(error) = result {
                    tracing::debug!(%error, "controller stream");
                }
            })
            .await;
        garbage.abort();
        if let Some(lease_task) = lease_task {
            let _ = lease_task.await;
        }
        tracing::info!("controller stopped");
    });
    Ok(Running { store, readiness, leader, task })
}
