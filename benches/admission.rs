//! In-process cost of one admission on the hot path (`/validate/workloads`, a ~9.7 KB Deployment
//! UPDATE that changes the pod template), split into its parts: reading the review, deciding,
//! writing the answer, and all of it through the service (no TLS, no sockets), next to the
//! correct floor's work on the same body (serde_json skipping every value but `request.uid`).
//!
//! Target (issue 11): reading the review plus deciding costs at most 1.5x the floor's parse.
//!
//! `cargo bench --bench admission`. The load generator (`webhook_load`) measures the same request
//! over TLS against the floor servers.
//!
//! Instruction counts, stable where wall-clock time is not (a shared machine):
//! `ADMISSION_CALLGRIND=1 valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/deps/admission-* --bench`
//! then `callgrind_annotate --inclusive=yes cg.out | grep callgrind_`: each `callgrind_*` function
//! runs [`CALLGRIND_ROUNDS`] times; its inclusive count divided by that is the cost of one.

#[path = "common/admission.rs"]
mod admission;
#[path = "common/correct_floor.rs"]
mod correct_floor;

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use readygate::webhook::admit::workloads::{self, DeploymentRequest};
use readygate::webhook::{AdmissionService, WebhookMetrics, WebhookState, review, router};

// The allocator `readygate` itself uses (src/main.rs): allocation is part of the cost measured.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Calls of each measured part in the callgrind mode.
const CALLGRIND_ROUNDS: usize = 100;

fn read(body: &[u8]) -> Option<DeploymentRequest<'_>> {
    review::parse_as(body)
}

fn read_and_decide(body: &[u8], state: &WebhookState) -> bool {
    read(body).is_some_and(|request| workloads::decide_parsed(&request, state.checklists(), state.now()).allowed)
}

fn bench_admission(c: &mut Criterion) {
    let body = admission::admission_review();
    let state = admission::webhook_state();
    let mut group = c.benchmark_group("admission");
    group.throughput(Throughput::Bytes(body.len() as u64));

    group.bench_function("correct floor: serde_json skipping all but the uid", |b| {
        b.iter(|| correct_floor::read_uid(black_box(&body)).is_some())
    });
    group.bench_function("read review (partial parse)", |b| b.iter(|| read(black_box(&body)).is_some()));
    let request = read(&body).expect("the review parses");
    group.bench_function("decide", |b| {
        b.iter(|| workloads::decide_parsed(black_box(&request), state.checklists(), state.now()).allowed)
    });
    group.bench_function("read review + decide", |b| b.iter(|| read_and_decide(black_box(&body), &state)));
    let verdict = workloads::decide_parsed(&request, state.checklists(), state.now());
    assert!(verdict.allowed, "the benchmark request must be admitted");
    group.bench_function("write answer", |b| b.iter(|| review::render(black_box(&request.uid), &verdict).len()));

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let service = router(state.clone(), WebhookMetrics::unregistered(), Duration::from_secs(10));
    let body = Bytes::from(body.clone());
    group.bench_function("service (body to answer, log and metrics)", |b| {
        b.iter(|| runtime.block_on(admission::admit_in_process(&service, body.clone())).len())
    });
    group.bench_function("correct floor: body to answer", |b| {
        b.iter(|| correct_floor::answer(black_box(&body)).map(|a| a.len()))
    });
    group.finish();
}

#[inline(never)]
fn callgrind_floor_read_uid(body: &[u8]) -> bool {
    correct_floor::read_uid(black_box(body)).is_some()
}

#[inline(never)]
fn callgrind_floor_answer(body: &[u8]) -> usize {
    correct_floor::answer(black_box(body)).map_or(0, |a| a.len())
}

#[inline(never)]
fn callgrind_read(body: &[u8]) -> bool {
    read(black_box(body)).is_some()
}

#[inline(never)]
fn callgrind_decide(request: &DeploymentRequest<'_>, state: &WebhookState) -> bool {
    workloads::decide_parsed(black_box(request), state.checklists(), state.now()).allowed
}

#[inline(never)]
fn callgrind_read_and_decide(body: &[u8], state: &WebhookState) -> bool {
    read_and_decide(black_box(body), state)
}

#[inline(never)]
fn callgrind_service(runtime: &tokio::runtime::Runtime, service: &AdmissionService, body: &Bytes) -> usize {
    runtime.block_on(admission::admit_in_process(service, black_box(body.clone()))).len()
}

/// Each part [`CALLGRIND_ROUNDS`] times, in functions named `callgrind_*` for the annotation.
fn callgrind_rounds() {
    let body = admission::admission_review();
    let state = admission::webhook_state();
    let request = read(&body).expect("the review parses");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let service = router(state.clone(), WebhookMetrics::unregistered(), Duration::from_secs(10));
    let bytes = Bytes::from(body.clone());
    // One untimed call of each first: lazy statics, the first allocations of each size.
    let mut kept = callgrind_service(&runtime, &service, &bytes);
    for _ in 0..CALLGRIND_ROUNDS {
        kept += usize::from(callgrind_floor_read_uid(&body));
        kept += callgrind_floor_answer(&body);
        kept += usize::from(callgrind_read(&body));
        kept += usize::from(callgrind_decide(&request, &state));
        kept += usize::from(callgrind_read_and_decide(&body, &state));
        kept += callgrind_service(&runtime, &service, &bytes);
    }
    println!("{CALLGRIND_ROUNDS} rounds of each part ({kept})");
}

fn main() {
    // Admissions log as they do in production: JSON lines at `info` (here into a sink), so the
    // service's figure includes formatting its log line.
    readygate::telemetry::init_with_writer(readygate::telemetry::LogFormat::Json, std::io::sink);
    if std::env::var_os("ADMISSION_CALLGRIND").is_some() {
        callgrind_rounds();
        return;
    }
    let mut criterion = Criterion::default().configure_from_args().warm_up_time(Duration::from_secs(1));
    bench_admission(&mut criterion);
    criterion.final_summary();
}
