//! Leader election on a Lease (kube-lease-manager): every replica keeps its caches warm and
//! serves the webhook; only the leader writes status and Events.

use std::time::Duration;

use futures::Stream;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// The Lease's default name.
pub const LEASE_NAME: &str = "readygate-leader";

/// Whether this replica leads. Cheap to clone; reads never block.
#[derive(Clone, Debug)]
pub struct Leader {
    rx: watch::Receiver<bool>,
    /// Keeps a fixed leadership's channel open (`always`).
    _fixed: Option<std::sync::Arc<watch::Sender<bool>>>,
}

impl Leader {
    /// For `--leader-election=false`: this replica always leads.
    pub fn always() -> Self {
        let (tx, rx) = watch::channel(true);
        Leader { rx, _fixed: Some(std::sync::Arc::new(tx)) }
    }

    pub fn is_leader(&self) -> bool {
        *self.rx.borrow()
    }

    /// Yields once each time this replica becomes leader (including at once, if it already is).
    pub fn gained(&self) -> impl Stream<Item = ()> + Send + 'static {
        let rx = self.rx.clone();
        futures::stream::unfold((rx, true), |(mut rx, first)| async move {
            if first && *rx.borrow_and_update() {
                return Some(((), (rx, false)));
            }
            loop {
                rx.changed().await.ok()?;
                if *rx.borrow_and_update() {
                    return Some(((), (rx, false)));
                }
            }
        })
    }
}

/// Lease settings.
#[derive(Clone, Debug)]
pub struct LeaseConfig {
    pub name: String,
    pub namespace: String,
    pub identity: String,
    /// How long a lease holds without renewal; a killed leader is replaced after this.
    pub duration: Duration,
    /// How long before expiry the holder renews.
    pub grace: Duration,
}

/// Campaigns for the lease until `cancel`, then releases it so another replica takes over at
/// once rather than after the lease expires.
pub async fn elect(
    client: kube::Client,
    config: LeaseConfig,
    metrics: std::sync::Arc<Metrics>,
    cancel: CancellationToken,
) -> Result<(Leader, tokio::task::JoinHandle<()>), kube_lease_manager::LeaseManagerError> {
    let manager = kube_lease_manager::LeaseManagerBuilder::new(client, &config.name)
        .with_namespace(&config.namespace)
        .with_identity(&config.identity)
        .with_duration(config.duration.as_secs().max(2))
        .with_grace(config.grace.as_secs().max(1))
        .with_field_manager("readygate-leader-election")
        .build()
        .await?;
    let (mut lease_rx, lease_task) = manager.watch().await;
    let (tx, rx) = watch::channel(false);
    let identity = config.identity.clone();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                changed = lease_rx.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let leading = *lease_rx.borrow_and_update();
                    tracing::info!(%identity, leading, "leadership changed");
                    metrics.set_leader(leading);
                    let _ = tx.send(leading);
                }
            }
        }
        // Stop writing before the lease is released, never after.
        let _ = tx.send(false);
        metrics.set_leader(false);
        drop(lease_rx);
        match tokio::time::timeout(Duration::from_secs(5), lease_task).await {
            Ok(Ok(Ok(_))) => tracing::info!(%identity, "released the leader lease"),
            Ok(Ok(Err(e))) => tracing::warn!(%identity, error = %e, "releasing the leader lease failed"),
            Ok(Err(e)) => tracing::warn!(%identity, error = %e, "lease task failed"),
            Err(_) => tracing::warn!(%identity, "releasing the leader lease timed out"),
        }
    });
    Ok((Leader { rx, _fixed: None }, task))
}

/// This replica's identity: the pod name when the Downward API provides it, else the host name,
/// plus the process id so two processes on one host never share an identity.
pub fn identity() -> String {
    let host = std::env::var("POD_NAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .or_else(|_| std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()))
        .unwrap_or_else(|_| "readygate".to_owned());
    format!("{host}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    #[tokio::test]
    async fn gained_fires_on_each_acquisition() {
        let (tx, rx) = watch::channel(false);
        let leader = Leader { rx, _fixed: None };
        let mut gained = Box::pin(leader.gained());
        tx.send(true).expect("send");
        tokio::time::timeout(Duration::from_secs(1), gained.next()).await.expect("fires").expect("item");
        tx.send(false).expect("send");
        assert!(!leader.is_leader());
        tx.send(true).expect("send");
        tokio::time::timeout(Duration::from_secs(1), gained.next()).await.expect("fires again").expect("item");
    }

    #[tokio::test]
    async fn without_election_this_replica_leads_from_the_start() {
        let leader = Leader::always();
        assert!(leader.is_leader());
        let mut gained = Box::pin(leader.gained());
        tokio::time::timeout(Duration::from_secs(1), gained.next()).await.expect("fires").expect("item");
    }
}
