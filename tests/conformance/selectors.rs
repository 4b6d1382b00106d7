//! Label selectors: key and value syntax (`apimachinery/pkg/util/validation`), requirement
//! rules and matching (`apimachinery/pkg/labels/selector_test.go`), `LabelSelectorAsSelector`
//! (`apimachinery/pkg/apis/meta/v1/helpers_test.go`), and the refusal of an invalid selector by
//! `readygate check` (issue 14, finding 2).
//!
//! readygate takes `LabelSelector` objects, never the `kubectl -l` string syntax. A case written
//! upstream as a string is put here as the LabelSelector it parses to (`x=y` is
//! `matchLabels: {x: y}`, `x!=y` is `NotIn [y]`, which matches the same label sets, `x` is
//! `Exists`, `!x` is `DoesNotExist`); the string-only operators `>`/`<` have no LabelSelector form.

use std::collections::BTreeMap;
use std::process::Command;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use readygate::api::ReadinessChecklist;
use readygate::engine::validate::validate_checklist;
use readygate::inventory::selector;
use serde_json::{Value, json};

use super::support::{Case, Verdict, Verdict::*, judge};

const QUALIFIED: &str =
    "kubernetes staging/src/k8s.io/apimachinery/pkg/util/validation/validation_test.go TestIsQualifiedName";
const LABEL_VALUE: &str =
    "kubernetes staging/src/k8s.io/apimachinery/pkg/util/validation/validation_test.go TestIsValidLabelValue";
const CONSTRUCTOR: &str =
    "kubernetes staging/src/k8s.io/apimachinery/pkg/labels/selector_test.go TestRequirementConstructor";
const MATCHES: &str = "kubernetes staging/src/k8s.io/apimachinery/pkg/labels/selector_test.go TestSelectorMatches";
const SET_MATCHES: &str = "kubernetes staging/src/k8s.io/apimachinery/pkg/labels/selector_test.go TestSetMatches";
const REQUIREMENT_MATCHING: &str =
    "kubernetes staging/src/k8s.io/apimachinery/pkg/labels/selector_test.go TestRequirementSelectorMatching";
const PARSE: &str = "kubernetes staging/src/k8s.io/apimachinery/pkg/labels/selector_test.go TestSelectorParse";
const AS_SELECTOR: &str =
    "kubernetes staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers_test.go TestLabelSelectorAsSelector";
const AS_MAP: &str =
    "kubernetes staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers_test.go TestLabelSelectorAsMap";
const ISSUE: &str = "issue 14: LabelSelectorAsSelector refuses these; readygate check exits 2 naming the field";

const ORDERING: Verdict = NotExpressible("Gt/Lt exist only in the string syntax; a LabelSelector has no such operator");
const STRING_SYNTAX: Verdict =
    NotExpressible("the kubectl -l string syntax: readygate reads LabelSelector objects, never selector strings");

/// A label set written as pairs.
type Labels = &'static [(&'static str, &'static str)];

fn selector(value: Value) -> LabelSelector {
    serde_json::from_value(value).expect("a LabelSelector")
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// A simple selector string (`=`, `!=`, `key`, `!key`, comma-separated) as its LabelSelector.
fn parsed(text: &str) -> LabelSelector {
    let mut match_labels = serde_json::Map::new();
    let mut expressions = Vec::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        if let Some((key, value)) = part.split_once("!=") {
            expressions.push(json!({"key": key, "operator": "NotIn", "values": [value]}));
        } else if let Some((key, value)) = part.split_once('=') {
            match_labels.insert(key.to_owned(), json!(value));
        } else if let Some(key) = part.strip_prefix('!') {
            expressions.push(json!({"key": key, "operator": "DoesNotExist"}));
        } else {
            expressions.push(json!({"key": part, "operator": "Exists"}));
        }
    }
    selector(json!({"matchLabels": match_labels, "matchExpressions": expressions}))
}

/// Whether readygate selects `labels`; a selector it refuses selects nothing and says so.
fn selects(selector: &LabelSelector, set: &BTreeMap<String, String>) -> Option<bool> {
    selector::validate(selector).ok().map(|()| selector::matches_lenient(selector, set))
}

