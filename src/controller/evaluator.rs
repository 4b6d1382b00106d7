//! Where checklists are evaluated: a small, fixed set of dedicated OS threads, away from the
//! tokio runtime that serves the webhook, `/healthz`, `/metrics` and shutdown.
//!
//! The engine is synchronous CPU work that cannot be pre-empted. Run on a tokio worker, one
//! evaluation that never finishes (a runaway CEL expression) pins that worker for good; a few of
//! them pin the whole runtime, and with it admission for the whole cluster. So:
//!
//! - **A pool of its own.** `--evaluation-workers` threads (default 2) take jobs from one queue.
//!   Not tokio's blocking pool: it is shared with DNS and file I/O, grows to 512 threads, and the
//!   runtime's drop waits for its tasks forever. The pool's threads are never joined: a stuck one
//!   ends with the process.
//! - **A deadline per evaluation** (`--evaluation-timeout`, default 5 s), counted from
//!   submission, queue time included. When it passes, the caller stops waiting and gets
//!   [`Unfinished::DeadlineExceeded`]; a job still queued is taken out of the queue, a running one
//!   is told to stop (the engine asks between items) and its result, if any, is dropped.
//! - **At most one evaluation per checklist.** While an evaluation of a checklist still runs on a
//!   worker (past its deadline, say), the next one for that checklist is refused at once with
//!   [`Unfinished::StillRunning`] instead of queueing behind it. A runaway checklist therefore
//!   holds one worker, never more, and `k` runaway checklists hold `min(k, workers)`: the bound
//!   stops them from multiplying. Other checklists then get their deadline and `Unknown`, which
//!   the `readygate_evaluation_workers_busy` gauge at its maximum and
//!   `readygate_evaluations_unfinished_total` make visible.
//!
//! - **A lower CPU priority** ([`EvaluationPriority`], `--evaluation-priority`). By default the
//!   pool's threads run under `SCHED_IDLE`: a serving thread that wakes up takes the CPU from an
//!   evaluation at once, where a niced thread (nice 10 before) only loses its turn at the next
//!   scheduler tick or slice end, which put the webhook's p99 at 1.85x-2.98x its idle figure while
//!   runaways spun (target 2x). Evaluations still use every cycle serving leaves over: on a node
//!   with idle CPU they finish as fast as before; only when the pod's own serving saturates its
//!   CPU do they wait (and reach their deadline). `SCHED_IDLE` ranks threads within the pod's
//!   cgroup, so other pods' load does not starve them more than it starves serving.
//!   `--evaluation-priority nice:N` keeps the plain niceness for kernels or policies that forbid
//!   `SCHED_IDLE`. Figures: `cargo bench --bench webhook_load`.
//!
//! Hand-written rather than a crate (rayon, threadpool): those lack the two things this needs,
//! taking a queued job back out when its waiter gives up, and knowing which checklist a busy
//! worker holds.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::sync::oneshot;

use crate::api::ReadinessChecklist;
use crate::checks::Facts;
use crate::engine::{self, Evaluation};
use crate::inventory::Inventory;
use crate::metrics::Register;

/// Default of `--evaluation-workers`: evaluations are short CPU bursts, and `readygate` is sized
/// for two cores; more workers would only let more runaways compete with serving for the CPU.
pub const DEFAULT_WORKERS: usize = 2;
/// Default of `--evaluation-timeout`: ordinary checklists evaluate in milliseconds (see
/// `cargo bench --bench engine`); one that takes seconds is broken or hostile.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How a checklist is evaluated on a worker: the engine in production ([`engine_evaluate`]);
/// tests put a runaway here. `None`: stopped because the deadline passed.
pub type EvaluateFn = fn(&ReadinessChecklist, &Inventory, &Facts, Timestamp, &Deadline) -> Option<Evaluation>;

/// The engine, asked to stop between items once the deadline has passed.
pub fn engine_evaluate(
    checklist: &ReadinessChecklist,
    inventory: &Inventory,
    facts: &Facts,
    now: Timestamp,
    deadline: &Deadline,
) -> Option<Evaluation> {
    engine::evaluate_until(checklist, inventory, facts, now, &|| deadline.passed())
}

