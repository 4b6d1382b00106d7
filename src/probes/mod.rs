//! Live-only facts gathered over the network before an evaluation: `http` and `prometheus`
//! observations (bounded concurrency, per-item timeouts, cached for the checklist's interval)
//! and the API server's version (refreshed in the background).

mod cache;
pub mod http;
pub mod prometheus;
pub mod version;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use self::cache::ProbeCache;
use crate::api::{Check, ReadinessChecklist};
use crate::checks::{Facts, HttpObservation, PrometheusObservation};

/// Default per-probe timeout when an item sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default re-evaluation interval, which is also how long a probe result is reused.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);
/// Probes in flight at once, across all checklists.
pub const MAX_CONCURRENT: usize = 8;

type HttpResult = Result<HttpObservation, String>;
type PromResult = Result<PrometheusObservation, String>;

/// Probe runner and result cache, shared by reconciles.
pub struct Probes {
    prober: http::HttpProber,
    limit: Semaphore,
    http: ProbeCache<String, HttpResult>,
    prometheus: ProbeCache<(String, String), PromResult>,
}

impl Probes {
    pub fn new(prober: http::HttpProber) -> Self {
        Probes {
            prober,
            limit: Semaphore::new(MAX_CONCURRENT),
            http: ProbeCache::default(),
            prometheus: ProbeCache::default(),
        }
    }

    /// Fills `facts.http` and `facts.prometheus` for the checklist's live-only items, probing
    /// only what is not cached younger than the checklist's `reevaluateEvery`.
    pub async fn fill(&self, checklist: &ReadinessChecklist, facts: &mut Facts) {
        let interval = checklist.spec.reevaluate_every.as_ref().map_or(DEFAULT_INTERVAL, |d| d.as_std());
        let mut http_jobs = Vec::new();
        let mut prom_jobs = Vec::new();
        for item in &checklist.spec.items {
            match &item.check {
                Check::Http(spec) => {
                    let timeout = spec.timeout.as_ref().map_or(DEFAULT_TIMEOUT, |d| d.as_std());
                    match self.http.fresh(&spec.url, interval) {
                        Some(result) => {
                            facts.http.insert(spec.url.clone(), result);
                        }
                        None => http_jobs.push((spec.url.clone(), timeout)),
                    }
                }
                Check::Prometheus(spec) => {
                    let timeout = spec.timeout.as_ref().map_or(DEFAULT_TIMEOUT, |d| d.as_std());
                    let key = (spec.url.clone(), spec.query.clone());
                    match self.prometheus.fresh(&key, interval) {
                        Some(result) => {
                            facts.prometheus.insert(key, result);
                        }
                        None => prom_jobs.push((key, timeout)),
                    }
                }
                _ => {}
            }
        }
        // Items probing the same endpoint need not be adjacent; the first item's timeout wins.
        let mut seen = HashSet::new();
        http_jobs.retain(|(url, _)| seen.insert(url.clone()));
        let mut seen = HashSet::new();
        prom_jobs.retain(|(key, _)| seen.insert(key.clone()));
        let http_results = futures::future::join_all(http_jobs.into_iter().map(|(url, timeout)| async move {
            let _permit = self.limit.acquire().await;
            let result = self.prober.get(&url, timeout).await.map(|r| r.observation);
            (url, result)
        }));
        let prom_results = futures::future::join_all(prom_jobs.into_iter().map(|(key, timeout)| async move {
            let _permit = self.limit.acquire().await;
            let result = prometheus::query(&self.prober, &key.0, &key.1, timeout).await;
            (key, result)
        }));
        let (http_results, prom_results) = futures::join!(http_results, prom_results);
        let now = Instant::now();
        self.http.insert_all(http_results.iter().cloned(), now, interval);
        self.prometheus.insert_all(prom_results.iter().cloned(), now, interval);
        facts.http.extend(http_results);
        facts.prometheus.extend(prom_results);
    }
}

/// A shared handle, as reconciles hold it.
pub type SharedProbes = Arc<Probes>;

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A Prometheus stand-in's URL, and the count of the queries it answered.
    async fn prometheus_server() -> (String, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let answered = hits.clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                answered.fetch_add(1, Ordering::SeqCst);
                let mut buf = vec![0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let body = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.01"]}]}}"#;
                let reply =
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = stream.write_all(reply.as_bytes()).await;
            }
        });
        (format!("http://{addr}"), hits)
    }

    fn probes() -> Probes {
        Probes::new(http::HttpProber::new().expect("prober"))
    }

    fn checklist(url: &str, every: &str) -> ReadinessChecklist {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
            "metadata": {"name": "c", "namespace": "n"},
            "spec": {"reevaluateEvery": every, "items": [
                {"name": "errors", "check": {"prometheus": {"url": url, "query": "up", "expect": {"lessThan": 1}}}},
                {"name": "errors-again", "check": {"prometheus": {"url": url, "query": "up", "expect": {"lessThan": 2}}}}
            ]}
        }))
        .expect("valid")
    }

    #[tokio::test]
    async fn probe_results_are_reused_within_the_interval() {
        let (url, hits) = prometheus_server().await;
        let probes = probes();
        let c = checklist(&url, "5m");
        let mut facts = Facts::live();
        probes.fill(&c, &mut facts).await;
        probes.fill(&c, &mut facts).await;
        assert_eq!(hits.load(Ordering::SeqCst), 1, "same query probed once");
        let observed = facts.prometheus.get(&(url, "up".to_owned())).expect("filled").clone().expect("ok");
        assert_eq!(observed.values, [("{}".to_owned(), 0.01)]);
    }

    #[tokio::test]
    async fn probe_results_expire_after_the_interval() {
        let (url, hits) = prometheus_server().await;
        let probes = probes();
        let c = checklist(&url, "50ms");
        probes.fill(&c, &mut Facts::live()).await;
        tokio::time::sleep(Duration::from_millis(80)).await;
        probes.fill(&c, &mut Facts::live()).await;
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }
}
