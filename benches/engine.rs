//! Engine benchmarks: the NovaCron checklist against clusters of 1k, 10k and 100k objects, and
//! the cost of evaluation next to parsing a 10k-object manifest stream.
//!
//! Every inventory holds the `examples/novacron/good/` objects (namespace `novacron`) plus N
//! generated objects spread over N/100 tenant namespaces. Each tenant namespace holds exactly 100
//! objects, a mix typical of a multi-team cluster:
//!
//! | kind | per namespace | shape |
//! | --- | --- | --- |
//! | Deployment | 20 | pod template with probes, resources, env from Secrets; every 4th has a sidecar |
//! | Service | 20 | ClusterIP; every 10th a LoadBalancer on 443 |
//! | ConfigMap | 20 | three keys |
//! | Secret | 10 | two keys |
//! | NetworkPolicy | 8 | one default-deny, seven allow rules from namespace pods |
//! | Role / RoleBinding | 5 / 5 | read access for a team group and a ServiceAccount |
//! | ClusterRole / ClusterRoleBinding | 1 / 1 | cluster-scoped, bound to a tenant ServiceAccount |
//! | HorizontalPodAutoscaler | 4 | targets a Deployment |
//! | PodDisruptionBudget | 3 | selects a Deployment's pods |
//! | CronJob | 2 | nightly and hourly |
//! | Ingress | 1 | TLS host per tenant |
//!
//! Cluster-scoped objects grow with N too, and the RBAC, ClusterIssuer and StorageClass checks
//! read them, so the evaluation is not trivially independent of cluster size.
//!
//! `cel_budget` times the CEL budget's units: an expression estimated just under the limit, and
//! `matches()` over 1,000 strings.
//!
//! Run with `cargo bench --bench engine`. After criterion's figures it prints the ratio of
//! parse+evaluate to parse-only for the 10k stream (expected at most 1.5x: evaluation is cheap
//! next to reading the YAML).

#[path = "common/timing.rs"]
mod timing;

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use jiff::Timestamp;
use readygate::api::ReadinessChecklist;
use readygate::checks::Facts;
use readygate::engine;
use readygate::inventory::{Inventory, Object, manifests};
use serde_json::{Value, json};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
const STREAM_SIZE: usize = 10_000;
const PER_NAMESPACE: usize = 100;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().expect("timestamp")
}

fn checklist() -> &'static ReadinessChecklist {
    static CHECKLIST: OnceLock<ReadinessChecklist> = OnceLock::new();
    CHECKLIST.get_or_init(|| {
        let path = repo().join("examples/novacron/checklist.yaml");
        let text = std::fs::read_to_string(&path).expect("checklist readable");
        let objects = manifests::parse_str(&text, "checklist.yaml", "novacron").expect("checklist parses");
        let object = objects.into_iter().find(|o| o.kind == "ReadinessChecklist").expect("a ReadinessChecklist");
        serde_json::from_value(object.data).expect("valid checklist")
    })
}

fn novacron_objects() -> Vec<Object> {
    manifests::load(&[repo().join("examples/novacron/good")], "novacron").expect("good/ loads")
}

// ---------------------------------------------------------------- generated tenants

fn labels(ns: &str, app: &str) -> Value {
    json!({"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": ns, "team": ns})
}

fn meta(ns: &str, name: &str, app: &str) -> Value {
    json!({"name": name, "namespace": ns, "labels": labels(ns, app)})
}

fn container(name: &str, image: &str, port: i64) -> Value {
    json!({
        "name": name,
        "image": image,
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "DATABASE_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
        ],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}
    })
}

fn deployment(ns: &str, i: usize) -> Value {
    let app = format!("svc-{i:02}");
    let mut containers = vec![container("app", &format!("registry.example.com/{ns}/{app}:1.{i}.0"), 8080)];
    if i.is_multiple_of(4) {
        containers.push(container("proxy", "registry.example.com/mesh/proxy:2.3.1", 15001));
    }
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(ns, &app, &app),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels(ns, &app)},
                "spec": {
                    "securityContext": {"runAsNonRoot": true, "runAsUser": 10001},
                    "terminationGracePeriodSeconds": 30,
                    "containers": containers
                }
            }
        }
    })
}

fn service(ns: &str, i: usize) -> Value {
    let app = format!("svc-{i:02}");
    let (kind, port) = if i.is_multiple_of(10) { ("LoadBalancer", 443) } else { ("ClusterIP", 8080) };
    json!({
        "apiVersion": "v1", "kind": "Service", "metadata": meta(ns, &app, &app),
        "spec": {"type": kind, "selector": {"app.kubernetes.io/name": app},
                 "ports": [{"name": "http", "port": port, "targetPort": "http"}]}
    })
}

