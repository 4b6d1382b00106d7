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
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    telemetry::init(args.log_format);
    let client = kube::Client::try_default().await.context("connecting to the cluster (kubeconfig or in-cluster)")?;
    let shutdown = CancellationToken::new();
    tokio::spawn(signal_shutdown(shutdown.clone()));

    let mut registry = metrics::registry();
    let metrics = Arc::new(Metrics::new(&mut registry));
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
    let settings = controller::Settings { secret_checks: args.enable_secret_checks, lease, instance: identity };
    let running = controller::start(client, settings, metrics, shutdown.clone()).await?;
    let (addr, admin) =
        controller::admin::serve(args.metrics_addr, Arc::new(registry), running.readiness.clone(), shutdown.clone())
            .await
            .with_context(|| format!("binding --metrics-addr {}", args.metrics_addr))?;
    tracing::info!(%addr, "serving /metrics, /healthz and /readyz");
    // The admission webhook joins here, sharing `running.store` (its view of checklists) and
    // `running.readiness`, once `webhook::serve` exists.

    shutdown.cancelled().await;
    tracing::info!("shutting down: draining reconciles");
    if tokio::time::timeout(DRAIN_TIMEOUT, running.task).await.is_err() {
        tracing::warn!("reconciles did not finish within {DRAIN_TIMEOUT:?}; exiting anyway");
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), admin).await;
    Ok(())
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
