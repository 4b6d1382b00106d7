//! Black-box tests of the live probes through `Probes::fill` and the engine, as the controller
//! runs them: the `prometheus` check against Debian's real Prometheus server, and the `http`
//! check against local rustls servers pinned to TLS 1.2 or 1.3.

#[path = "probes/http.rs"]
mod http;
#[path = "probes/prometheus.rs"]
mod prometheus;
#[path = "probes/prometheus_server.rs"]
mod prometheus_server;
#[path = "probes/server.rs"]
mod server;
#[path = "probes/support.rs"]
mod support;
