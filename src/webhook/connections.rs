//! Which connections the webhook keeps: bounded in number overall and per peer, and in time
//! while idle.
//!
//! The threat is a client that opens connections and sends nothing (or nothing more): hyper's
//! header timeout starts only at the first byte, and an HTTP/2 connection without streams is
//! kept alive by its pings, so 2,048 silent TLS connections used to hold every slot while the
//! API server's own request waited in the listen backlog. The design:
//!
//! - **Idle means no request in flight.** A connection is idle from accept (TLS handshake
//!   included) until its first request reaches the service, and again from the end of each
//!   response until the next request. A connection reading a request's headers or body slowly is
//!   idle too for these purposes; the header and request timeouts bound those phases separately.
//! - **Idle deadlines.** A fresh connection must deliver its first request within
//!   `--webhook-header-timeout` of accept; a keep-alive connection (HTTP/1.1 or HTTP/2) may idle
//!   for `--webhook-idle-timeout` between requests. Then it is shut down gracefully (HTTP/2:
//!   GOAWAY) and dropped if it is not gone after [`CLOSE_GRACE`]. hyper has no such timer (its
//!   timers start at the first byte of a request, and HTTP/2 keep-alive pings only prove the
//!   peer is alive), hence this hand-written activity tracking.
//! - **At the cap, evict instead of waiting.** When `--webhook-max-connections` are open, a new
//!   connection closes the connection that has been idle longest, and is served at once. Only
//!   when every open connection has a request in flight does it wait (in the listen backlog), and
//!   those requests end within the request timeout. So silent connections can delay a valid
//!   request by the time it takes to close one of them, not by their timeout.
//! - **Per peer, evict your own.** In a cluster every legitimate request comes from the
//!   kube-apiserver, often from one address, so a peer cap must not refuse the API server: a
//!   peer that reaches `--webhook-max-connections-per-peer` closes *its own* longest-idle
//!   connection to open another. An attacker on one address can therefore hold at most that many
//!   connections and, once there, churns only its own; it cannot evict the API server's. A new
//!   connection is refused only when its peer already has the per-peer cap of requests in flight.
//!
//! Picking the longest-idle connection scans the open ones (a few thousand at most) under one
//! lock; that happens only at a cap, and costs microseconds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long a connection told to close (idle deadline, eviction) may take to go before it is
/// dropped: enough to send GOAWAY or finish writing a response, not enough to hold a slot.
pub const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// The connection bounds, from the webhook flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_total: usize,
    pub max_per_peer: usize,
    /// From accept to the first request.
    pub first_request: Duration,
    /// From the end of a response to the next request.
    pub idle: Duration,
}

/// Why a connection was closed by the server (a metric label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// No first request within the first-request deadline.
    NoRequest,
    /// Idle longer than the idle timeout after a request.
    Idle,
    /// Closed to make room for a new connection at the cap.
    Evicted,
}

impl CloseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::NoRequest => "no_request",
            CloseReason::Idle => "idle",
            CloseReason::Evicted => "evicted",
        }
    }
}

/// Why a new connection was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the peer has {0} connections with requests in flight")]
    PeerBusy(usize),
    #[error("the webhook is shutting down")]
    ShuttingDown,
}

/// One connection's activity, shared by its task, its service and the registry.
#[derive(Debug)]
pub struct Activity {
    id: u64,
    peer: IpAddr,
    in_flight: AtomicUsize,
    /// When it last became idle, and whether it served a request yet.
    idle: Mutex<(Instant, bool)>,
    /// Wakes the connection task when it becomes idle (to restart its timer).
    changed: Notify,
    /// The registry's: wakes an admission waiting for a connection to become evictable.
    idle_or_ended: Arc<Notify>,
    evicted: CancellationToken,
}

impl Activity {
    fn lock_idle(&self) -> MutexGuard<'_, (Instant, bool)> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request reached the service; the returned guard ends it (on drop, so a cancelled
    /// request ends too).
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(self))
    }

    fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }

    /// When the connection must be closed if it stays idle, and why; `None` while busy.
    pub fn idle_deadline(&self, limits: &Limits) -> Option<(Instant, CloseReason)> {
        if !self.is_idle() {
            return None;
        }
        let (since, served) = *self.lock_idle();
        Some(if served {
            (since + limits.idle, CloseReason::Idle)
        } else {
            (since + limits.first_request, CloseReason::NoRequest)
        })
    }

    /// Resolves when the registry told this connection to make room.
    pub async fn evicted(&self) {
        self.evicted.cancelled().await;
    }

    /// Resolves when the connection became idle again (its deadline moved).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    pub fn peer(&self) -> IpAddr {
        self.peer
    }
}