fn config_map(ns: &str, i: usize) -> Value {
    json!({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(ns, &format!("config-{i:02}"), "config"),
        "data": {"LOG_FORMAT": "json", "FEATURE_FLAGS": "search,export", "settings.yaml": "retries: 3\ntimeout: 5s\n"}
    })
}

fn secret(ns: &str, i: usize) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta(ns, &format!("secret-{i:02}"), "db"),
        "data": {"username": "YXBw", "password": "c2FtcGxlLXBhc3N3b3JkLWZvci1iZW5jaGVz"}
    })
}

fn network_policy(ns: &str, i: usize) -> Value {
    if i == 0 {
        return json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta(ns, "default-deny", "net"),
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        });
    }
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": meta(ns, &format!("allow-{i:02}"), "net"),
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": format!("svc-{i:02}")}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {}}], "ports": [{"protocol": "TCP", "port": 8080}]}]
        }
    })
}

fn role(ns: &str, i: usize) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta(ns, &format!("reader-{i}"), "rbac"),
        "rules": [
            {"apiGroups": [""], "resources": ["pods", "configmaps", "services"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]}
        ]
    })
}

fn role_binding(ns: &str, i: usize) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": meta(ns, &format!("reader-{i}"), "rbac"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("reader-{i}")},
        "subjects": [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": format!("{ns}-team-{i}")},
            {"kind": "ServiceAccount", "name": format!("svc-{i:02}"), "namespace": ns}
        ]
    })
}

fn cluster_role(ns: &str) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": format!("{ns}-node-reader"), "labels": labels(ns, "rbac")},
        "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]}]
    })
}

fn cluster_role_binding(ns: &str) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": format!("{ns}-node-reader"), "labels": labels(ns, "rbac")},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": format!("{ns}-node-reader")},
        "subjects": [{"kind": "ServiceAccount", "name": "svc-00", "namespace": ns}]
    })
}

fn hpa(ns: &str, i: usize) -> Value {
    let app = format!("svc-{i:02}");
    json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta(ns, &app, &app),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
            "minReplicas": 2, "maxReplicas": 6,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                         "target": {"type": "Utilization", "averageUtilization": 75}}}]
        }
    })
}

fn pdb(ns: &str, i: usize) -> Value {
    let app = format!("svc-{i:02}");
    json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(ns, &app, &app),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": app}}}
    })
}

fn cron_job(ns: &str, i: usize) -> Value {
    let schedule = if i == 0 { "0 3 * * *" } else { "15 * * * *" };
    json!({
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta(ns, &format!("job-{i}"), "jobs"),
        "spec": {
            "schedule": schedule, "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "OnFailure",
                "containers": [{"name": "job", "image": "registry.example.com/jobs/runner:4.1.0",
                                "args": ["run", format!("task-{i}")]}]
            }}}}
        }
    })
}

fn ingress(ns: &str) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta(ns, "web", "svc-01"),
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [format!("{ns}.example.com")], "secretName": "web-tls"}],
            "rules": [{"host": format!("{ns}.example.com"), "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "svc-01", "port": {"name": "http"}}}}]}}]
        }
    })
}

/// The 100 objects of one tenant namespace, in the mix the module documentation lists.
fn tenant(ns: &str) -> Vec<Value> {
    let mut objects = Vec::with_capacity(PER_NAMESPACE);
    objects.extend((0..20).map(|i| deployment(ns, i)));
    objects.extend((0..20).map(|i| service(ns, i)));
    objects.extend((0..20).map(|i| config_map(ns, i)));
    objects.extend((0..10).map(|i| secret(ns, i)));
    objects.extend((0..8).map(|i| network_policy(ns, i)));
    objects.extend((0..5).map(|i| role(ns, i)));
    objects.extend((0..5).map(|i| role_binding(ns, i)));
    objects.push(cluster_role(ns));
    objects.push(cluster_role_binding(ns));
    objects.extend((0..4).map(|i| hpa(ns, i)));
    objects.extend((0..3).map(|i| pdb(ns, i)));
    objects.extend((0..2).map(|i| cron_job(ns, i)));
    objects.push(ingress(ns));
    assert_eq!(objects.len(), PER_NAMESPACE, "keep the documented mix at 100 objects per namespace");
    objects
}

fn generated(count: usize) -> Vec<Value> {
    (0..count.div_ceil(PER_NAMESPACE)).flat_map(|n| tenant(&format!("tenant-{n:04}"))).take(count).collect()
}

fn inventory(size: usize) -> &'static Inventory {
    static INVENTORIES: [OnceLock<Inventory>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = SIZES.iter().position(|s| *s == size).expect("a benchmarked size");
    INVENTORIES[slot].get_or_init(|| {
        let objects = generated(size).into_iter().map(|v| Object::from_value(v, None).expect("generated object"));
        Inventory::from_objects(novacron_objects().into_iter().chain(objects))
    })
}

