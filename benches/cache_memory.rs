//! One cache mechanism for the controller, measured (issue 10, part 5): the controller's own
//! cache against kube-runtime's reflector `Store`, fed the same watch events.
//!
//! - `current`: `controller::cache::Cache`, fed as `controller::watches` feeds it (each event's
//!   `DynamicObject` projected by `inventory::live` and kept as compact JSON text, decoded when
//!   an evaluation first reads it, the decoded form kept until the object changes);
//! - `reflector`: one `reflector::Store<DynamicObject>` per kind behind `reflector()`, its
//!   events stripped by `.modify()` to what the live projection keeps (the same fields, Secret
//!   values as digests);
//! - `typed`: as `reflector`, but Deployments and PodDisruptionBudgets in stores of typed views
//!   (`ObjectMeta` plus the spec of `WorkloadView`/`PdbView`), decoded straight from the event's
//!   JSON, as a reflector of a typed `kube::Resource` is. Kinds with no view yet stay dynamic.
//!
//! Objects: namespaces shaped like `benches/common/objects.rs` (40 Deployments with full pod
//! templates, managedFields and a last-applied annotation; 30 Services, 15 HPAs, 10 PDBs, the
//! Namespace, a NetworkPolicy, a RoleBinding) plus 10 Secrets each, as the API server serves
//! them (uid, resourceVersion), kept as JSON bytes so that decoding is part of every event.
//!
//! Each variant and size runs in a process of its own, allocating through jemalloc (as the
//! binary does) wrapped in a counting allocator. Figures:
//! - heap held once listed (counted bytes: exact), per object, per kind and in all; the peak
//!   while listing; the process's RSS growth;
//! - CPU per event: listing (decode + project + store) and a change of one object;
//! - one evaluation: the snapshot of every kind in one namespace, read as the checks read it
//!   (views for Deployments and PDBs, objects for the rest), first after a change (`cold`) and
//!   again (`warm`); and the heap once every namespace was evaluated (what the current cache
//!   keeps decoded).
//!
//! `cargo bench --bench cache_memory` (`READYGATE_BENCH_SIZES=10000,50000` by default).

#[path = "common/harness_mode.rs"]
mod harness_mode;
#[path = "common/objects.rs"]
mod objects;

use std::borrow::Cow;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use cap::Cap;
use futures::channel::mpsc;
use futures::{Stream, StreamExt};
use k8s_openapi::NamespaceResourceScope;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, ObjectMeta};
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::{self, Lookup, Store, store::Writer};
use kube::runtime::watcher::{self, Event};
use readygate::controller::cache::{Cache, Entry};
use readygate::controller::changes::ChangeReceiver;
use readygate::controller::readiness::Readiness;
use readygate::inventory::view::{self, PdbView, View, WorkloadView, pdb::PdbSpec, workload::WorkloadSpec};
use readygate::inventory::{Kind, Object, kinds, live};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// jemalloc as in `src/main.rs`, counted: `allocated()` is the bytes live right now.
#[global_allocator]
static ALLOCATOR: Cap<tikv_jemallocator::Jemalloc> = Cap::new(tikv_jemallocator::Jemalloc, usize::MAX);