fn key_and_value_syntax() -> Vec<Case<bool>> {
    let mut cases = Vec::new();
    let long_prefix = format!("{}/{}", "a".repeat(253), "b".repeat(63));
    let good_keys = [
        "simple",
        "now-with-dashes",
        "1-starts-with-num",
        "1234",
        "simple/simple",
        "now-with-dashes/simple",
        "now-with-dashes/now-with-dashes",
        "now.with.dots/simple",
        "now-with.dashes-and.dots/simple",
        "1-num.2-num/3-num",
        "1234/5678",
        "1.2.3.4/5678",
        "Uppercase_Is_OK_123",
        "example.com/Uppercase_Is_OK_123",
        "requests.storage-foo",
        &"a".repeat(63),
        &long_prefix,
    ];
    let too_long_prefix = format!("{}/abc", "a".repeat(254));
    let bad_keys = [
        "nospecialchars%^=@",
        "cantendwithadash-",
        "-cantstartwithadash-",
        "only/one/slash",
        "Example.com/abc",
        "example_com/abc",
        "example.com/",
        "/simple",
        &"a".repeat(64),
        &too_long_prefix,
    ];
    for (keys, valid) in [(&good_keys[..], true), (&bad_keys[..], false)] {
        for key in keys {
            let s = selector(json!({"matchExpressions": [{"key": key, "operator": "Exists"}]}));
            let shown: String = key.chars().take(40).collect();
            cases.push((
                format!("{QUALIFIED}: {shown:?} as a key"),
                Agree,
                Some((valid, selector::validate(&s).is_ok())),
            ));
        }
    }
    let good_values = ["simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1", "1234", &"a".repeat(63), ""];
    let bad_values = [
        "nospecialchars%^=@",
        "Tama-nui-te-rā.is.Māori.sun",
        "\\backslashes\\are\\bad",
        "-starts-with-dash",
        "ends-with-dash-",
        ".starts.with.dot",
        "ends.with.dot.",
        &"a".repeat(64),
    ];
    for (values, valid) in [(&good_values[..], true), (&bad_values[..], false)] {
        for value in values {
            let s = selector(
                json!({"matchLabels": {"key": value}, "matchExpressions": [{"key": "k", "operator": "In", "values": [value]}]}),
            );
            let shown: String = value.chars().take(40).collect();
            cases.push((
                format!("{LABEL_VALUE}: {shown:?} as a value"),
                Agree,
                Some((valid, selector::validate(&s).is_ok())),
            ));
        }
    }
    cases
}

fn requirement_constructor() -> Vec<Case<bool>> {
    let long = "a".repeat(254);
    let table: [(&str, &str, Option<&[&str]>, bool); 13] = [
        ("x", "In", None, false),
        ("x", "NotIn", Some(&[]), false),
        ("x", "In", Some(&["foo"]), true),
        ("x", "NotIn", Some(&["foo"]), true),
        ("x", "Exists", None, true),
        ("x", "DoesNotExist", None, true),
        ("1foo", "In", Some(&["bar"]), true),
        ("1234", "In", Some(&["bar"]), true),
        ("y", "Gt", Some(&["1"]), true),
        ("z", "Lt", Some(&["6"]), true),
        ("foo", "Gt", Some(&["bar"]), false),
        ("barz", "Lt", Some(&["blah"]), false),
        (&long, "Exists", None, false),
    ];
    table
        .into_iter()
        .map(|(key, operator, values, success)| {
            let shown: String = key.chars().take(20).collect();
            let name = format!("{CONSTRUCTOR}: {shown} {operator} {values:?}");
            if matches!(operator, "Gt" | "Lt") {
                return (name, ORDERING, None);
            }
            let mut requirement = json!({"key": key, "operator": operator});
            if let Some(values) = values {
                requirement["values"] = json!(values);
            }
            let s = selector(json!({"matchExpressions": [requirement]}));
            (name, Agree, Some((success, selector::validate(&s).is_ok())))
        })
        .collect()
}

