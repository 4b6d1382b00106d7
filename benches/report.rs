//! Report rendering: the 86-item NovaCron checklist, evaluated once against `examples/novacron/`
//! `good/` and `bad/`, rendered as HTML (target: under 5 ms per report), with Markdown and the
//! table alongside for scale.
//!
//! Run with `cargo bench --bench report`. After criterion's figures it prints the median HTML
//! render time of the bad report (the larger one: a blocking list and longer messages) against
//! the 5 ms budget.

#[path = "common/timing.rs"]
mod timing;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use jiff::Timestamp;
use readygate::checks::Facts;
use readygate::engine::{self, Evaluation};
use readygate::inventory::{Inventory, manifests};
use readygate::report::{self, Format, Options};

const BUDGET: Duration = Duration::from_millis(5);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The NovaCron checklist evaluated offline against `examples/novacron/<deployment>/`.
fn evaluation(deployment: &str) -> Evaluation {
    let checklist_path = repo().join("examples/novacron/checklist.yaml");
    let text = std::fs::read_to_string(&checklist_path).expect("checklist readable");
    let objects = manifests::parse_str(&text, "checklist.yaml", "novacron").expect("checklist parses");
    let object = objects.into_iter().find(|o| o.kind == "ReadinessChecklist").expect("a ReadinessChecklist");
    let checklist = serde_json::from_value(object.data).expect("valid checklist");
    let objects = manifests::load(&[repo().join("examples/novacron").join(deployment)], "novacron").expect("loads");
    let now: Timestamp = "2026-11-25T12:00:00Z".parse().expect("timestamp");
    let evaluation = engine::evaluate(&checklist, &Inventory::from_objects(objects), &Facts::offline(), now);
    assert_eq!(evaluation.items.len(), 86, "the NovaCron checklist has 86 items");
    evaluation
}

fn offline() -> Options {
    Options { offline: true, ..Options::default() }
}

fn render_novacron(c: &mut Criterion, evaluations: &[(&str, Evaluation)]) {
    let mut group = c.benchmark_group("render_novacron");
    for (deployment, evaluation) in evaluations {
        let evaluations = std::slice::from_ref(evaluation);
        for (name, format) in [("html", Format::Html), ("markdown", Format::Markdown), ("table", Format::Table)] {
            group.bench_with_input(BenchmarkId::new(name, deployment), &format, |b, &format| {
                b.iter(|| report::render(format, black_box(evaluations), &offline()).expect("renders"));
            });
        }
    }
    group.finish();
}

fn print_budget(bad: &Evaluation) {
    let evaluations = std::slice::from_ref(bad);
    let mut bytes = 0;
    let median = timing::median_time(201, || {
        bytes = black_box(report::html::render(evaluations, &offline())).len();
    });
    println!(
        "render_novacron/html/bad: median {median:.1?} for {bytes} bytes (budget {BUDGET:?}){}",
        if median <= BUDGET { "" } else { "  OVER BUDGET" }
    );
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let evaluations = [("good", evaluation("good")), ("bad", evaluation("bad"))];
    render_novacron(&mut criterion, &evaluations);
    criterion.final_summary();
    // `cargo bench` passes --bench; `cargo test --benches` runs each benchmark once instead, and
    // listing (`--list`) must not do any work.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list") {
        print_budget(&evaluations[1].1);
    }
}