/// Set in the per-variant child processes: `variant:size`.
const CHILD: &str = "READYGATE_CACHE_BENCH_CHILD";
const VARIANTS: [&str; 3] = ["current", "reflector", "typed"];
const SECRETS: usize = 10;
const PER_NAMESPACE: usize = objects::PER_NAMESPACE + SECRETS;
/// Change events timed per kind (fewer for kinds with fewer objects).
const CHANGES_PER_KIND: usize = 300;
/// Namespaces evaluated for the snapshot figures.
const EVALUATIONS: usize = 25;
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The watched kinds: apiVersion, kind, plural.
const KINDS: [(&str, &str, &str); 8] = [
    ("v1", "Namespace", "namespaces"),
    ("apps/v1", "Deployment", "deployments"),
    ("v1", "Service", "services"),
    ("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
    ("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets"),
    ("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
    ("v1", "Secret", "secrets"),
];

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        let (variant, size) = spec.split_once(':').expect("variant:size");
        child(variant, size.parse().expect("a size"));
        return;
    }
    if !harness_mode::is_bench_run("cache_memory") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("READYGATE_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 50_000]);
    let exe = std::env::current_exe().expect("the bench's own path");
    let mut summaries = Vec::new();
    for size in sizes {
        for variant in VARIANTS {
            let out = std::process::Command::new(&exe)
                .arg("--bench")
                .env(CHILD, format!("{variant}:{size}"))
                .stderr(std::process::Stdio::inherit())
                .output()
                .expect("running a variant");
            assert!(out.status.success(), "{variant} at {size} objects failed: {}", out.status);
            let text = String::from_utf8_lossy(&out.stdout);
            for line in text.lines() {
                match line.strip_prefix("SUMMARY\t") {
                    Some(summary) => summaries.push(summary.split('\t').map(str::to_owned).collect::<Vec<_>>()),
                    None => println!("{line}"),
                }
            }
        }
    }
    println!();
    println!(
        "fixed sizes: ObjectMeta {} B (before its strings and maps), DynamicObject {} B, a reflector's key ObjectRef<DynamicObject> {} B",
        std::mem::size_of::<ObjectMeta>(),
        std::mem::size_of::<DynamicObject>(),
        std::mem::size_of::<reflector::ObjectRef<DynamicObject>>(),
    );
    println!("cache mechanisms, all kinds (heap: counted bytes held; eval: one namespace's snapshot, read)");
    println!(
        "{:>9} {:>8} {:>9} {:>8} {:>9} {:>8} {:>9} {:>9} {:>10} {:>10} {:>12}",
        "variant",
        "objects",
        "heap MiB",
        "B/obj",
        "peak MiB",
        "RSS MiB",
        "list µs",
        "change µs",
        "eval cold",
        "eval warm",
        "heap all-ev"
    );
    for s in summaries {
        println!(
            "{:>9} {:>8} {:>9} {:>8} {:>9} {:>8} {:>9} {:>9} {:>10} {:>10} {:>12}",
            s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10]
        );
    }
}

/// One variant at one size, in this process alone.
fn child(variant: &str, size: usize) {
    let namespaces = size.div_ceil(PER_NAMESPACE);
    let feeds = feeds(namespaces);
    let objects: usize = feeds.iter().map(|f| f.objects.len()).sum();
    let mut cache: Box<dyn Variant> = match variant {
        "current" => Box::new(Current::new()),
        "reflector" => Box::<Dynamic>::default(),
        "typed" => Box::<Typed>::default(),
        other => panic!("unknown variant {other}"),
    };
    let rss_before = rss_kib();
    let heap_before = ALLOCATOR.allocated();
    println!();
    println!("{variant}: {objects} objects in {namespaces} namespaces");
    println!(
        "{:>24} {:>8} {:>10} {:>10} {:>12} {:>14}",
        "kind", "objects", "heap MiB", "B/object", "list µs/obj", "change µs/ev"
    );
    let (mut list_total, mut change_total, mut changes) = (Duration::ZERO, Duration::ZERO, 0usize);
    for feed in &feeds {
        let heap = ALLOCATOR.allocated();
        let started = Instant::now();
        cache.list(feed);
        let listed = started.elapsed();
        let held = ALLOCATOR.allocated().saturating_sub(heap);
        let started = Instant::now();
        for bytes in &feed.changes {
            cache.change(feed, bytes);
        }
        let changed = started.elapsed();
        list_total += listed;
        change_total += changed;
        changes += feed.changes.len();
        println!(
            "{:>24} {:>8} {:>10.2} {:>10} {:>12.1} {:>14.1}",
            feed.kind,
            feed.objects.len(),
            mib(held),
            held / feed.objects.len().max(1),
            micros(listed) / feed.objects.len().max(1) as f64,
            micros(changed) / feed.changes.len().max(1) as f64,
        );
    }
    let held = ALLOCATOR.allocated().saturating_sub(heap_before);
    let peak = ALLOCATOR.max_allocated().saturating_sub(heap_before);
    let rss = rss_kib().saturating_sub(rss_before);

    let sample: Vec<String> = (0..EVALUATIONS).map(|i| namespace_name(i * namespaces / EVALUATIONS)).collect();
    let mut read = 0;
    let cold = median(sample.iter().map(|ns| timed(|| read = cache.evaluate(ns))).collect());
    let warm = median(sample.iter().map(|ns| timed(|| read = cache.evaluate(ns))).collect());
    for index in 0..namespaces {
        cache.evaluate(&namespace_name(index));
    }
    let held_evaluated = ALLOCATOR.allocated().saturating_sub(heap_before);
    println!(
        "  held {:.1} MiB ({} B/object), peak while listing {:.1} MiB, RSS +{:.1} MiB",
        mib(held),
        held / objects,
        mib(peak),
        rss as f64 / 1024.0
    );
    println!(
        "  one evaluation ({read} objects read): cold {:.0} µs, warm {:.0} µs; heap once every namespace was evaluated: {:.1} MiB",
        micros(cold),
        micros(warm),
        mib(held_evaluated)
    );
    println!(
        "SUMMARY\t{variant}\t{objects}\t{:.1}\t{}\t{:.1}\t{:.1}\t{:.1}\t{:.1}\t{:.0}µs\t{:.0}µs\t{:.1} MiB",
        mib(held),
        held / objects,
        mib(peak),
        rss as f64 / 1024.0,
        micros(list_total) / objects as f64,
        micros(change_total) / changes.max(1) as f64,
        micros(cold),
        micros(warm),
        mib(held_evaluated),
    );
}

