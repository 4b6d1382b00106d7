//! The board's view of the cluster: a reflector over the ReadinessChecklists in scope, and a
//! broadcast of which checklist changed, for the server-sent events.

use std::time::Duration;

use futures::StreamExt as _;
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use serde::Serialize;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::ReadinessChecklist;

/// Open pages also refresh this often without any change: a checklist turns stale by the
/// clock alone, and the overview shows that.
const TICK: Duration = Duration::from_secs(30);
/// Changes a slow page may fall behind by before it is told to refresh everything.
const BACKLOG: usize = 256;

/// Which checklists the board shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Namespace(String),
}

/// What a server-sent `change` event carries: one checklist, or `all` (after a relist, a
/// missed backlog, or the periodic tick).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Change {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
}

impl Change {
    pub fn everything() -> Self {
        Change { all: true, ..Change::default() }
    }
}

/// The store and the change feed, kept current by a task until `shutdown`.
pub struct Source {
    pub store: Store<ReadinessChecklist>,
    pub changes: broadcast::Sender<Change>,
    pub task: JoinHandle<()>,
}

pub fn start(client: kube::Client, scope: &Scope, shutdown: CancellationToken) -> Source {
    let api: Api<ReadinessChecklist> = match scope {
        Scope::All => Api::all(client),
        Scope::Namespace(namespace) => Api::namespaced(client, namespace),
    };
    let (store, writer) = reflector::store();
    let (changes, _) = broadcast::channel(BACKLOG);
    let feed = changes.clone();
    let stream = watcher(api, watcher::Config::default())
        .default_backoff()
        // managedFields (and kubectl's copy of the last applied object) are most of a
        // checklist's bytes and nothing the board shows.
        .modify(|checklist| {
            checklist.metadata.managed_fields = None;
            if let Some(annotations) = checklist.metadata.annotations.as_mut() {
                annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
            }
        })
        .reflect(writer);
    let task = tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        let mut tick = tokio::time::interval(TICK);
        tick.tick().await;
        let mut failing = false;
        loop {
            let event = tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => { let _ = feed.send(Change::everything()); continue; }
                event = stream.next() => event,
            };
            let change = match event {
                None => return,
                Some(Err(error)) => {
                    // The watcher retries with backoff; say it once per outage, not per retry.
                    if !failing {
                        tracing::warn!(%error, "watching ReadinessChecklists failed; retrying");
                    }
                    failing = true;
                    continue;
                }
                Some(Ok(watcher::Event::Apply(c) | watcher::Event::Delete(c))) => Change {
                    namespace: c.metadata.namespace.clone().unwrap_or_default(),
                    name: c.metadata.name.clone().unwrap_or_default(),
                    all: false,
                },
                Some(Ok(watcher::Event::InitDone)) => Change::everything(),
                Some(Ok(watcher::Event::Init | watcher::Event::InitApply(_))) => continue,
            };
            failing = false;
            // No page open: nobody to tell.
            let _ = feed.send(change);
        }
    });
    Source { store, changes, task }
}
