//! The board's view of the cluster: a reflector over the ReadinessChecklists in scope, and a
//! broadcast of which checklist changed, for the server-sent events.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt as _;
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use serde::Serialize;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::{ReadinessChecklist, ReadinessSignoff};

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
    pub signoffs: Signoffs,
    pub changes: broadcast::Sender<Change>,
    pub task: JoinHandle<()>,
}

/// The ReadinessSignoffs in the board's scope, for the sign-off and waiver tables.
#[derive(Clone)]
pub struct Signoffs {
    pub store: Store<ReadinessSignoff>,
    /// Set while the API server refuses to list them (HTTP 403): the pages say so instead of
    /// showing tables that only look unsigned.
    forbidden: Arc<AtomicBool>,
}

impl Signoffs {
    pub fn forbidden(&self) -> bool {
        self.forbidden.load(Ordering::Relaxed)
    }
}

pub fn start(client: kube::Client, scope: &Scope, shutdown: CancellationToken) -> Source {
    let api: Api<ReadinessChecklist> = match scope {
        Scope::All => Api::all(client.clone()),
        Scope::Namespace(namespace) => Api::namespaced(client.clone(), namespace),
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
    let (signoffs, signoff_task) = watch_signoffs(client, scope, changes.clone(), shutdown.clone());
    let task = tokio::spawn(async move {
        // Ends with this task, which the server aborts when it stops.
        let _signoff_task = AbortOnDrop(signoff_task);
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
    Source { store, signoffs, changes, task }
}

/// Aborts a task when dropped, so the sign-off watch stops with the checklist one.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Watches the ReadinessSignoffs in the same scope as the checklists (a sign-off lives in its
/// checklist's namespace) and tells open pages of the checklist each one names.
fn watch_signoffs(
    client: kube::Client,
    scope: &Scope,
    feed: broadcast::Sender<Change>,
    shutdown: CancellationToken,
) -> (Signoffs, JoinHandle<()>) {
    let api: Api<ReadinessSignoff> = match scope {
        Scope::All => Api::all(client),
        Scope::Namespace(namespace) => Api::namespaced(client, namespace),
    };
    let (store, writer) = reflector::store();
    let forbidden = Arc::new(AtomicBool::new(false));
    let signoffs = Signoffs { store, forbidden: forbidden.clone() };
    let stream = watcher(api, watcher::Config::default())
        .default_backoff()
        .modify(|signoff| signoff.metadata.managed_fields = None)
        .reflect(writer);
    let task = tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        let mut failing = false;
        loop {
            let event = tokio::select! {
                () = shutdown.cancelled() => return,
                event = stream.next() => event,
            };
            let change = match event {
                None => return,
                Some(Err(error)) => {
                    // Only a refusal says the sign-offs are unreadable; any other failure
                    // leaves the store (and what pages say) as it was while the watcher retries.
                    let refused = is_forbidden(&error);
                    if refused && !forbidden.swap(true, Ordering::Relaxed) {
                        let _ = feed.send(Change::everything());
                    }
                    if !failing && !refused {
                        tracing::warn!(%error, "watching ReadinessSignoffs failed; retrying");
                    }
                    failing = true;
                    continue;
                }
                Some(Ok(watcher::Event::Apply(s) | watcher::Event::Delete(s))) => Change {
                    namespace: s.metadata.namespace.clone().unwrap_or_default(),
                    name: s.spec.checklist.clone(),
                    all: false,
                },
                Some(Ok(watcher::Event::InitDone)) => Change::everything(),
                Some(Ok(watcher::Event::Init | watcher::Event::InitApply(_))) => continue,
            };
            failing = false;
            forbidden.store(false, Ordering::Relaxed);
            let _ = feed.send(change);
        }
    });
    (signoffs, task)
}

/// The API server refused the list or watch for want of permission.
fn is_forbidden(error: &watcher::Error) -> bool {
    match error {
        watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status)) => status.code == 403,
        watcher::Error::WatchError(status) => status.code == 403,
        _ => false,
    }
}