/// What the controller evaluates with.
#[derive(Clone, Debug)]
pub struct EvaluationSettings {
    pub pool: EvaluationPool,
    /// The deadline of one evaluation, queue time included.
    pub timeout: Duration,
    pub evaluate: EvaluateFn,
}

/// How much nicer than the process the evaluation threads run with `--evaluation-priority nice`
/// (niceness goes up to 19, the lowest priority): 10 steps make the kernel weigh a serving thread
/// about ten times as heavily as an evaluation thread. Nice 19 starved evaluations past their
/// deadline on a busy two-core machine.
pub const EVALUATION_NICE: i32 = 10;

/// How the evaluation threads give way to the threads that serve (`--evaluation-priority`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EvaluationPriority {
    /// `SCHED_IDLE` (Linux): run only on CPU time no other thread of the pod wants; a waking
    /// serving thread preempts at once.
    #[default]
    Idle,
    /// The normal policy, this many nice steps below the process (capped at 19).
    Nice(i32),
}

impl fmt::Display for EvaluationPriority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvaluationPriority::Idle => f.write_str("idle"),
            EvaluationPriority::Nice(steps) => write!(f, "nice:{steps}"),
        }
    }
}

/// `--evaluation-priority` that is neither `idle` nor `nice:N` with N in 0..=19.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("evaluation priority {0:?}: expected `idle` or `nice:N` with N from 0 to 19 (e.g. `nice:10`)")]
pub struct BadPriority(String);

impl std::str::FromStr for EvaluationPriority {
    type Err = BadPriority;

    fn from_str(text: &str) -> Result<Self, BadPriority> {
        let bad = || BadPriority(text.to_owned());
        match text.trim() {
            "idle" => Ok(EvaluationPriority::Idle),
            "nice" => Ok(EvaluationPriority::Nice(EVALUATION_NICE)),
            other => {
                let steps: i32 = other.strip_prefix("nice:").ok_or_else(bad)?.parse().map_err(|_| bad())?;
                if (0..=19).contains(&steps) { Ok(EvaluationPriority::Nice(steps)) } else { Err(bad()) }
            }
        }
    }
}

/// Which checklist an evaluation is for: `(namespace, name)`.
pub type EvaluationKey = (String, String);

/// Why an evaluation gave no result.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unfinished {
    #[error("evaluation did not finish within {}s", limit.as_secs_f64())]
    DeadlineExceeded { limit: Duration },
    /// The previous evaluation of the checklist still holds a worker (it overran its deadline).
    #[error("evaluation did not finish within {}s (the previous one is still running)", limit.as_secs_f64())]
    StillRunning { limit: Duration },
    #[error("evaluation failed unexpectedly (a bug: see the controller's log)")]
    Panicked,
    #[error("the evaluation pool has stopped")]
    Stopped,
}

impl Unfinished {
    /// The `Evaluated` condition's reason. A checklist whose previous evaluation still runs has
    /// not finished within its deadline either: one reason, so retries don't flap the status.
    pub fn reason(&self) -> &'static str {
        match self {
            Unfinished::DeadlineExceeded { .. } | Unfinished::StillRunning { .. } => "DeadlineExceeded",
            Unfinished::Panicked => "EvaluationFailed",
            Unfinished::Stopped => "ShuttingDown",
        }
    }

    /// The `readygate_evaluations_unfinished_total` label: which case, exactly.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Unfinished::DeadlineExceeded { .. } => "DeadlineExceeded",
            Unfinished::StillRunning { .. } => "StillRunning",
            Unfinished::Panicked => "EvaluationFailed",
            Unfinished::Stopped => "ShuttingDown",
        }
    }
}

/// What a running evaluation may ask: whether it should stop (its deadline passed, or its
/// caller gave up). Checking is one atomic load and a clock read.
#[derive(Clone, Debug)]
pub struct Deadline {
    at: Instant,
    abandoned: Arc<AtomicBool>,
}

impl Deadline {
    /// A deadline `limit` from now that nobody abandons (benches, tests, direct callers).
    pub fn after(limit: Duration) -> Self {
        Deadline { at: Instant::now() + limit, abandoned: Arc::new(AtomicBool::new(false)) }
    }