/// A cache under test: fed one kind's list, then single changes; read by evaluations.
trait Variant {
    fn list(&mut self, feed: &Feed);
    fn change(&mut self, feed: &Feed, bytes: &[u8]);
    /// Reads what an evaluation of a checklist in `namespace` reading every kind reads;
    /// returns how many objects that was.
    fn evaluate(&self, namespace: &str) -> usize;
}

/// One kind's watch: its objects as the API server sends them, and changed copies of some.
struct Feed {
    api_version: &'static str,
    kind: &'static str,
    plural: &'static str,
    kind_key: String,
    objects: Vec<Vec<u8>>,
    changes: Vec<Vec<u8>>,
}

impl Feed {
    fn api_resource(&self) -> ApiResource {
        let (group, version) = self.api_version.rsplit_once('/').unwrap_or(("", self.api_version));
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, self.kind), self.plural)
    }
}

fn feeds(namespaces: usize) -> Vec<Feed> {
    let mut feeds: Vec<Feed> = KINDS
        .iter()
        .map(|&(api_version, kind, plural)| Feed {
            api_version,
            kind,
            plural,
            kind_key: Kind::of(api_version, kind).key().into_owned(),
            objects: Vec::new(),
            changes: Vec::new(),
        })
        .collect();
    let mut serial = 1000u64;
    for index in 0..namespaces {
        let mut served = objects::namespace(index);
        served.extend((0..SECRETS).map(|i| secret(&namespace_name(index), i)));
        for mut object in served {
            serial += 1;
            let meta = &mut object["metadata"];
            meta["uid"] = json!(format!("6f1c0000-2b4e-4f7a-9c1d-{serial:012x}"));
            meta["resourceVersion"] = json!(serial.to_string());
            meta["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
            let feed = feeds.iter_mut().find(|f| object["kind"] == f.kind).expect("a watched kind");
            // Changes spread over every third namespace; each changes a label every variant keeps.
            if index % 3 == 0 && feed.changes.len() < CHANGES_PER_KIND {
                let mut changed = object.clone();
                changed["metadata"]["labels"]["rollout"] = json!(format!("r{serial}"));
                changed["metadata"]["resourceVersion"] = json!((serial + 10_000_000).to_string());
                feed.changes.push(serde_json::to_vec(&changed).expect("JSON"));
            }
            feed.objects.push(serde_json::to_vec(&object).expect("JSON"));
        }
    }
    feeds
}

/// `objects::namespace`'s naming.
fn namespace_name(index: usize) -> String {
    format!("team-{index:04}")
}

/// A Helm-managed database Secret with a CA bundle (~2 KB served).
fn secret(ns: &str, i: usize) -> Value {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let ca = format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", "MIIBszCCAVmgAwIBAgIU".repeat(50));
    json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": format!("svc-{i:02}-db"), "namespace": ns,
            "labels": {"app": format!("svc-{i:02}"), "app.kubernetes.io/managed-by": "Helm"},
            "annotations": {"meta.helm.sh/release-name": ns},
            "managedFields": [{"manager": "helm", "operation": "Update", "apiVersion": "v1", "time": "2026-01-01T00:00:00Z",
                "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {".": {}, "f:ca.crt": {}, "f:password": {}, "f:url": {}, "f:username": {}}, "f:type": {}}}]},
        "data": {"username": b64("app"), "password": b64(&format!("{ns}-{i}-k3Lm9xQ2vR8tW1yZ")),
            "url": b64(&format!("postgres://app@svc-{i:02}-db.{ns}:5432/app?sslmode=verify-full")), "ca.crt": b64(&ca)}})
}

fn decode<K: DeserializeOwned>(bytes: &[u8]) -> K {
    serde_json::from_slice(bytes).expect("served JSON decodes")
}

/// The controller's cache, fed as `controller::watches::run` feeds it.
struct Current {
    cache: Arc<Cache>,
    changes: ChangeReceiver,
    kind_keys: Vec<String>,
}

impl Current {
    fn new() -> Self {
        let (cache, changes) = Cache::new(Readiness::new());
        Current { cache, changes, kind_keys: Vec::new() }
    }

    /// `controller::watches::convert`: the event's object as JSON, projected.
    fn project(feed: &Feed, object: DynamicObject) -> Object {
        let mut value = serde_json::to_value(object).expect("serializable");
        if let Some(map) = value.as_object_mut() {
            map.insert("apiVersion".to_owned(), feed.api_version.into());
            map.insert("kind".to_owned(), feed.kind.into());
        }
        live::to_object(&Kind::from(&feed.kind_key), value, None).expect("a valid object")
    }

    fn drain(&mut self) {
        while self.changes.try_next().is_some() {}
    }
}

impl Variant for Current {
    fn list(&mut self, feed: &Feed) {
        // One entry per event as it arrives, like the watch's relist buffer.
        let entries: Vec<Entry> = feed.objects.iter().map(|b| Entry::new(&Self::project(feed, decode(b)))).collect();
        self.cache.replace(&feed.kind_key, |_, _| true, entries);
        self.kind_keys.push(feed.kind_key.clone());
        self.drain();
    }

    fn change(&mut self, feed: &Feed, bytes: &[u8]) {
        self.cache.apply(Self::project(feed, decode(bytes)));
        self.drain();
    }

    fn evaluate(&self, namespace: &str) -> usize {
        let inventory = self.cache.snapshot(namespace, &self.kind_keys);
        self.kind_keys
            .iter()
            .map(|key| match key.as_str() {
                kinds::DEPLOYMENT => {
                    inventory.views_in::<WorkloadView>(kinds::DEPLOYMENT, Some(namespace)).filter(Result::is_ok).count()
                }
                kinds::PDB => inventory.views_in::<PdbView>(kinds::PDB, Some(namespace)).filter(Result::is_ok).count(),
                kinds::NAMESPACE => usize::from(inventory.get(kinds::NAMESPACE, None, namespace).is_some()),
                other => inventory.in_namespace(other, Some(namespace)).count(),
            })
            .sum()
    }
}

type Reflected<K> = Pin<Box<dyn Stream<Item = watcher::Result<Event<K>>>>>;

/// One kind's reflector: events go in as a watcher's would, `.modify()` strips them and
/// `reflector()` writes them to the store `store` reads.
struct Reflector<K: Lookup + Clone + 'static>
where
    K::DynamicType: Eq + std::hash::Hash,
{
    events: mpsc::UnboundedSender<watcher::Result<Event<K>>>,
    reflected: Reflected<K>,
    store: Store<K>,
}

impl<K> Reflector<K>
where
    K: Lookup + Clone + DeserializeOwned + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    fn new(dyntype: K::DynamicType, strip: impl FnMut(&mut K) + 'static) -> Self {
        let writer = Writer::new(dyntype);
        let store = writer.as_reader();
        let (events, received) = mpsc::unbounded();
        let reflected = reflector::reflector(writer, received.modify(strip)).boxed_local();
        Reflector { events, reflected, store }
    }

    fn send(&mut self, event: Event<K>) {
        self.events.unbounded_send(Ok(event)).expect("the reflector is running");
        futures::executor::block_on(self.reflected.next());
    }

    /// A relist: Init, one InitApply per object, InitDone (the store swaps its buffer in).
    fn list(&mut self, feed: &Feed) {
        self.send(Event::Init);
        for bytes in &feed.objects {
            self.send(Event::InitApply(decode(bytes)));
        }
        self.send(Event::InitDone);
    }

    fn change(&mut self, bytes: &[u8]) {
        self.send(Event::Apply(decode(bytes)));
    }

    /// A store has no namespace index: an evaluation filters every object of the kind.
    fn in_namespace(&self, namespace: &str, meta: impl Fn(&K) -> &ObjectMeta) -> Vec<Arc<K>> {
        self.store.state_filter(|o| meta(o).namespace.as_deref() == Some(namespace))
    }
}

