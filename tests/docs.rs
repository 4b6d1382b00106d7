//! Keeps docs/checks.md in step with the CRD schema: every check key and field is documented, and
//! nothing is documented that the schema lacks.

use std::collections::{BTreeMap, BTreeSet};

use kube::CustomResourceExt;
use readygate::api::{Check, ReadinessChecklist};
use serde_json::Value;

const CHECKS_MD: &str = include_str!("../docs/checks.md");

/// Shapes several checks share. They are documented once under "Common shapes", so the per-key
/// tables stop at them; each is recognised by its exact set of properties.
const COMMON_SHAPES: [(&str, &[&str]); 4] = [
    ("Target", &["kind", "name", "selector"]),
    ("IntRange", &["atLeast", "atMost"]),
    ("LabelSelector", &["matchExpressions", "matchLabels"]),
    ("Principals", &["groups", "users"]),
];

fn check_schemas() -> BTreeMap<String, Value> {
    let crd = serde_json::to_value(ReadinessChecklist::crd()).expect("CRD serializes");
    let check = crd
        .pointer("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/items/items/properties/check")
        .expect("spec.items[].check in the CRD schema");
    properties(check).expect("check has one property per key").clone().into_iter().collect()
}

/// The properties of an object schema, looking through the wrappers schema generators add for
/// optional and referenced structs.
fn properties(schema: &Value) -> Option<&serde_json::Map<String, Value>> {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        return Some(props);
    }
    ["allOf", "anyOf", "oneOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .find_map(properties)
}

/// The item schema of an array schema, looking through the same wrappers.
fn items(schema: &Value) -> Option<&Value> {
    if let Some(items) = schema.get("items") {
        return Some(items);
    }
    ["allOf", "anyOf", "oneOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .find_map(items)
}

fn common_shape(schema: &Value) -> Option<&'static str> {
    let props = properties(schema)?;
    let names: BTreeSet<&str> = props.keys().map(String::as_str).collect();
    COMMON_SHAPES.iter().find(|(_, fields)| fields.iter().copied().collect::<BTreeSet<_>>() == names).map(|(n, _)| *n)
}

/// Every field path under a schema, as the docs write them: `image`, `image.forbidLatest`,
/// `access[].subject.kind`. Paths stop at common shapes.
fn field_paths(schema: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    let Some(props) = properties(schema) else { return };
    for (name, sub) in props {
        let path = format!("{prefix}{name}");
        out.insert(path.clone());
        if common_shape(sub).is_some() {
            continue;
        }
        if properties(sub).is_some() {
            field_paths(sub, &format!("{path}."), out);
        } else if let Some(item) = items(sub)
            && properties(item).is_some()
            && common_shape(item).is_none()
        {
            field_paths(item, &format!("{path}[]."), out);
        }
    }
}

/// The docs as sections: `### heading` (under its `## part`) -> field paths from the first
/// column of its tables, plus the section's whole text.
struct Section {
    part: String,
    fields: BTreeSet<String>,
    text: String,
}

fn sections() -> BTreeMap<String, Section> {
    let mut out: BTreeMap<String, Section> = BTreeMap::new();
    let mut part = String::new();
    let mut current: Option<String> = None;
    for line in CHECKS_MD.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            part = h.trim().to_owned();
            current = None;
        } else if let Some(h) = line.strip_prefix("### ") {
            let name = h.trim().trim_matches('`').to_owned();
            assert!(!out.contains_key(&name), "docs/checks.md has two sections named {name}");
            out.insert(name.clone(), Section { part: part.clone(), fields: BTreeSet::new(), text: String::new() });
            current = Some(name);
        } else if let Some(name) = &current {
            let section = out.get_mut(name).expect("current section exists");
            section.text.push_str(line);
            section.text.push('\n');
            if let Some(first) = line.strip_prefix("| `").and_then(|rest| rest.split('`').next()) {
                section.fields.insert(first.to_owned());
            }
        }
    }
    out
}

fn key_sections() -> BTreeMap<String, Section> {
    sections().into_iter().filter(|(_, s)| s.part == "Check kinds").collect()
}

#[test]
fn every_check_key_has_a_section_and_no_section_is_unknown() {
    let schema_keys: BTreeSet<String> = check_schemas().into_keys().collect();
    let catalogue: BTreeSet<String> = Check::KEYS.iter().map(|k| (*k).to_owned()).collect();
    assert_eq!(schema_keys, catalogue, "the CRD schema and Check::KEYS disagree");
    let documented: BTreeSet<String> = key_sections().into_keys().collect();
    assert_eq!(documented, schema_keys, "docs/checks.md `### key` sections under `## Check kinds`");
}

#[test]
fn every_field_of_every_check_is_documented_under_its_key() {
    let sections = key_sections();
    for (key, schema) in check_schemas() {
        let mut wanted = BTreeSet::new();
        field_paths(&schema, "", &mut wanted);
        let section = sections.get(&key).unwrap_or_else(|| panic!("no section for `{key}`"));
        let missing: Vec<_> = wanted.difference(&section.fields).collect();
        assert!(missing.is_empty(), "docs/checks.md `{key}` does not document {missing:?}");
    }
}

#[test]
fn docs_document_no_field_the_schema_lacks() {
    let schemas = check_schemas();
    for (key, section) in key_sections() {
        let Some(schema) = schemas.get(&key) else { continue };
        let mut known = BTreeSet::new();
        field_paths(schema, "", &mut known);
        let unknown: Vec<_> = section.fields.difference(&known).collect();
        assert!(unknown.is_empty(), "docs/checks.md `{key}` documents fields the schema lacks: {unknown:?}");
    }
}

#[test]
fn every_check_section_says_when_it_passes() {
    for (key, section) in key_sections() {
        assert!(section.text.contains("Passes when"), "docs/checks.md `{key}` does not say when it passes");
    }
}

#[test]
fn common_shapes_match_the_schema() {
    let sections = sections();
    // Find one instance of each shape in the check schemas and compare its fields with the docs.
    let mut found: BTreeMap<&str, Value> = BTreeMap::new();
    fn visit(schema: &Value, found: &mut BTreeMap<&'static str, Value>) {
        if let Some(shape) = common_shape(schema) {
            found.entry(shape).or_insert_with(|| schema.clone());
        }
        if let Some(props) = properties(schema) {
            props.values().for_each(|s| visit(s, found));
        }
        if let Some(item) = items(schema) {
            visit(item, found);
        }
    }
    check_schemas().values().for_each(|s| visit(s, &mut found));
    for (shape, _) in COMMON_SHAPES {
        let schema = found.get(shape).unwrap_or_else(|| panic!("no check uses {shape}; drop it from COMMON_SHAPES"));
        let mut wanted = BTreeSet::new();
        field_paths(schema, "", &mut wanted);
        let section = sections.get(shape).unwrap_or_else(|| panic!("docs/checks.md has no `### {shape}` section"));
        assert_eq!(section.part, "Common shapes", "`{shape}` belongs under `## Common shapes`");
        assert_eq!(section.fields, wanted, "docs/checks.md `{shape}` fields");
    }
}
