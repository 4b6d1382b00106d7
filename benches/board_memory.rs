//! `readygate board` with 1,000 checklists: the board's resident memory once its reflector
//! holds them all, and how long the overview and one checklist page take to serve.
//!
//! Against the in-process API double, seeded with 1,000 copies of the 86-item NovaCron checklist
//! (spec and a status as the controller writes it, evaluated against examples/novacron/bad/),
//! in 50 namespaces. `cargo bench --bench board_memory` (`READYGATE_BENCH_CHECKLISTS` changes
//! the count).

#[path = "common/harness_mode.rs"]
mod harness_mode;

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kube::CustomResourceExt;
use readygate::checks::Facts;
use readygate::engine;
use readygate::inventory::{Inventory, manifests};
use serde_json::{Value, json};
use support::ApiServerDouble;

const NAMESPACES: usize = 50;

fn main() {
    if !harness_mode::is_bench_run("board_memory") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let count: usize = std::env::var("READYGATE_BENCH_CHECKLISTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let double = ApiServerDouble::start().await;
    double.install_crd(readygate::api::ReadinessChecklist::crd());
    let kubeconfig = double.write_kubeconfig();
    let template = novacron();
    for ns in 0..NAMESPACES {
        double.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("team-{ns}")}}));
    }
    for n in 0..count {
        let mut checklist = template.clone();
        checklist["metadata"] =
            json!({"name": format!("release-{n}"), "namespace": format!("team-{}", n % NAMESPACES)});
        double.seed(checklist);
    }
    let bytes: usize = serde_json::to_string(&template).map(|s| s.len()).unwrap_or(0);
    eprintln!("seeded {count} checklists of {bytes} bytes of JSON each");

    let idle = spawn_board(kubeconfig.path(), count, 0).await;
    let started = Instant::now();
    let board = spawn_board(kubeconfig.path(), count, 1).await;
    let synced = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss = rss_kib(board.child.id()).unwrap_or(0);
    let overview = median(21, || get(board.port, "/")).await;
    let page = median(21, || get(board.port, "/checklists/team-7/release-7")).await;
    let rss_after = rss_kib(board.child.id()).unwrap_or(0);
    let idle_rss = rss_kib(idle.child.id()).unwrap_or(0);
    for mut process in [board, idle] {
        let _ = process.child.kill();
        let _ = process.child.wait();
    }

    println!();
    println!("readygate board with {count} checklists of 86 items ({bytes} bytes of JSON each)");
    println!("  synced (overview lists all) in {:.1}s", synced.as_secs_f64());
    println!("  RSS once synced:          {:>7.1} MiB", rss as f64 / 1024.0);
    println!("  RSS after 42 page loads:  {:>7.1} MiB", rss_after as f64 / 1024.0);
    println!("  RSS with no checklist in scope (baseline): {:>7.1} MiB", idle_rss as f64 / 1024.0);
    println!("  overview page (all {count} rows): median {:.1} ms", overview.as_secs_f64() * 1000.0);
    println!("  checklist page (86 items):       median {:.1} ms", page.as_secs_f64() * 1000.0);
}

/// The NovaCron checklist with the status the controller writes after evaluating the bad
/// deployment.
fn novacron() -> Value {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(repo.join("examples/novacron/checklist.yaml")).expect("checklist");
    let objects = manifests::parse_str(&text, "checklist.yaml", "novacron").expect("parses");
    let object = objects.into_iter().find(|o| o.kind == "ReadinessChecklist").expect("a checklist");
    let mut value = object.data.clone();
    let checklist = serde_json::from_value(object.data).expect("valid checklist");
    let inventory = manifests::load(&[repo.join("examples/novacron/bad")], "novacron").expect("loads");
    let now = jiff::Timestamp::now();
    let evaluation = engine::evaluate(&checklist, &Inventory::from_objects(inventory), &Facts::offline(), now);
    let status = engine::next_status(None, &evaluation, Some(1), now);
    value["status"] = serde_json::to_value(status).expect("status");
    value
}

struct Board {
    child: std::process::Child,
    port: u16,
}

/// Starts the board (on namespace `default`, which holds none, when `all` is 0: the baseline)
/// and waits until its overview lists what it should.
async fn spawn_board(kubeconfig: &std::path::Path, count: usize, all: usize) -> Board {
    use std::io::BufRead as _;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_readygate"));
    command.args(["board", "--address", "127.0.0.1:0"]);
    if all == 0 {
        command.args(["-n", "default"]);
    }
    let mut child = command
        .env("KUBECONFIG", kubeconfig)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("starting readygate board");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line).expect("the board's URL");
    let port: u16 = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    let expected = if all == 0 { "0 of 0 checklists".to_owned() } else { format!("{count} of {count} checklists") };
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (_, body) = fetch(port, "/").await;
        if body.contains(&expected) {
            break;
        }
        assert!(Instant::now() < deadline, "the board did not list {expected}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Board { child, port }
}

async fn get(port: u16, path: &str) {
    let (status, body) = fetch(port, path).await;
    assert!(status.contains(" 200 "), "{path}: {status}");
    std::hint::black_box(body);
}

async fn fetch(port: u16, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return (String::new(), String::new());
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.lines().next().unwrap_or_default().to_owned(), body.to_owned())
}

async fn median<F, Fut>(runs: usize, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await;
        times.push(started.elapsed());
    }
    times.sort();
    times[runs / 2]
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