    pub fn passed(&self) -> bool {
        self.abandoned.load(Ordering::Relaxed) || Instant::now() >= self.at
    }
}

/// A job: computes its result on a worker and returns how to deliver it, so the worker can
/// release the checklist *before* the caller hears back (a caller that evaluates the same
/// checklist again right away must not find it still held).
type Work = Box<dyn FnOnce(&Deadline) -> Deliver + Send>;
type Deliver = Box<dyn FnOnce() + Send>;

struct Job {
    id: u64,
    key: EvaluationKey,
    deadline: Deadline,
    work: Work,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// Checklists with a job queued or running: at most one each.
    holding: HashSet<EvaluationKey>,
    stopped: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    available: Condvar,
    next_id: AtomicU64,
    metrics: PoolMetrics,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The pool. Cheap to clone; every clone submits to the same workers.
#[derive(Clone)]
pub struct EvaluationPool {
    shared: Arc<Shared>,
    workers: usize,
}

impl fmt::Debug for EvaluationPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvaluationPool").field("workers", &self.workers).finish_non_exhaustive()
    }
}

impl EvaluationPool {
    /// Starts `workers` (at least 1) threads named `readygate-eval-N`, at the default
    /// [`EvaluationPriority`].
    pub fn start(workers: usize, metrics: PoolMetrics) -> std::io::Result<Self> {
        Self::start_with_priority(workers, EvaluationPriority::default(), metrics)
    }

    /// [`EvaluationPool::start`] at `priority`.
    pub fn start_with_priority(
        workers: usize,
        priority: EvaluationPriority,
        metrics: PoolMetrics,
    ) -> std::io::Result<Self> {
        let workers = workers.max(1);
        let shared = Arc::new(Shared {
            queue: Mutex::default(),
            available: Condvar::new(),
            next_id: AtomicU64::new(0),
            metrics,
        });
        shared.metrics.workers.set(workers as i64);
        for n in 0..workers {
            let shared = Arc::clone(&shared);
            // Detached on purpose: shutdown must never wait for a runaway evaluation.
            std::thread::Builder::new().name(format!("readygate-eval-{n}")).spawn(move || {
                lower_priority(priority);
                work_loop(&shared);
            })?;
        }
        Ok(EvaluationPool { shared, workers })
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `work` for checklist `key` on a worker and waits for it, at most `limit` from now.
    /// Dropping the returned future (a shutdown) abandons the job like a passed deadline.
    pub async fn run<T, F>(&self, key: EvaluationKey, limit: Duration, work: F) -> Result<T, Unfinished>
    where
        T: Send + 'static,
        F: FnOnce(&Deadline) -> T + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let deadline = Deadline { at: Instant::now() + limit, abandoned: Arc::new(AtomicBool::new(false)) };
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut queue = self.shared.lock();
            if queue.stopped {
                return Err(self.unfinished(Unfinished::Stopped));
            }
            if !queue.holding.insert(key.clone()) {
                return Err(self.unfinished(Unfinished::StillRunning { limit }));
            }
            let work: Work = Box::new(move |deadline: &Deadline| {
                // A panicking check must not take a worker with it; the caller sees `Panicked`.
                let value = std::panic::catch_unwind(AssertUnwindSafe(|| work(deadline))).ok();
                Box::new(move || {
                    // The receiver is gone when the caller gave up; the result is dropped then.
                    let _ = reply.send(value);
                })
            });
            queue.jobs.push_back(Job { id, key, deadline: deadline.clone(), work });
            self.shared.metrics.queue_depth.set(queue.jobs.len() as i64);
        }
        self.shared.available.notify_one();

