//! `readygate run`: the controller, metrics and health endpoints (and the admission webhook)
//! in one process, until SIGTERM/SIGINT, then drain and exit 0 (1 when the drain did not finish
//! within `--shutdown-timeout`).
//!
//! Checklists are evaluated on a pool of dedicated threads (`controller::evaluator`), never on
//! the runtime's workers, so a runaway evaluation can delay neither the webhook, nor `/healthz`,
//! nor shutdown; and shutdown never joins those threads.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use crate::controller::evaluator::{self, EvaluateFn, EvaluationPool, EvaluationSettings, PoolMetrics};
use crate::controller::{self, LeaseConfig, leader};
use crate::metrics::{self, Metrics};
use crate::telemetry::{self, LogFormat};
use crate::webhook::{self, KubeEvents, WebhookArgs, WebhookMetrics, WebhookState};

/// How long in-flight reconciles may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the runtime's own shutdown may wait for its tasks after the drain.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(1);

#[derive(Clone, Debug, clap::Args)]
pub struct RunArgs {
    /// Where `/metrics`, `/healthz` and `/readyz` are served.
    #[arg(long, default_value = "0.0.0.0:9090")]
    pub metrics_addr: SocketAddr,
    /// Elect a leader among replicas; only the leader writes status and Events.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub leader_election: bool,
    /// Namespace of the leader Lease (default: the pod's namespace, else the kubeconfig's).
    #[arg(long, env = "POD_NAMESPACE")]
    pub leader_namespace: Option<String>,
    #[arg(long, default_value = leader::LEASE_NAME)]
    pub lease_name: String,
    /// How long the Lease holds without renewal: a crashed leader is replaced after this.
    #[arg(long, default_value = "15s")]
    pub lease_duration: crate::api::Duration,
    /// The ValidatingWebhookConfiguration whose `workloads.readygate.io` webhook gates
    /// Deployments: checklists that gate (Enforce, Warn) in namespaces its namespaceSelector
    /// leaves out say so (condition `GateWired`).
    #[arg(long, default_value = crate::controller::wiring::DEFAULT_CONFIGURATION)]
    pub webhook_configuration: String,
    /// Let `secret` items read the Secrets they name (only those, only as digests).
    #[arg(long)]
    pub enable_secret_checks: bool,
    #[arg(long, value_enum, default_value_t = LogFormat::Plain)]
    pub log_format: LogFormat,
    /// Threads that evaluate checklists, apart from those that serve: a checklist that never
    /// finishes holds one of them, never the webhook or `/healthz`.
    #[arg(long, default_value_t = evaluator::DEFAULT_WORKERS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub evaluation_workers: usize,
    /// How evaluation threads give way to serving: `idle` (SCHED_IDLE: only CPU time serving
    /// leaves over) or `nice:N` (N nice steps below the process, 0-19).
    #[arg(long, default_value_t = evaluator::EvaluationPriority::default())]
    pub evaluation_priority: evaluator::EvaluationPriority,
    /// Deadline of one checklist evaluation (queue time included); past it the checklist is
    /// `Unknown` (`Evaluated` False, `DeadlineExceeded`) and retried with backoff.
    #[arg(long, default_value = "5s")]
    pub evaluation_timeout: crate::api::Duration,
    /// After SIGTERM: longest time for the drain (webhook connections, reconciles) before the
    /// process exits anyway, with status 1. Keep it below the pod's terminationGracePeriodSeconds.
    #[arg(long, default_value = "25s")]
    pub shutdown_timeout: crate::api::Duration,
    /// Also write one report per checklist for policy dashboards (Policy Reporter and others):
    /// a `wgpolicyk8s.io/v1alpha2` PolicyReport or an `openreports.io/v1alpha1` Report. Needs
    /// that CRD installed and RBAC to write it (chart value `reports.format`).
    #[arg(long, value_enum)]
    pub report_format: Option<crate::report::policy_report::ReportFormat>,
    /// A counted waiver that expires within this raises the `WaiverExpiringSoon` condition, a
    /// Warning Event and `readygate_waivers_expiring_soon`.
    #[arg(long, default_value = "72h")]
    pub waiver_expiry_lead_time: crate::api::Duration,
    /// The admission webhook; it starts when both `--tls-cert` and `--tls-key` are given.
    #[command(flatten)]
    pub webhook: WebhookArgs,
}

