//! Keeps the gate's field table (docs/gating.md, "Gate fields") and the item field table
//! (docs/checks.md, "Item fields") in step with the CRD schema, as tests/docs.rs does for checks.

use std::collections::BTreeSet;

use kube::CustomResourceExt;
use readygate::api::ReadinessChecklist;
use serde_json::Value;

const GATING_MD: &str = include_str!("../docs/gating.md");
const CHECKS_MD: &str = include_str!("../docs/checks.md");

fn spec_schema(pointer: &str) -> Value {
    let crd = serde_json::to_value(ReadinessChecklist::crd()).expect("CRD serializes");
    crd.pointer(&format!("/spec/versions/0/schema/openAPIV3Schema/properties/spec{pointer}"))
        .unwrap_or_else(|| panic!("{pointer} in the CRD schema"))
        .clone()
}

/// Field paths as the docs write them (`freezeWindows[].name`, `waiver.maxValidity`), not
/// descending into `stop_at` (shapes documented elsewhere: selectors, principals, checks).
fn field_paths(schema: &Value, prefix: &str, stop_at: &[&str], out: &mut BTreeSet<String>) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else { return };
    for (name, sub) in props {
        let path = format!("{prefix}{name}");
        out.insert(path.clone());
        if stop_at.contains(&name.as_str()) {
            continue;
        }
        if sub.get("properties").is_some() {
            field_paths(sub, &format!("{path}."), stop_at, out);
        } else if let Some(item) = sub.get("items").filter(|i| i.get("properties").is_some()) {
            field_paths(item, &format!("{path}[]."), stop_at, out);
        }
    }
}

/// The first-column fields of the tables under `## heading` (up to the next `##`).
fn documented(markdown: &str, heading: &str) -> BTreeSet<String> {
    let mut inside = false;
    let mut fields = BTreeSet::new();
    for line in markdown.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            inside = h.trim() == heading;
            continue;
        }
        if inside && let Some(first) = line.strip_prefix("| `").and_then(|rest| rest.split('`').next()) {
            fields.insert(first.to_owned());
        }
    }
    assert!(!fields.is_empty(), "no `## {heading}` table");
    fields
}

#[test]
fn every_gate_field_is_documented_and_nothing_else() {
    let mut wanted = BTreeSet::new();
    field_paths(&spec_schema("/properties/gate"), "", &["selector"], &mut wanted);
    assert!(wanted.contains("freezeWindows[].timeZone"), "{wanted:?}");
    assert_eq!(documented(GATING_MD, "Gate fields"), wanted, "docs/gating.md `## Gate fields`");
}

#[test]
fn every_item_field_is_documented_and_nothing_else() {
    let mut wanted = BTreeSet::new();
    field_paths(&spec_schema("/properties/items/items"), "", &["check", "waivableBy"], &mut wanted);
    assert!(wanted.contains("waiver.requireTicket"), "{wanted:?}");
    assert_eq!(documented(CHECKS_MD, "Item fields"), wanted, "docs/checks.md `## Item fields`");
}