        let mut abandon = AbandonOnDrop { shared: &self.shared, id, deadline: &deadline, armed: true };
        let outcome = tokio::time::timeout_at(deadline.at.into(), answer).await;
        abandon.armed = false;
        match outcome {
            Ok(Ok(Some(value))) => Ok(value),
            Ok(Ok(None) | Err(_)) => Err(self.unfinished(Unfinished::Panicked)),
            Err(_) => {
                abandon_job(&self.shared, id, &deadline);
                Err(self.unfinished(Unfinished::DeadlineExceeded { limit }))
            }
        }
    }

    /// Stops taking jobs; idle workers exit. Running ones are not waited for.
    pub fn stop(&self) {
        let mut queue = self.shared.lock();
        queue.stopped = true;
        for job in queue.jobs.drain(..) {
            job.deadline.abandoned.store(true, Ordering::Relaxed);
        }
        self.shared.metrics.queue_depth.set(0);
        drop(queue);
        self.shared.available.notify_all();
    }

    fn unfinished(&self, reason: Unfinished) -> Unfinished {
        self.shared.metrics.unfinished.get_or_create(&ReasonLabels { reason: reason.metric_label() }).inc();
        reason
    }
}

/// Marks the job abandoned and takes it out of the queue if no worker has started it yet
/// (releasing its checklist for the next attempt).
fn abandon_job(shared: &Shared, id: u64, deadline: &Deadline) {
    deadline.abandoned.store(true, Ordering::Relaxed);
    let mut queue = shared.lock();
    if let Some(position) = queue.jobs.iter().position(|job| job.id == id) {
        if let Some(job) = queue.jobs.remove(position) {
            queue.holding.remove(&job.key);
        }
        shared.metrics.queue_depth.set(queue.jobs.len() as i64);
    }
}

struct AbandonOnDrop<'a> {
    shared: &'a Shared,
    id: u64,
    deadline: &'a Deadline,
    armed: bool,
}

impl Drop for AbandonOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            abandon_job(self.shared, self.id, self.deadline);
        }
    }
}

