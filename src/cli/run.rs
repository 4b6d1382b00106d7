//! `readygate run`: the controller, metrics and health endpoints (and the admission webhook)
//! in one process, until SIGTERM/SIGINT, then drain and exit 0.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use crate::controller::{self, LeaseConfig, leader};
use crate::metrics::{self, Metrics};
use crate::telemetry::{self, LogFormat};
use crate::webhook::{self, KubeEvents, WebhookArgs, WebhookMetrics, WebhookState};

/// How long in-flight reconciles may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

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
    /// Let `secret` items read the Secrets they name (only those, only as digests).
    #[arg(long)]
    pub enable_secret_checks: bool,
    #[arg(long, value_enum, default_value_t = LogFormat::Plain)]
    pub log_format: LogFormat,
    /// The admission webhook; it starts when both `--tls-cert` and `--tls-key` are given.
    #[command(flatten)]
    pub webhook: WebhookArgs,
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    telemetry::init(args.log_format);
    let client = kube::Client::try_default().await.context("connecting to the cluster (kubeconfig or in-cluster)")?;
    let shutdown = CancellationToken::new();
    tokio::spawn(signal_shutdown(shutdown.clone()));

    let mut registry = metrics::registry();
    let metrics = Arc::new(Metrics::new(&mut registry));
    let webhook_metrics = WebhookMetrics::register(&mut registry);
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
    let settings = controller::Settings { secret_checks: args.enable_secret_checks, lease, instance: identity.clone() };
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
    tracing::info!("shutting down: draining admissions and reconciles");
    if let Some(task) = webhook_task {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "admission webhook stopped with an error"),
            Err(error) => tracing::error!(%error, "admission webhook task failed"),
        }
    }
    if tokio::time::timeout(DRAIN_TIMEOUT, running.task).await.is_err() {
        tracing::warn!("reconciles did not finish within {DRAIN_TIMEOUT:?}; exiting anyway");
    }
    admin_stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), admin).await;
    Ok(())
}

/// `readygate run` from `main`: a multi-threaded runtime for the controller and webhook;
/// exit 0 after a clean drain, 1 when startup failed.
pub fn main(args: &RunArgs) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("readygate: starting the async runtime: {error}");
            return 1;
        }
    };
    match runtime.block_on(run(args.clone())) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("readygate run: {error:#}");
            1
        }
    }
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
        assert_eq!(args.log_format, LogFormat::Plain);
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