/// A request in flight on a connection.
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.lock_idle() = (Instant::now(), true);
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.changed.notify_one();
            self.0.idle_or_ended.notify_waiters();
        }
    }
}

#[derive(Default)]
struct Open {
    next_id: u64,
    /// Every admitted connection not yet told to close.
    live: HashMap<u64, Arc<Activity>>,
    per_peer: HashMap<IpAddr, usize>,
    /// Connections still open in all (live and closing): the drain waits for zero.
    total: usize,
    stopped: bool,
}

impl Open {
    fn forget(&mut self, id: u64) -> Option<Arc<Activity>> {
        let activity = self.live.remove(&id)?;
        if let Some(count) = self.per_peer.get_mut(&activity.peer) {
            *count -= 1;
            if *count == 0 {
                self.per_peer.remove(&activity.peer);
            }
        }
        Some(activity)
    }

    /// The live connection idle longest, among those of `peer` if given.
    fn longest_idle(&self, peer: Option<IpAddr>) -> Option<u64> {
        self.live
            .values()
            .filter(|a| peer.is_none_or(|p| a.peer == p) && a.is_idle())
            .min_by_key(|a| (a.lock_idle().0, a.id))
            .map(|a| a.id)
    }
}

/// The open connections of one server.
pub struct Connections {
    limits: Limits,
    open: Mutex<Open>,
    /// Signalled whenever a connection ends or becomes idle.
    ended: Arc<Notify>,
    evictions: AtomicUsize,
}

