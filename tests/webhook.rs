//! Black-box tests of the admission webhook: in-process router scenarios, the real AdmissionReview
//! corpus, the TLS server (rotation, versions, HTTP/2, limits, slow clients, shutdown), and
//! property tests that no input can crash it.

#[path = "webhook/connections.rs"]
mod connections;
#[path = "webhook/corpus.rs"]
mod corpus;
#[path = "webhook/properties.rs"]
mod properties;
#[path = "webhook/router.rs"]
mod router;
#[path = "webhook/server.rs"]
mod server;
#[path = "webhook/spec_rules.rs"]
mod spec_rules;
#[path = "webhook/support.rs"]
mod support;
#[path = "webhook/tls_support.rs"]
mod tls_support;