/// The metadata the live projection keeps (`inventory::live::project`).
fn projected_meta(meta: ObjectMeta) -> ObjectMeta {
    let annotations = meta
        .annotations
        .map(|mut a| {
            a.remove(LAST_APPLIED);
            a
        })
        .filter(|a| !a.is_empty());
    ObjectMeta {
        name: meta.name,
        namespace: meta.namespace,
        labels: meta.labels,
        annotations,
        creation_timestamp: meta.creation_timestamp,
        generation: meta.generation,
        deletion_timestamp: meta.deletion_timestamp,
        uid: meta.uid,
        ..ObjectMeta::default()
    }
}

/// `.modify()` for a dynamic reflector: what `inventory::live` keeps of the object, Secret
/// values as digests.
fn strip_dynamic(feed: &Feed) -> impl FnMut(&mut DynamicObject) + 'static {
    let (api_version, kind, kind_key) = (feed.api_version, feed.kind, feed.kind_key.clone());
    move |object| {
        object.metadata = projected_meta(std::mem::take(&mut object.metadata));
        let mut map = match std::mem::take(&mut object.data) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        map.insert("apiVersion".to_owned(), api_version.into());
        map.insert("kind".to_owned(), kind.into());
        map.insert("metadata".to_owned(), json!({"name": object.metadata.name}));
        let projected = live::to_object(&Kind::from(&kind_key), Value::Object(map), None).expect("a valid object");
        if let Value::Object(mut data) = projected.data {
            for key in ["apiVersion", "kind", "metadata"] {
                data.remove(key);
            }
            object.data = Value::Object(data);
        }
    }
}