fn matching() -> Vec<Case<Option<bool>>> {
    let mut cases = Vec::new();
    let table: [(&str, Labels, bool); 17] = [
        ("", &[("x", "y")], true),
        ("x=y", &[("x", "y")], true),
        ("x=y,z=w", &[("x", "y"), ("z", "w")], true),
        ("x!=y,z!=w", &[("x", "z"), ("z", "a")], true),
        ("notin=in", &[("notin", "in")], true),
        ("x", &[("x", "z")], true),
        ("!x", &[("y", "z")], true),
        ("x=z", &[], false),
        ("x=y", &[("x", "z")], false),
        ("x=y,z=w", &[("x", "w"), ("z", "w")], false),
        ("x!=y,z!=w", &[("x", "z"), ("z", "w")], false),
        ("x", &[("y", "z")], false),
        ("!x", &[("x", "z")], false),
        ("foo=bar", &[("foo", "bar"), ("baz", "blah")], true),
        ("baz=blah", &[("foo", "bar"), ("baz", "blah")], true),
        ("foo=bar,baz=blah", &[("foo", "bar"), ("baz", "blah")], true),
        ("foo=blah", &[("foo", "bar"), ("baz", "blah")], false),
    ];
    for (text, set, expected) in table {
        let got = selects(&parsed(text), &labels(set));
        cases.push((format!("{MATCHES}: {text:?} on {set:?}"), Agree, Some((Some(expected), got))));
    }
    for (text, set, expected) in [
        ("baz=bar", &[("foo", "bar"), ("baz", "blah")][..], false),
        ("foo=bar,foobar=bar,baz=blah", &[("foo", "bar"), ("baz", "blah")][..], false),
    ] {
        let got = selects(&parsed(text), &labels(set));
        cases.push((format!("{MATCHES}: {text:?} on {set:?}"), Agree, Some((Some(expected), got))));
    }
    for text in ["x>1 on x=2", "x<1 on x=0", "x>1 on x=0", "x<1 on x=2"] {
        cases.push((format!("{MATCHES}: {text}"), ORDERING, None));
    }
    for set in [&[][..], &[("foo", "bar")][..], &[("baz", "blah")][..], &[("foo", "bar"), ("baz", "blah")][..]] {
        let s = selector(json!({"matchLabels": labels(set)}));
        let got = selects(&s, &labels(&[("foo", "bar"), ("baz", "blah")]));
        cases.push((format!("{SET_MATCHES}: {set:?}"), Agree, Some((Some(true), got))));
    }
    // TestRequirementSelectorMatching
    cases.push((
        format!("{REQUIREMENT_MATCHING}: a zero Requirement matches nothing"),
        NotExpressible("a zero-value Requirement cannot come from a LabelSelector (an empty operator is refused)"),
        None,
    ));
    let table: [(Labels, Value, bool); 6] = [
        (
            &[("x", "foo"), ("y", "baz")],
            json!([{"key": "x", "operator": "In", "values": ["foo"]}, {"key": "y", "operator": "NotIn", "values": ["alpha"]}]),
            true,
        ),
        (
            &[("x", "foo"), ("y", "baz")],
            json!([{"key": "x", "operator": "In", "values": ["foo"]}, {"key": "y", "operator": "In", "values": ["alpha"]}]),
            false,
        ),
        (
            &[("y", "")],
            json!([{"key": "x", "operator": "NotIn", "values": [""]}, {"key": "y", "operator": "Exists"}]),
            true,
        ),
        (&[("y", "")], json!([{"key": "x", "operator": "DoesNotExist"}, {"key": "y", "operator": "Exists"}]), true),
        (
            &[("y", "")],
            json!([{"key": "x", "operator": "NotIn", "values": [""]}, {"key": "y", "operator": "DoesNotExist"}]),
            false,
        ),
        (&[("y", "baz")], json!([{"key": "x", "operator": "In", "values": [""]}]), false),
    ];
    for (set, expressions, expected) in table {
        let got = selects(&selector(json!({"matchExpressions": expressions})), &labels(set));
        cases.push((format!("{REQUIREMENT_MATCHING}: {expressions} on {set:?}"), Agree, Some((Some(expected), got))));
    }
    for case in ["z Gt 1 on z=2", "z Gt 1 on z=v2"] {
        cases.push((format!("{REQUIREMENT_MATCHING}: {case}"), ORDERING, None));
    }
    // TestLabelSelectorAsSelector: refused or not, and what the parsed selector selects.
    let set = labels(&[("foo", "bar"), ("baz", "qux")]);
    let table: [(&str, Value, Option<bool>); 5] = [
        ("empty selector is Everything", json!({}), Some(true)),
        ("matchLabels foo=bar", json!({"matchLabels": {"foo": "bar"}}), Some(true)),
        (
            "baz in (norf,qux)",
            json!({"matchExpressions": [{"key": "baz", "operator": "In", "values": ["qux", "norf"]}]}),
            Some(true),
        ),
        (
            "baz in (norf,qux),foo=bar",
            json!({"matchLabels": {"foo": "bar"}, "matchExpressions": [{"key": "baz", "operator": "In", "values": ["qux", "norf"]}]}),
            Some(true),
        ),
        (
            "Exists with values is an error",
            json!({"matchExpressions": [{"key": "baz", "operator": "Exists", "values": ["qux", "norf"]}]}),
            None,
        ),
    ];
    for (name, value, expected) in table {
        cases.push((format!("{AS_SELECTOR}: {name}"), Agree, Some((expected, selects(&selector(value), &set)))));
    }
    cases.push((
        format!("{AS_SELECTOR}: nil selector is Nothing"),
        NotExpressible(
            "an absent selector field means 'not given' in readygate's API, each check saying what it then judges",
        ),
        None,
    ));
    cases
}