/// How `readygate run` ended after a shutdown signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// Everything drained in time.
    Drained,
    /// `--shutdown-timeout` passed first; the process exits without waiting further.
    DeadlinePassed,
}

pub async fn run(args: RunArgs) -> anyhow::Result<Stopped> {
    run_with(args, evaluator::engine_evaluate).await
}

/// [`run`] with the evaluation function to run on the pool (tests inject a runaway one).
pub async fn run_with(args: RunArgs, evaluate: EvaluateFn) -> anyhow::Result<Stopped> {
    telemetry::init(args.log_format);
    let client = kube::Client::try_default().await.context("connecting to the cluster (kubeconfig or in-cluster)")?;
    let shutdown = CancellationToken::new();
    tokio::spawn(signal_shutdown(shutdown.clone()));

    let mut registry = metrics::registry();
    let metrics = Arc::new(Metrics::new(&mut registry));
    let webhook_metrics = WebhookMetrics::register(&mut registry);
    let pool = EvaluationPool::start_with_priority(
        args.evaluation_workers,
        args.evaluation_priority,
        PoolMetrics::register(&mut registry),
    )
    .context("starting the checklist evaluation threads")?;
    let identity = leader::identity();
    let lease = args.leader_election.then(|| {
        let duration = args.lease_duration.as_std().max(Duration::from_secs(2));
        LeaseConfig {
            name: args.lease_name.clone(),
            namespace: args.leader_namespace.clone().unwrap_or_else(|| client.default_namespace().to_owned()),
            identity: identity.clone(),
            duration,
            grace: (duration / 3).max(Duration::from_secs(1)),
        }
    });
    let evaluation = EvaluationSettings { pool: pool.clone(), timeout: args.evaluation_timeout.as_std(), evaluate };
    let settings = controller::Settings {
        secret_checks: args.enable_secret_checks,
        lease,
        instance: identity.clone(),
        evaluation,
        webhook_configuration: args.webhook_configuration.clone(),
        report_format: args.report_format,
        waiver_lead_time: args.waiver_expiry_lead_time.as_std(),
    };
    let running = controller::start(client.clone(), settings, metrics, shutdown.clone()).await?;
    // The health server outlives `shutdown`: `/readyz` must fail (not vanish) while the webhook
    // drains, and `/healthz` must keep answering so the kubelet doesn't kill a draining pod.
    let admin_stop = CancellationToken::new();
    let (addr, admin) =
        controller::admin::serve(args.metrics_addr, Arc::new(registry), running.readiness.clone(), admin_stop.clone())
            .await
            .with_context(|| format!("binding --metrics-addr {}", args.metrics_addr))?;
    tracing::info!(%addr, "serving /metrics, /healthz and /readyz");

    let webhook_task = if args.webhook.tls_cert.is_some() || args.webhook.tls_key.is_some() {
        let reporter = kube::runtime::events::Reporter { controller: "readygate".into(), instance: Some(identity) };
        let events = Arc::new(KubeEvents::spawn(client.clone(), reporter));
        // Every replica answers admissions from its own cache of checklists, leader or not.
        let state = WebhookState::from_store(running.store.clone(), events);
        // `/readyz` waits for the webhook to serve, and fails as soon as it starts draining.
        let serving = state.ready();
        running.readiness.require("admission webhook", move || serving.is_ready());
        let server = webhook::Server::bind(args.webhook.clone(), state, webhook_metrics)
            .await
            .context("starting the admission webhook")?;
        tracing::info!(addr = %args.webhook.webhook_addr, "serving admission webhooks");
        Some(tokio::spawn(server.run(shutdown.clone())))
    } else {
        tracing::warn!("no --tls-cert/--tls-key: the admission webhook is not served");
        None
    };

    // `/readyz` fails from the moment `shutdown` fires (Readiness::stop_with), so the Service
    // stops routing here while connections drain.
    shutdown.cancelled().await;
    let limit = args.shutdown_timeout.as_std();
    tracing::info!(timeout_ms = limit.as_millis() as u64, "shutting down: draining admissions and reconciles");
    // No new evaluations; one still running is not waited for (its thread dies with the process).
    pool.stop();
    let webhook_drained = async {
        let Some(task) = webhook_task else { return };
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "admission webhook stopped with an error"),
            Err(error) => tracing::error!(%error, "admission webhook task failed"),
        }
    };
    let reconciles_drained = async {
        if tokio::time::timeout(DRAIN_TIMEOUT, running.task).await.is_err() {
            tracing::warn!("reconciles did not finish within {DRAIN_TIMEOUT:?}; exiting anyway");
        }
    };
    let drained = async {
        tokio::join!(webhook_drained, reconciles_drained);
        admin_stop.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), admin).await;
    };
    match tokio::time::timeout(limit, drained).await {
        Ok(()) => Ok(Stopped::Drained),
        Err(_) => {
            tracing::error!(
                timeout_ms = limit.as_millis() as u64,
                "drain did not finish within --shutdown-timeout; exiting"
            );
            Ok(Stopped::DeadlinePassed)
        }
    }
}