/// What a check would get from a dynamic store: the object as JSON, then its view or an
/// inventory `Object`.
fn dynamic_json(object: &DynamicObject) -> Value {
    serde_json::to_value(object).expect("serializable")
}

fn dynamic_view<V: View>(object: &DynamicObject) -> bool {
    view::from_value::<V>(&dynamic_json(object), || object.metadata.name.clone().unwrap_or_default()).is_ok()
}

fn dynamic_object(kind_key: &str, object: &DynamicObject) -> Object {
    let types = object.types.clone().unwrap_or_default();
    Object {
        api_version: types.api_version,
        kind: types.kind,
        kind_key: kind_key.into(),
        namespace: object.metadata.namespace.clone(),
        name: object.metadata.name.clone().unwrap_or_default(),
        labels: object.metadata.labels.clone().unwrap_or_default(),
        data: dynamic_json(object),
    }
}

/// A reflector of `DynamicObject` per kind.
#[derive(Default)]
struct Dynamic {
    reflectors: Vec<(String, Reflector<DynamicObject>)>,
}

impl Variant for Dynamic {
    fn list(&mut self, feed: &Feed) {
        let mut reflector = Reflector::new(feed.api_resource(), strip_dynamic(feed));
        reflector.list(feed);
        self.reflectors.push((feed.kind_key.clone(), reflector));
    }