impl Connections {
    pub fn new(limits: Limits) -> Arc<Self> {
        let limits = Limits { max_total: limits.max_total.max(1), max_per_peer: limits.max_per_peer.max(1), ..limits };
        Arc::new(Connections { limits, open: Mutex::default(), ended: Arc::default(), evictions: AtomicUsize::new(0) })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a connection from `peer`, evicting idle connections at the caps; waits only while
    /// every connection has a request in flight. The returned [`Slot`] must live as long as the
    /// connection.
    pub async fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Slot, Refused> {
        loop {
            let ended = self.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            {
                let mut open = self.lock();
                if open.stopped {
                    return Err(Refused::ShuttingDown);
                }
                if open.per_peer.get(&peer).copied().unwrap_or(0) >= self.limits.max_per_peer {
                    let victim = open.longest_idle(Some(peer)).ok_or(Refused::PeerBusy(self.limits.max_per_peer))?;
                    self.evict(&mut open, victim);
                }
                if open.live.len() >= self.limits.max_total
                    && let Some(victim) = open.longest_idle(None)
                {
                    self.evict(&mut open, victim);
                }
                if open.live.len() < self.limits.max_total {
                    let id = open.next_id;
                    open.next_id += 1;
                    let activity = Arc::new(Activity {
                        id,
                        peer,
                        in_flight: AtomicUsize::new(0),
                        idle: Mutex::new((Instant::now(), false)),
                        changed: Notify::new(),
                        idle_or_ended: Arc::clone(&self.ended),
                        evicted: CancellationToken::new(),
                    });
                    open.live.insert(id, Arc::clone(&activity));
                    *open.per_peer.entry(peer).or_insert(0) += 1;
                    open.total += 1;
                    return Ok(Slot { connections: Arc::clone(self), activity });
                }
            }
            // Every connection is busy: wait for one to end or go idle.
            ended.await;
        }
    }

    fn evict(&self, open: &mut Open, id: u64) {
        if let Some(activity) = open.forget(id) {
            self.evictions.fetch_add(1, Ordering::Relaxed);
            activity.evicted.cancel();
        }
    }

    /// Connections open (closing ones included).
    pub fn count(&self) -> usize {
        self.lock().total
    }

    pub fn evictions(&self) -> usize {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Admits nothing more (shutdown).
    pub fn stop(&self) {
        self.lock().stopped = true;
    }

    /// Resolves once every connection has ended.
    pub async fn drained(&self) {
        loop {
            let ended = self.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.lock().total == 0 {
                return;
            }
            ended.await;
        }
    }
}

/// An admitted connection's place; dropping it frees the place.
pub struct Slot {
    connections: Arc<Connections>,
    activity: Arc<Activity>,
}

impl Slot {
    pub fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        {
            let mut open = self.connections.lock();
            open.forget(self.activity.id);
            open.total -= 1;
        }
        self.connections.ended.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_total: usize, max_per_peer: usize) -> Limits {
        Limits { max_total, max_per_peer, first_request: Duration::from_secs(5), idle: Duration::from_secs(60) }
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    async fn admit(connections: &Arc<Connections>, peer: IpAddr) -> Slot {
        tokio::time::timeout(Duration::from_secs(1), connections.admit(peer))
            .await
            .expect("admitted without waiting")
            .expect("admitted")
    }

    fn is_evicted(slot: &Slot) -> bool {
        slot.activity.evicted.is_cancelled()
    }

    #[tokio::test(start_paused = true)]
    async fn at_the_cap_the_longest_idle_connection_makes_room() {
        let connections = Connections::new(limits(2, 10));
        let oldest = admit(&connections, ip(1)).await;
        tokio::time::advance(Duration::from_millis(10)).await;
        let newer = admit(&connections, ip(2)).await;
        let third = admit(&connections, ip(3)).await;
        assert!(is_evicted(&oldest), "the longest idle is told to close");
        assert!(!is_evicted(&newer) && !is_evicted(&third));
        assert_eq!(connections.count(), 3, "it counts until it has closed");
        drop(oldest);
        assert_eq!(connections.count(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_with_a_request_in_flight_is_never_evicted() {
        let connections = Connections::new(limits(1, 10));
        let busy = admit(&connections, ip(1)).await;
        let request = busy.activity().begin();
        let waiting = tokio::spawn({
            let connections = Arc::clone(&connections);
            async move { connections.admit(ip(2)).await.map(|slot| slot.activity.peer) }
        });
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert!(!waiting.is_finished(), "waits while every connection is busy");
        assert!(!is_evicted(&busy));
        drop(request);
        drop(busy);
        assert_eq!(waiting.await.expect("task"), Ok(ip(2)), "admitted once a connection ended");
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_at_its_cap_evicts_its_own_connections_not_others() {
        let connections = Connections::new(limits(10, 2));
        let apiserver = admit(&connections, ip(1)).await;
        tokio::time::advance(Duration::from_millis(10)).await;
        let attacker: Vec<Slot> = vec![admit(&connections, ip(9)).await, admit(&connections, ip(9)).await];
        let third = admit(&connections, ip(9)).await;
        assert!(!is_evicted(&apiserver), "another peer's idle connection stays although it is older");
        assert!(is_evicted(&attacker[0]), "the peer's own longest-idle connection goes");
        assert!(!is_evicted(&third));

        // All of a peer's connections busy: the next one is refused, not queued.
        let _requests: Vec<InFlight> = [&attacker[1], &third].iter().map(|s| s.activity().begin()).collect();
        let refused = connections.admit(ip(9)).await.err();
        assert_eq!(refused, Some(Refused::PeerBusy(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_are_first_request_then_idle_and_none_while_busy() {
        let connections = Connections::new(limits(10, 10));
        let slot = admit(&connections, ip(1)).await;
        let accepted = Instant::now();
        let (at, reason) = slot.activity().idle_deadline(connections.limits()).expect("idle");
        assert_eq!((at, reason), (accepted + Duration::from_secs(5), CloseReason::NoRequest));
        let request = slot.activity().begin();
        assert_eq!(slot.activity().idle_deadline(connections.limits()), None);
        tokio::time::advance(Duration::from_secs(3)).await;
        drop(request);
        let (at, reason) = slot.activity().idle_deadline(connections.limits()).expect("idle again");
        assert_eq!((at, reason), (accepted + Duration::from_secs(63), CloseReason::Idle));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stopped_registry_admits_nothing_and_drains() {
        let connections = Connections::new(limits(10, 10));
        let slot = admit(&connections, ip(1)).await;
        connections.stop();
        assert_eq!(connections.admit(ip(2)).await.err(), Some(Refused::ShuttingDown));
        let drained = tokio::spawn({
            let connections = Arc::clone(&connections);
            async move { connections.drained().await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!drained.is_finished());
        drop(slot);
        tokio::time::timeout(Duration::from_secs(1), drained).await.expect("drained").expect("task");
    }
}