/// Lowers the calling thread's CPU priority. On Linux the policy and niceness are per thread;
/// elsewhere they would apply to the whole process, so they are left alone there.
fn lower_priority(priority: EvaluationPriority) {
    #[cfg(target_os = "linux")]
    {
        let lowered = match priority {
            EvaluationPriority::Idle => idle_policy(),
            EvaluationPriority::Nice(steps) => nicer_by(steps),
        };
        if let Err(error) = lowered {
            tracing::warn!(%error, %priority, "cannot lower the priority of an evaluation thread");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = priority;
}

/// `SCHED_IDLE` for the calling thread. Through `thread-priority` because neither rustix nor std
/// wraps `sched_setscheduler`, and this crate forbids `unsafe`.
#[cfg(target_os = "linux")]
fn idle_policy() -> Result<(), String> {
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy, thread_native_id,
        thread_schedule_policy,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    let set = set_thread_priority_and_policy(thread_native_id(), thread_priority::ThreadPriority::Min, idle);
    // The crate also resets the thread's niceness to 0 after switching the policy, which an
    // unprivileged niced process may not do; niceness means nothing under SCHED_IDLE, so what
    // counts is whether the policy took.
    match (set, thread_schedule_policy()) {
        (_, Ok(policy)) if policy == idle => Ok(()),
        (Err(error), _) => Err(format!("SCHED_IDLE: {error:?}")),
        (Ok(()), policy) => Err(format!("SCHED_IDLE did not take (policy now {policy:?})")),
    }
}

/// `steps` nice steps below the process (a niced pod stays niced relative to it).
#[cfg(target_os = "linux")]
fn nicer_by(steps: i32) -> Result<(), String> {
    use rustix::process::{getpriority_process, setpriority_process};
    let thread = Some(rustix::thread::gettid());
    getpriority_process(thread)
        .and_then(|own| setpriority_process(thread, (own + steps).min(19)))
        .map_err(|error| format!("nice +{steps}: {error}"))
}

fn work_loop(shared: &Shared) {
    loop {
        let job = {
            let mut queue = shared.lock();
            loop {
                if let Some(job) = queue.jobs.pop_front() {
                    shared.metrics.queue_depth.set(queue.jobs.len() as i64);
                    break job;
                }
                if queue.stopped {
                    return;
                }
                queue = shared.available.wait(queue).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let Job { key, deadline, work, .. } = job;
        if deadline.passed() {
            // Its caller has given up already (it normally takes the job out itself).
            shared.lock().holding.remove(&key);
            continue;
        }
        shared.metrics.busy.inc();
        let deliver = work(&deadline);
        shared.metrics.busy.dec();
        shared.lock().holding.remove(&key);
        deliver();
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// The pool's metric families (prefix `readygate_` from the registry).
#[derive(Clone, Debug, Default)]
pub struct PoolMetrics {
    workers: Gauge,
    busy: Gauge,
    queue_depth: Gauge,
    unfinished: Family<ReasonLabels, Counter>,
}

impl PoolMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        PoolMetrics {
            workers: registry.registered("evaluation_workers", "Threads that evaluate checklists"),
            busy: registry.registered(
                "evaluation_workers_busy",
                "Evaluation threads running an evaluation (at evaluation_workers for long: runaway checklists)",
            ),
            queue_depth: registry.registered("evaluation_queue_depth", "Evaluations waiting for a thread"),
            unfinished: registry.registered(
                "evaluations_unfinished",
                "Evaluations that gave no result, by reason (DeadlineExceeded, StillRunning, EvaluationFailed, ShuttingDown)",
            ),
        }
    }

    /// Metrics not exposed anywhere (tests, benches).
    pub fn unregistered() -> Self {
        PoolMetrics::default()
    }

    pub fn busy(&self) -> i64 {
        self.busy.get()
    }

    pub fn queue_depth(&self) -> i64 {
        self.queue_depth.get()
    }

    pub fn unfinished(&self, reason: &'static str) -> u64 {
        self.unfinished.get_or_create(&ReasonLabels { reason }).get()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    /// For work that must finish: generous, since the workers run niced on a shared machine.
    const AMPLE: Duration = Duration::from_secs(60);

    fn key(name: &str) -> EvaluationKey {
        ("ns".to_owned(), name.to_owned())
    }

    /// Work that holds its worker until `release` receives (or its sender is dropped), ignoring
    /// its deadline, as a runaway CEL expression would.
    fn stuck(release: mpsc::Receiver<()>) -> impl FnOnce(&Deadline) -> u32 + Send + 'static {
        move |_| {
            let _ = release.recv();
            0
        }
    }

    #[tokio::test]
    async fn returns_the_result_of_work_that_finishes_in_time() {
        let pool = EvaluationPool::start(1, PoolMetrics::unregistered()).expect("pool");
        let value = pool.run(key("a"), AMPLE, |_| 42).await;
        assert_eq!(value, Ok(42));
        pool.stop();
    }

    #[tokio::test]
    async fn a_runaway_holds_one_worker_and_others_still_finish() {
        let metrics = PoolMetrics::unregistered();
        let pool = EvaluationPool::start(2, metrics.clone()).expect("pool");
        let (release, held) = mpsc::channel();
        let started = Instant::now();
        let runaway = pool.run(key("runaway"), Duration::from_millis(100), stuck(held)).await;
        assert_eq!(runaway, Err(Unfinished::DeadlineExceeded { limit: Duration::from_millis(100) }));
        assert!(started.elapsed() < Duration::from_secs(2), "the caller stopped waiting at the deadline");
        assert_eq!(metrics.busy(), 1, "the runaway still holds its worker");

        // The same checklist again: refused at once, not queued behind itself.
        let again = pool.run(key("runaway"), Duration::from_secs(5), |_| 1).await;
        assert_eq!(again, Err(Unfinished::StillRunning { limit: Duration::from_secs(5) }));
        // Another checklist gets the free worker.
        assert_eq!(pool.run(key("other"), AMPLE, |_| 7).await, Ok(7));

        drop(release);
        for _ in 0..100 {
            if metrics.busy() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(metrics.busy(), 0);
        assert_eq!(pool.run(key("runaway"), AMPLE, |_| 3).await, Ok(3), "released once it ended");
        assert_eq!(metrics.unfinished("DeadlineExceeded"), 1);
        assert_eq!(metrics.unfinished("StillRunning"), 1);
        pool.stop();
    }

    #[tokio::test]
    async fn a_job_queued_behind_runaways_leaves_the_queue_at_its_deadline() {
        let metrics = PoolMetrics::unregistered();
        let pool = EvaluationPool::start(1, metrics.clone()).expect("pool");
        let (release, held) = mpsc::channel();
        let _ = pool.run(key("runaway"), Duration::from_millis(50), stuck(held)).await;
        let queued = pool.run(key("queued"), Duration::from_millis(50), |_| 1).await;
        assert_eq!(queued, Err(Unfinished::DeadlineExceeded { limit: Duration::from_millis(50) }));
        assert_eq!(metrics.queue_depth(), 0, "taken out of the queue");
        // Its checklist is free again although no worker ever took the job.
        let retried = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(key("queued"), AMPLE, |_| 2).await }
        });
        drop(release);
        assert_eq!(retried.await.expect("task"), Ok(2));
        pool.stop();
    }

    #[tokio::test]
    async fn work_sees_its_deadline_pass() {
        let pool = EvaluationPool::start(1, PoolMetrics::unregistered()).expect("pool");
        let (seen, saw) = mpsc::channel();
        let result = pool
            .run(key("cooperative"), Duration::from_millis(50), move |deadline| {
                while !deadline.passed() {
                    std::thread::sleep(Duration::from_millis(5));
                }
                let _ = seen.send(());
            })
            .await;
        // Whichever comes first, the caller's timer or the work returning; both mean "stopped".
        assert!(matches!(result, Ok(()) | Err(Unfinished::DeadlineExceeded { .. })), "{result:?}");
        assert!(saw.recv_timeout(Duration::from_secs(5)).is_ok(), "the work noticed and returned");
        pool.stop();
    }

    #[tokio::test]
    async fn a_panic_is_reported_and_the_worker_survives() {
        let pool = EvaluationPool::start(1, PoolMetrics::unregistered()).expect("pool");
        let panicked = pool.run(key("bug"), AMPLE, |_| -> u32 { panic!("a bug in a check") }).await;
        assert_eq!(panicked, Err(Unfinished::Panicked));
        assert_eq!(pool.run(key("bug"), AMPLE, |_| 5).await, Ok(5));
        pool.stop();
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn workers_run_under_sched_idle_by_default() {
        use thread_priority::unix::{NormalThreadSchedulePolicy, ThreadSchedulePolicy, thread_schedule_policy};
        let pool = EvaluationPool::start(1, PoolMetrics::unregistered()).expect("pool");
        let policy = pool.run(key("idle"), AMPLE, |_| thread_schedule_policy()).await.expect("runs").expect("policy");
        assert_eq!(policy, ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle));
        let serving = thread_schedule_policy().expect("own policy");
        assert_eq!(serving, ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other), "serving is untouched");
        pool.stop();
    }

    #[test]
    fn priorities_read_as_the_flag_spells_them() {
        assert_eq!("idle".parse(), Ok(EvaluationPriority::Idle));
        assert_eq!("nice:19".parse(), Ok(EvaluationPriority::Nice(19)));
        assert_eq!("nice".parse(), Ok(EvaluationPriority::Nice(EVALUATION_NICE)));
        for bad in ["nice:20", "nice:-1", "low", "nice:x", ""] {
            assert!(bad.parse::<EvaluationPriority>().is_err(), "{bad:?} is refused");
        }
        for priority in [EvaluationPriority::Idle, EvaluationPriority::Nice(7)] {
            assert_eq!(priority.to_string().parse(), Ok(priority), "Display and FromStr agree");
        }
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn workers_at_nice_priority_run_niced_relative_to_the_process() {
        let pool = EvaluationPool::start_with_priority(
            1,
            EvaluationPriority::Nice(EVALUATION_NICE),
            PoolMetrics::unregistered(),
        )
        .expect("pool");
        let own = rustix::process::getpriority_process(None).expect("own priority");
        let worker = pool
            .run(key("nice"), AMPLE, |_| rustix::process::getpriority_process(Some(rustix::thread::gettid())))
            .await
            .expect("runs")
            .expect("priority");
        assert_eq!(worker, (own + EVALUATION_NICE).min(19), "the worker is niced relative to the process");
        pool.stop();
    }

    #[tokio::test]
    async fn a_stopped_pool_refuses_work() {
        let pool = EvaluationPool::start(1, PoolMetrics::unregistered()).expect("pool");
        pool.stop();
        assert_eq!(pool.run(key("late"), Duration::from_secs(1), |_| 0).await, Err(Unfinished::Stopped));
    }
}