    fn change(&mut self, feed: &Feed, bytes: &[u8]) {
        if let Some((_, reflector)) = self.reflectors.iter_mut().find(|(key, _)| *key == feed.kind_key) {
            reflector.change(bytes);
        }
    }

    fn evaluate(&self, namespace: &str) -> usize {
        let mut read = 0;
        for (key, reflector) in &self.reflectors {
            if key == kinds::NAMESPACE {
                let found = reflector.store.find(|o| o.metadata.name.as_deref() == Some(namespace));
                read += found.map(|o| black_box(dynamic_object(key, &o))).iter().count();
                continue;
            }
            let objects = reflector.in_namespace(namespace, |o| &o.metadata);
            read += match key.as_str() {
                kinds::DEPLOYMENT => objects.iter().filter(|o| dynamic_view::<WorkloadView>(o)).count(),
                kinds::PDB => objects.iter().filter(|o| dynamic_view::<PdbView>(o)).count(),
                _ => objects.iter().filter(|o| !black_box(dynamic_object(key, o)).name.is_empty()).count(),
            };
        }
        read
    }
}

/// A typed view as a `kube::Resource`: `ObjectMeta` plus the spec its checks read.
macro_rules! typed_view {
    ($name:ident, $spec:ty, $kind:literal, $group:literal, $version:literal, $plural:literal) => {
        #[derive(Clone, Debug, Deserialize)]
        struct $name {
            #[serde(default)]
            metadata: ObjectMeta,
            #[serde(default)]
            #[allow(dead_code)] // held, as a check would read it
            spec: $spec,
        }

        impl kube::Resource for $name {
            type DynamicType = ();
            type Scope = NamespaceResourceScope;

            fn kind(_: &()) -> Cow<'_, str> {
                $kind.into()
            }
            fn group(_: &()) -> Cow<'_, str> {
                $group.into()
            }
            fn version(_: &()) -> Cow<'_, str> {
                $version.into()
            }
            fn plural(_: &()) -> Cow<'_, str> {
                $plural.into()
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

typed_view!(TypedWorkload, WorkloadSpec, "Deployment", "apps", "v1", "deployments");
typed_view!(TypedPdb, PdbSpec, "PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets");

fn strip_typed<K: kube::Resource>() -> impl FnMut(&mut K) + 'static {
    |object: &mut K| {
        let meta = std::mem::take(object.meta_mut());
        *object.meta_mut() = projected_meta(meta);
    }
}

/// Typed stores for the kinds with a view, dynamic ones for the rest.
#[derive(Default)]
struct Typed {
    dynamic: Dynamic,
    workloads: Option<Reflector<TypedWorkload>>,
    pdbs: Option<Reflector<TypedPdb>>,
}

impl Variant for Typed {
    fn list(&mut self, feed: &Feed) {
        match feed.kind_key.as_str() {
            kinds::DEPLOYMENT => {
                let mut reflector = Reflector::new((), strip_typed::<TypedWorkload>());
                reflector.list(feed);
                self.workloads = Some(reflector);
            }
            kinds::PDB => {
                let mut reflector = Reflector::new((), strip_typed::<TypedPdb>());
                reflector.list(feed);
                self.pdbs = Some(reflector);
            }
            _ => self.dynamic.list(feed),
        }
    }

    fn change(&mut self, feed: &Feed, bytes: &[u8]) {
        match (feed.kind_key.as_str(), &mut self.workloads, &mut self.pdbs) {
            (kinds::DEPLOYMENT, Some(reflector), _) => reflector.change(bytes),
            (kinds::PDB, _, Some(reflector)) => reflector.change(bytes),
            _ => self.dynamic.change(feed, bytes),
        }
    }

    fn evaluate(&self, namespace: &str) -> usize {
        // The typed objects are what the checks read: nothing to decode.
        let workloads = self.workloads.as_ref().map_or(0, |r| r.in_namespace(namespace, |o| &o.metadata).len());
        let pdbs = self.pdbs.as_ref().map_or(0, |r| r.in_namespace(namespace, |o| &o.metadata).len());
        workloads + pdbs + self.dynamic.evaluate(namespace)
    }
}

fn timed(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn rss_kib() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
