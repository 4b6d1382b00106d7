//! In-process cost of one admission on the hot path (`/validate/workloads`, a ~9.7 KB Deployment
//! UPDATE that changes the pod template), split into its parts: reading the review, deciding,
//! writing the answer, and all of it through the service (no TLS, no sockets).
//!
//! `cargo bench --bench admission`. The load generator (`webhook_load`) measures the same request
//! over TLS against a floor server.

#[path = "common/admission.rs"]
mod admission;

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use readygate::webhook::admit::workloads::{self, DeploymentView, TemplateOnly};
use readygate::webhook::{WebhookMetrics, review, router};

// The allocator `readygate` itself uses (src/main.rs): allocation is part of the cost measured.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn bench_admission(c: &mut Criterion) {
    let body = admission::admission_review();
    let state = admission::webhook_state();
    let mut group = c.benchmark_group("admission");
    group.throughput(Throughput::Bytes(body.len() as u64));

    group.bench_function("read review (partial parse)", |b| {
        b.iter(|| review::parse_as::<DeploymentView<'_>, TemplateOnly<'_>>(black_box(&body)).is_some())
    });
    let request = review::parse_as::<DeploymentView<'_>, TemplateOnly<'_>>(&body).expect("the review parses");
    group.bench_function("decide", |b| {
        b.iter(|| workloads::decide_parsed(black_box(&request), state.checklists(), state.now()).allowed)
    });
    let verdict = workloads::decide_parsed(&request, state.checklists(), state.now());
    assert!(verdict.allowed, "the benchmark request must be admitted");
    group.bench_function("write answer", |b| b.iter(|| review::render(black_box(&request.uid), &verdict).len()));

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let service = router(state.clone(), WebhookMetrics::unregistered(), Duration::from_secs(10));
    let body = Bytes::from(body.clone());
    group.bench_function("service (body to answer)", |b| {
        b.iter(|| runtime.block_on(admission::admit_in_process(&service, body.clone())).len())
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args().warm_up_time(Duration::from_secs(1));
    bench_admission(&mut criterion);
    criterion.final_summary();
}