/// The 10k generated objects and the NovaCron manifests as one multi-document YAML stream, as
/// `kubectl kustomize` or `helm template` would print them.
fn stream() -> &'static str {
    static STREAM: OnceLock<String> = OnceLock::new();
    STREAM.get_or_init(|| {
        let mut text = String::new();
        for file in std::fs::read_dir(repo().join("examples/novacron/good")).expect("good/ readable") {
            let path = file.expect("entry").path();
            text.push_str("---\n");
            text.push_str(&std::fs::read_to_string(path).expect("manifest readable"));
        }
        for value in generated(STREAM_SIZE) {
            text.push_str("---\n");
            text.push_str(&serde_saphyr::to_string(&value).expect("YAML"));
        }
        text
    })
}

fn parse(text: &str) -> Vec<Object> {
    manifests::parse_str(text, "stream.yaml", "default").expect("stream parses")
}

fn parse_and_evaluate(text: &str) -> engine::Evaluation {
    let inventory = Inventory::from_objects(parse(text));
    engine::evaluate(checklist(), &inventory, &Facts::offline(), now())
}

// ---------------------------------------------------------------- benchmarks

fn evaluate_by_cluster_size(c: &mut Criterion) {
    let mut group = c.benchmark_group("evaluate_novacron");
    for size in SIZES {
        group.throughput(Throughput::Elements(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            let inventory = inventory(size);
            let facts = Facts::offline();
            b.iter(|| engine::evaluate(black_box(checklist()), black_box(inventory), &facts, now()));
        });
    }
    group.finish();
}

fn parse_versus_evaluate(c: &mut Criterion) {
    let mut group = c.benchmark_group("stream_10k");
    group.throughput(Throughput::Elements(STREAM_SIZE as u64));
    group.bench_function("parse", |b| b.iter(|| parse(black_box(stream()))));
    group.bench_function("parse_and_evaluate", |b| b.iter(|| parse_and_evaluate(black_box(stream()))));
    group.finish();
}

/// What the CEL budget's units cost in time: an expression estimated just under the limit (1e7),
/// and `matches()` over 1,000 strings (compiled once with the program, not per element).
fn cel_budget(c: &mut Criterion) {
    use readygate::checks::cel::{Bound, compile};
    let mut group = c.benchmark_group("cel_budget");
    let near_limit = "lists.range(800).all(a, lists.range(800).all(b, a + b >= 0))";
    let program = compile(near_limit).expect("within the budget");
    let empty = json!({});
    println!("cel_budget/near_limit: estimated cost {:.2e} (limit 1e7)", program.static_cost());
    group.bench_function("near_limit", |b| b.iter(|| Bound::new(black_box(&empty)).eval_bool(&program)));
    let names: Vec<String> = (0..1000).map(|i| format!("tenant-{i}-api")).collect();
    let object = json!({ "items": names });
    let matches = compile("object.items.all(s, s.matches('^[a-z]+-[0-9]+-[a-z]+$'))").expect("compiles");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("matches_1000", |b| b.iter(|| Bound::new(black_box(&object)).eval_bool(&matches)));
    group.finish();
}

fn print_ratio() {
    let text = stream();
    let parse_only = timing::median_time(5, || drop(black_box(parse(text))));
    let with_evaluation = timing::median_time(5, || drop(black_box(parse_and_evaluate(text))));
    let ratio = with_evaluation.as_secs_f64() / parse_only.as_secs_f64();
    println!(
        "stream_10k: parse {parse_only:.1?}, parse+evaluate {with_evaluation:.1?}: ratio {ratio:.2}x (budget 1.50x){}",
        if ratio <= 1.5 { "" } else { "  OVER BUDGET" }
    );
}

/// How often each figure of [`print_yaml_parsers`] is timed (the median is printed); 1 under
/// `valgrind --tool=callgrind`, whose instruction counts are steadier than wall time.
fn yaml_runs() -> usize {
    std::env::var("READYGATE_BENCH_RUNS").ok().and_then(|runs| runs.parse().ok()).unwrap_or(5)
}

/// The parser alone: granit-parser's events for the whole stream, no values built. The floor
/// for any YAML reader built on it.
fn bare_granit_events(text: &str) -> usize {
    let mut options = granit_parser::Options::default();
    options.set_emit_comments(false);
    let mut parser = granit_parser::Parser::new_from_str_with_options(text, options);
    let mut events = 0;
    while let Some(event) = parser.next_event() {
        black_box(event.expect("YAML"));
        events += 1;
    }
    events
}

/// The stream into JSON values by the loader's YAML reader alone (granit-parser's events built
/// into values, documents one at a time), without making objects of them.
fn bare_loader_yaml(text: &str) -> Vec<Value> {
    manifests::yaml_values(text, "stream.yaml").expect("YAML")
}

