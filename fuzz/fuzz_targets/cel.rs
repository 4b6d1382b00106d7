//! CEL compile + evaluate under the budget, against a small object generated from the input.
//!
//! The first byte shapes the object (list lengths, string sizes, a Secret's digests, a
//! Deployment's env, strings for Kubernetes' quantity, URL, IP and regex functions); the rest is
//! the expression. Whatever it is, compiling and evaluating must
//! not panic, and must stay within the budget's time and memory: run with libFuzzer's
//! `-timeout`, `-rss_limit_mb` and `-malloc_limit_mb` (see `fuzz/README.md`), which report a
//! slow or hungry input as a crash.

#![no_main]

use libfuzzer_sys::fuzz_target;
use readygate::checks::cel::{Bound, CompileError, compile};
use serde_json::{Value, json};

fn object(shape: u8) -> Value {
    let entries = usize::from(shape % 64);
    let string = "s".repeat(usize::from(shape) * 4);
    let items: Vec<Value> = (0..entries).map(|i| json!({"name": format!("n{i}"), "port": i, "value": string})).collect();
    let data: serde_json::Map<String, Value> = (0..entries % 8)
        .map(|i| (format!("key{i}"), json!({"bytes": 7, "sha256": format!("{i:064x}")})))
        .collect();
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "labels": {"app": "api"},
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {"replicas": shape, "items": items, "list": (0..entries).collect::<Vec<_>>(),
                 "template": {"spec": {"containers": [{"name": "api", "image": "api:1",
                     "env": [{"name": "TOKEN", "value": string}]}]}}},
        "data": data,
        "ratio": f64::from(shape) / 7.0, "flag": shape % 2 == 0, "nothing": null,
        // Inputs for Kubernetes' libraries, valid or not by the shape.
        "memory": ["512Mi", "1e999", "0.1n", "9Ei", "x"][usize::from(shape % 5)],
        "address": ["10.0.0.1", "::1", "::ffff:1.2.3.4", "10.0.0.0/8", "fe80::1%eth0"][usize::from(shape % 5)],
        "endpoint": ["https://a:80/p?q=1#f", "/healthz", "mailto:x", "http://[::1", &string][usize::from(shape % 5)],
        "pattern": ["[a-z]+", "(", "a*", "\\w{1000}{1000}", ""][usize::from(shape % 5)]
    })
}

fuzz_target!(|input: &[u8]| {
    let Some((&shape, expression)) = input.split_first() else { return };
    let Ok(expression) = std::str::from_utf8(expression) else { return };
    let program = match compile(expression) {
        Ok(program) => program,
        Err(CompileError::Invalid(_) | CompileError::Budget(_)) => return,
    };
    let object = object(shape);
    let _ = Bound::new(&object).eval_bool(&program);
});
