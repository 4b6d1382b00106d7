//! A stand-in for `readygate run` whose evaluation of one checklist never finishes: the test
//! executable itself, started again with the run arguments in [`CHILD_ENV`], runs
//! `readygate::cli::run::main_with` with [`evaluate`] on its evaluation pool. Every other
//! checklist is evaluated by the engine as usual.
//!
//! This is the seam that keeps proving the pool once the CEL budget refuses the abusive
//! expressions a real checklist could use to run away.

use std::sync::atomic::{AtomicBool, Ordering};

use jiff::Timestamp;
use readygate::api::ReadinessChecklist;
use readygate::checks::Facts;
use readygate::cli::{self, Command};
use readygate::controller::evaluator::{self, Deadline};
use readygate::engine::Evaluation;
use readygate::inventory::Inventory;

/// The run arguments, one per line; set only in the child process.
const CHILD_ENV: &str = "READYGATE_E2E_RUNAWAY_RUN_ARGS";
/// The test function that is the child's entry point (see `e2e_gate.rs`).
pub const CHILD_TEST: &str = "runaway_child_process";
/// Checklists whose names start with this run away.
pub const RUNAWAY: &str = "runaway";

/// Lets runaway evaluations of this process end (only the self-check uses it; the child's run
/// away until the process ends).
static RELEASE: AtomicBool = AtomicBool::new(false);

/// The evaluation the child runs: the engine, except for checklists named `runaway…`, which spin
/// on the CPU and ignore their deadline, as a CEL expression without a budget does.
pub fn evaluate(
    checklist: &ReadinessChecklist,
    inventory: &Inventory,
    facts: &Facts,
    now: Timestamp,
    deadline: &Deadline,
) -> Option<Evaluation> {
    if !checklist.metadata.name.as_deref().is_some_and(|name| name.starts_with(RUNAWAY)) {
        return evaluator::engine_evaluate(checklist, inventory, facts, now, deadline);
    }
    let mut spins: u64 = 0;
    while !RELEASE.load(Ordering::Relaxed) {
        spins = std::hint::black_box(spins.wrapping_add(1));
    }
    None
}

/// The command that starts this test executable as the child, with `args` for `readygate run`.
pub fn child_command(args: &[String]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(std::env::current_exe().expect("own executable"));
    command.args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"]).env(CHILD_ENV, args.join("\n"));
    command
}

/// In the child: runs `readygate run` with [`evaluate`] and exits with its code. Otherwise
/// returns.
pub fn run_if_child() {
    let Ok(args) = std::env::var(CHILD_ENV) else { return };
    let cli = cli::parse_from(std::iter::once("readygate").chain(args.lines()));
    let Command::Run(args) = cli.command else { panic!("{CHILD_ENV} must hold `run` arguments") };
    let _ = rustls::crypto::ring::default_provider().install_default();
    std::process::exit(i32::from(cli::run::main_with(&args, evaluate)));
}

/// Outside the child: the stand-in really ignores a passed deadline (else the e2e test would
/// prove nothing), and the engine's evaluation is used for other checklists.
pub fn check_the_stand_in() {
    let checklist: ReadinessChecklist = serde_json::from_value(serde_json::json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": RUNAWAY, "namespace": "shop"},
        "spec": {"items": [{"name": "x", "check": {"manual": {"approvers": {"users": ["a"]}}}}]}
    }))
    .expect("checklist");
    let (done, finished) = std::sync::mpsc::channel();
    let worker = {
        let checklist = checklist.clone();
        std::thread::spawn(move || {
            let passed = Deadline::after(std::time::Duration::ZERO);
            let _ = done.send(evaluate(&checklist, &Inventory::new(), &Facts::live(), Timestamp::now(), &passed));
        })
    };
    let outcome = finished.recv_timeout(std::time::Duration::from_millis(300));
    RELEASE.store(true, Ordering::Relaxed);
    worker.join().expect("joins");
    assert!(outcome.is_err(), "the runaway stand-in returned despite never being released");

    let mut ordinary = checklist;
    ordinary.metadata.name = Some("ordinary".to_owned());
    let deadline = Deadline::after(std::time::Duration::from_secs(60));
    let evaluation = evaluate(&ordinary, &Inventory::new(), &Facts::live(), Timestamp::now(), &deadline);
    assert_eq!(evaluation.map(|e| e.items.len()), Some(1), "other checklists are evaluated by the engine");
}