fn strings_and_maps() -> Vec<Case<bool>> {
    let mut cases = Vec::new();
    for text in [
        "x=a,y=b,z=c",
        "",
        "x!=a,y=b",
        "x=",
        "x= ",
        "x=,z= ",
        "x= ,z= ",
        "!x",
        "x>1",
        "x>1,z<5",
        "x=a||y=b",
        "x==a==b",
        "!x=a",
        "x<a",
    ] {
        cases.push((format!("{PARSE}: {text:?}"), STRING_SYNTAX, None));
    }
    for i in 0..8 {
        cases.push((
            format!("{AS_MAP}: case {i}"),
            NotExpressible("LabelSelectorAsMap converts a selector into a label map; readygate never needs that"),
            None,
        ));
    }
    cases
}

fn checklist(selector: Value) -> ReadinessChecklist {
    serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "shop"},
        "spec": {"items": [{"name": "api", "check": {"workload": {"target": {"selector": selector}}}}]}
    }))
    .expect("deserializes")
}

/// The issue's three selectors: refused, with the field of the requirement named.
fn issue_cases() -> Vec<Case<Option<String>>> {
    let at = "items[0] (api).check.workload.target.selector";
    let table = [
        (
            "a 254-character key",
            json!({"matchExpressions": [{"key": "k".repeat(254), "operator": "DoesNotExist"}]}),
            format!("{at}.matchExpressions[0].key"),
        ),
        ("a 64-character value", json!({"matchLabels": {"app": "v".repeat(64)}}), format!("{at}.matchLabels[app]")),
        (
            "a value with a space",
            json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a b"]}]}),
            format!("{at}.matchExpressions[0].values[0]"),
        ),
    ];
    table
        .into_iter()
        .map(|(name, value, field)| {
            let problems = validate_checklist(&checklist(value));
            let named = problems.first().and_then(|p| p.split(": ").next()).map(str::to_owned);
            (format!("{ISSUE}: {name}"), Agree, Some((Some(field), named)))
        })
        .collect()
}

#[test]
fn keys_and_values_follow_the_apimachinery_validation_tables() {
    judge("selectors: key and value syntax", key_and_value_syntax());
}

#[test]
fn requirements_are_refused_as_new_requirement_refuses_them() {
    judge("selectors: TestRequirementConstructor", requirement_constructor());
}

#[test]
fn selectors_match_as_kubernetes_matches() {
    judge("selectors: matching", matching());
}

#[test]
fn string_syntax_and_map_conversions_are_listed_as_not_expressible() {
    judge("selectors: string syntax and maps", strings_and_maps());
}

#[test]
fn the_issue_selectors_are_refused_naming_the_field() {
    judge("selectors: issue 14", issue_cases());
}

#[test]
fn readygate_check_exits_2_on_a_selector_kubernetes_refuses() {
    let dir = std::env::temp_dir().join(format!("readygate-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("checklist.yaml");
    let text = "apiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata: {name: release, namespace: shop}\n\
                spec:\n  items:\n  - name: api\n    check:\n      workload:\n        target:\n          selector:\n            \
                matchExpressions: [{key: app, operator: NotIn, values: [\"a b\"]}]\n";
    std::fs::write(&path, text).expect("checklist written");
    let output = Command::new(env!("CARGO_BIN_EXE_readygate"))
        .args(["check", "-f", path.to_str().expect("utf-8 path")])
        .output()
        .expect("readygate runs");
    std::fs::remove_dir_all(&dir).ok();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("spec.items[0] (api).check.workload.target.selector.matchExpressions[0].values[0]: invalid label value \"a b\""),
        "{stderr}"
    );
}