/// `readygate run` from `main`: a multi-threaded runtime for the controller and webhook;
/// exit 0 after a clean drain, 1 when startup failed or the drain passed its deadline.
pub fn main(args: &RunArgs) -> u8 {
    main_with(args, evaluator::engine_evaluate)
}

/// [`main`] with the evaluation function to run (see [`run_with`]).
pub fn main_with(args: &RunArgs, evaluate: EvaluateFn) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("readygate: starting the async runtime: {error}");
            return 1;
        }
    };
    let code = match runtime.block_on(run_with(args.clone(), evaluate)) {
        Ok(Stopped::Drained) => 0,
        Ok(Stopped::DeadlinePassed) => 1,
        Err(error) => {
            eprintln!("readygate run: {error:#}");
            1
        }
    };
    // Dropping the runtime would wait for every blocking task without limit; the process is
    // about to exit, so give them a moment and no more.
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    code
}

/// Cancels `shutdown` on SIGTERM (what the kubelet sends) or SIGINT.
async fn signal_shutdown(shutdown: CancellationToken) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = terminate => tracing::info!("SIGTERM"),
        result = tokio::signal::ctrl_c() => {
            if result.is_ok() {
                tracing::info!("SIGINT");
            }
        }
    }
    shutdown.cancel();
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Harness {
        #[command(flatten)]
        run: RunArgs,
    }

    #[test]
    fn defaults_match_the_documented_interface() {
        let args = Harness::try_parse_from(["run"]).expect("parses").run;
        assert_eq!(args.metrics_addr, "0.0.0.0:9090".parse().expect("addr"));
        assert!(args.leader_election);
        assert!(!args.enable_secret_checks);
        assert_eq!(args.lease_name, "readygate-leader");
        assert_eq!(args.webhook_configuration, "readygate");
        assert_eq!(args.log_format, LogFormat::Plain);
        assert_eq!(args.evaluation_workers, evaluator::DEFAULT_WORKERS);
        assert_eq!(args.evaluation_timeout.as_std(), evaluator::DEFAULT_TIMEOUT);
        assert_eq!(args.shutdown_timeout.as_std(), Duration::from_secs(25));
    }

    #[test]
    fn evaluation_workers_are_bounded() {
        let args = Harness::try_parse_from(["run", "--evaluation-workers", "4"]).expect("parses");
        assert_eq!(args.run.evaluation_workers, 4);
        assert!(Harness::try_parse_from(["run", "--evaluation-workers", "0"]).is_err());
        assert!(Harness::try_parse_from(["run", "--evaluation-workers", "1000"]).is_err());
    }

    #[test]
    fn evaluation_priority_defaults_to_idle_and_takes_a_niceness() {
        let args = Harness::try_parse_from(["run"]).expect("parses");
        assert_eq!(args.run.evaluation_priority, evaluator::EvaluationPriority::Idle);
        let args = Harness::try_parse_from(["run", "--evaluation-priority", "nice:10"]).expect("parses");
        assert_eq!(args.run.evaluation_priority, evaluator::EvaluationPriority::Nice(10));
        assert!(Harness::try_parse_from(["run", "--evaluation-priority", "nice:25"]).is_err());
    }

    #[test]
    fn leader_election_can_be_turned_off() {
        let args = Harness::try_parse_from(["run", "--leader-election=false", "--log-format", "json"]).expect("parses");
        assert!(!args.run.leader_election);
        assert_eq!(args.run.log_format, LogFormat::Json);
        let args = Harness::try_parse_from(["run", "--leader-election"]).expect("bare flag");
        assert!(args.run.leader_election);
    }
}
