//! Checklists of live-only items, evaluated the way the controller does it: `Probes::fill`
//! gathers the facts over the network, then the pure engine judges them.

use readygate::api::{ItemState, ReadinessChecklist};
use readygate::checks::Facts;
use readygate::engine::{Evaluation, ItemResult};
use readygate::inventory::Inventory;
use readygate::probes::Probes;
use readygate::probes::http::HttpProber;
use serde_json::{Value, json};

/// A checklist of `items` (`{"name": ..., "check": {...}}`), all critical unless they say otherwise.
pub fn checklist(items: Vec<Value>) -> ReadinessChecklist {
    let items: Vec<Value> = items
        .into_iter()
        .map(|mut item| {
            if item.get("severity").is_none() {
                item["severity"] = json!("Critical");
            }
            item
        })
        .collect();
    serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "novacron-v1", "namespace": "novacron"},
        "spec": {"items": items}
    }))
    .expect("a valid checklist")
}

/// Probes what `checklist` needs with `prober`, then evaluates it live.
pub async fn evaluate_live(prober: HttpProber, checklist: &ReadinessChecklist) -> Evaluation {
    let probes = Probes::new(prober);
    let mut facts = Facts::live();
    probes.fill(checklist, &mut facts).await;
    readygate::engine::evaluate(checklist, &Inventory::new(), &facts, jiff::Timestamp::now())
}

/// The result of item `name`.
pub fn item<'a>(evaluation: &'a Evaluation, name: &str) -> &'a ItemResult {
    evaluation.items.iter().find(|i| i.name == name).unwrap_or_else(|| panic!("no item {name}"))
}

/// Asserts item `name` ended in `state` with a message containing every one of `parts`.
pub fn assert_item(evaluation: &Evaluation, name: &str, state: ItemState, parts: &[&str]) {
    let result = item(evaluation, name);
    assert_eq!(result.state, state, "{name}: {}", result.message);
    for part in parts {
        assert!(result.message.contains(part), "{name}: {:?} lacks {part:?}", result.message);
    }
}