/// The stream into JSON values by serde-saphyr's deserializer, the maintained serde YAML crate.
fn bare_serde_saphyr(text: &str) -> Vec<Value> {
    // Its default budget (1,024 documents, 250,000 nodes) is for untrusted configuration files,
    // not a cluster's worth of manifests.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_documents = usize::MAX;
    budget.max_nodes = usize::MAX;
    budget.max_events = usize::MAX;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    serde_saphyr::from_multiple_with_options(text, options).expect("YAML")
}

/// The stream written to a file, for `readygate check` to read as it reads manifests.
fn stream_file() -> &'static std::path::Path {
    static FILE: OnceLock<tempfile::TempPath> = OnceLock::new();
    FILE.get_or_init(|| {
        let file = tempfile::Builder::new().suffix(".yaml").tempfile().expect("temporary file");
        std::fs::write(file.path(), stream()).expect("stream written");
        file.into_temp_path()
    })
}

/// `readygate check -f examples/novacron/checklist.yaml -n novacron STREAM`, as the command runs
/// it: the file read a piece at a time, each object offered to the checklist's Collector as it
/// is parsed, and the checklist evaluated.
fn offline_check() -> Vec<engine::Evaluation> {
    let args = readygate::cli::check::CheckArgs {
        checklists: vec![repo().join("examples/novacron/checklist.yaml")],
        manifests: vec![stream_file().to_owned()],
        namespace: "novacron".to_owned(),
        kube_version: None,
        output: readygate::report::Format::default(),
        now: Some(now()),
    };
    readygate::cli::check::evaluate(&args).map_err(|errors| format!("{errors:?}")).expect("the check runs")
}

/// Bare YAML parse speed on the 10k stream, and the offline check against a bare parse of the
/// same text (issue 10's budget: at most 1.2x). The bare parse is the loader's own reader (the
/// YAML read into JSON values, one document at a time); serde-saphyr's deserializer and
/// granit-parser's events alone are printed beside it. serde_yaml, which the loader used until
/// 2026-12 (deprecated), took about the reader's time (230 ms against serde-saphyr's 474 ms on
/// the reference machine).
fn print_yaml_parsers() {
    let text = stream();
    let runs = yaml_runs();
    assert_eq!(bare_loader_yaml(text), bare_serde_saphyr(text), "the loader and serde-saphyr read the stream alike");
    assert!(offline_check().iter().all(|evaluation| !evaluation.items.is_empty()), "the checklist is evaluated");
    let events = timing::median_time(runs, || {
        black_box(bare_granit_events(text));
    });
    let loader = timing::median_time(runs, || drop(black_box(bare_loader_yaml(text))));
    let saphyr = timing::median_time(runs, || drop(black_box(bare_serde_saphyr(text))));
    let check = timing::median_time(runs, || drop(black_box(offline_check())));
    let parse_evaluate = timing::median_time(runs, || drop(black_box(parse_and_evaluate(text))));
    let mib_per_s = |t: Duration| text.len() as f64 / (1 << 20) as f64 / t.as_secs_f64();
    println!(
        "yaml_10k ({:.1} MiB): granit-parser events only {events:.1?} ({:.0} MiB/s); into JSON values: the loader's \
         reader {loader:.1?} ({:.0} MiB/s), serde-saphyr {saphyr:.1?} ({:.0} MiB/s, {:.2}x the reader's time)",
        text.len() as f64 / (1 << 20) as f64,
        mib_per_s(events),
        mib_per_s(loader),
        mib_per_s(saphyr),
        saphyr.as_secs_f64() / loader.as_secs_f64(),
    );
    let ratio = check.as_secs_f64() / loader.as_secs_f64();
    println!(
        "yaml_10k: offline check (`readygate check` of the stream) {check:.1?} = {ratio:.2}x the bare parse \
         (budget 1.20x){}; parse_str + Inventory::from_objects + evaluate {parse_evaluate:.1?} = {:.2}x",
        if ratio <= 1.2 { "" } else { "  OVER BUDGET" },
        parse_evaluate.as_secs_f64() / loader.as_secs_f64(),
    );
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    evaluate_by_cluster_size(&mut criterion);
    parse_versus_evaluate(&mut criterion);
    cel_budget(&mut criterion);
    criterion.final_summary();
    // `cargo bench` passes --bench; `cargo test --benches` runs each benchmark once instead, and
    // listing (`--list`) must not do any work. A filter (`cargo bench --bench engine -- yaml_10k`)
    // selects the printed figures as it selects criterion's.
    let args: Vec<String> = std::env::args().collect();
    let filter = args.iter().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |figure: &str| filter.is_none_or(|filter| figure.contains(filter.as_str()));
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list") {
        if wanted("stream_10k") {
            print_ratio();
        }
        if wanted("yaml_10k") {
            print_yaml_parsers();
        }
    }
}
