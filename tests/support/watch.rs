//! Watch streams: initial state or replay from a resourceVersion, then live changes filtered by
//! selectors, periodic bookmarks, `timeoutSeconds`, and `410 Expired` when history is gone.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::crud::{Ctx, present, selectors};
use super::errors::ApiError;
use super::meta::meta_mut;
use super::resources::ResourceInfo;
use super::select::Selectors;
use super::server::{Body, Shared, error_response, lock, streaming_response};
use super::store::{Change, ChangeType};

/// The real server's default `--min-request-timeout` bound when the client sends none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

pub async fn serve(ctx: &Ctx<'_>) -> Response<Body> {
    match start(ctx) {
        Ok(resp) => resp,
        Err(e) => error_response(&e),
    }
}

fn start(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let sel = selectors(ctx.query)?;
    let q = ctx.query;
    let bookmarks = q.flag("allowWatchBookmarks");
    let send_initial = q.flag("sendInitialEvents");
    if send_initial && (!bookmarks || q.get("resourceVersionMatch") != Some("NotOlderThan")) {
        return Err(ApiError::new(
            422,
            "Invalid",
            "sendInitialEvents requires allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan",
        ));
    }
    let since = match q.non_empty("resourceVersion") {
        None | Some("0") => None,
        Some(rv) => {
            Some(rv.parse::<u64>().map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv:?}")))?)
        }
    };
    let timeout =
        q.get("timeoutSeconds").and_then(|t| t.parse().ok()).map(Duration::from_secs).unwrap_or(DEFAULT_TIMEOUT);
    let feed = Feed { info: ctx.info.clone(), sel, bookmarks };
    let ns = ctx.path.namespace.as_deref();
    let key = ctx.info.key();

    // Snapshot and subscription happen under one lock, so no change is missed or repeated.
    let mut first: Vec<Bytes> = Vec::new();
    let rx = {
        let mut store = lock(&ctx.shared.store);
        match since.filter(|_| !send_initial) {
            Some(rv) => match store.replay(&key, ns, rv) {
                Ok(changes) => first.extend(changes.iter().filter_map(|c| feed.render_change(c))),
                Err(too_old) => {
                    let msg = format!("too old resource version: {} ({})", too_old.requested, too_old.oldest);
                    first.push(line("ERROR", &ApiError::expired(msg).to_status()));
                    return Ok(streaming_response(finished(first)));
                }
            },
            // Without a resourceVersion (or with "0") the stream starts with the current state.
            None => {
                for obj in store.list(&key, ns, None).filter(|o| feed.sel.matches(o)) {
                    first.push(line("ADDED", &present(&feed.info, obj)));
                }
                if send_initial {
                    first.push(feed.bookmark(store.current_rv(), true));
                }
            }
        }
        store.subscribe(&key, ns)
    };
    let (tx, body) = mpsc::channel::<Bytes>(256);
    let shared = ctx.shared.clone();
    tokio::spawn(async move { feed.run(shared, tx, first, rx, timeout).await });
    Ok(streaming_response(body))
}

/// A body that carries `lines` and then ends.
fn finished(lines: Vec<Bytes>) -> mpsc::Receiver<Bytes> {
    let (tx, rx) = mpsc::channel(lines.len().max(1));
    for l in lines {
        // Capacity equals the number of lines, so this cannot fail.
        let _ = tx.try_send(l);
    }
    rx
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut out = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    out.push(b'\n');
    Bytes::from(out)
}

struct Feed {
    info: ResourceInfo,
    sel: Selectors,
    bookmarks: bool,
}

impl Feed {
    /// What this watcher sees of a change: with a selector, an object that starts matching is
    /// ADDED and one that stops matching is DELETED (its previous state, at the new version).
    fn render_change(&self, c: &Change) -> Option<Bytes> {
        let now = self.sel.matches(&c.object);
        let before = c.old.as_ref().is_some_and(|o| self.sel.matches(o));
        let (kind, obj) = match (c.kind, before, now) {
            (ChangeType::Added, _, true) => ("ADDED", c.object.clone()),
            (ChangeType::Deleted, _, true) => ("DELETED", c.object.clone()),
            (ChangeType::Modified, true, true) => ("MODIFIED", c.object.clone()),
            (ChangeType::Modified, false, true) => ("ADDED", c.object.clone()),
            (ChangeType::Modified, true, false) => {
                let mut old = c.old.clone().unwrap_or_default();
                meta_mut(&mut old).insert("resourceVersion".into(), json!(c.rv.to_string()));
                ("DELETED", old)
            }
            _ => return None,
        };
        Some(line(kind, &present(&self.info, &obj)))
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        line("BOOKMARK", &json!({"apiVersion": self.info.api_version(), "kind": self.info.kind, "metadata": meta}))
    }

    async fn run(
        self,
        shared: Arc<Shared>,
        tx: mpsc::Sender<Bytes>,
        first: Vec<Bytes>,
        mut rx: mpsc::UnboundedReceiver<Arc<Change>>,
        timeout: Duration,
    ) {
        for l in first {
            if tx.send(l).await.is_err() {
                return;
            }
        }
        let every = lock(&shared.settings).bookmark_interval.max(Duration::from_millis(10));
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            let out: Vec<Bytes> = tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                change = rx.recv() => match change {
                    // The feed closes when a test drops all watches: end the stream cleanly.
                    None => return,
                    Some(c) => self.render_change(&c).into_iter().collect(),
                },
                _ = ticker.tick(), if self.bookmarks => {
                    // Read the version first, then drain what is queued: every change up to
                    // that version is sent before the bookmark that claims it.
                    let rv = lock(&shared.store).current_rv();
                    let mut out: Vec<Bytes> = std::iter::from_fn(|| rx.try_recv().ok()).filter_map(|c| self.render_change(&c)).collect();
                    out.push(self.bookmark(rv, false));
                    out
                }
            };
            for l in out {
                if tx.send(l).await.is_err() {
                    return;
                }
            }
        }
    }
}
