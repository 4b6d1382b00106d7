//! The API server's version for `kubernetesVersion` items, refreshed in the background so an
//! evaluation never waits on `/version`.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::checks::KubeVersion;

/// How often `/version` is asked again (clusters are upgraded in place).
pub const REFRESH: Duration = Duration::from_secs(300);

/// The last version seen; `None` until `/version` first answered.
#[derive(Clone, Debug, Default)]
pub struct ServerVersion {
    inner: Arc<RwLock<Option<KubeVersion>>>,
}

impl ServerVersion {
    pub fn get(&self) -> Option<KubeVersion> {
        *self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set(&self, version: KubeVersion) {
        *self.inner.write().unwrap_or_else(PoisonError::into_inner) = Some(version);
    }

    /// Asks `/version` now and every [`REFRESH`] (every 5 s while it fails) until cancelled.
    pub async fn refresh(self, client: kube::Client, cancel: CancellationToken) {
        loop {
            let wait = match client.apiserver_version().await {
                Ok(info) => match info.git_version.parse::<KubeVersion>() {
                    Ok(v) => {
                        self.set(v);
                        REFRESH
                    }
                    Err(e) => {
                        tracing::warn!(version = %info.git_version, error = %e, "unparseable server version");
                        REFRESH
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "asking the server version failed");
                    Duration::from_secs(5)
                }
            };
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}
