//! A partial read of a Deployment: labels, the override annotation, and `spec.template` as raw JSON.
//!
//! A typed parse of a 9 KB Deployment costs about 100 µs; reading only these fields, and skipping
//! the rest (managedFields, last-applied-configuration, status) unparsed, costs a fraction of it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::webhook::admit::request::nullable;

/// `metadata.annotations["readygate.io/override"]`: the reason a user gives for overriding.
pub const OVERRIDE_ANNOTATION: &str = "readygate.io/override";

#[derive(Debug, Default, Deserialize)]
pub struct DeploymentView<'a> {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: Metadata,
    #[serde(default, borrow)]
    pub spec: Option<SpecView<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub generate_name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub namespace: String,
    #[serde(default, deserialize_with = "nullable")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "nullable")]
    pub annotations: OverrideAnnotation,
}

#[derive(Debug, Default, Deserialize)]
pub struct SpecView<'a> {
    #[serde(default, borrow)]
    pub template: Option<RawJson<'a>>,
}

/// A JSON value kept as its text (borrowed from the request body).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawJson<'a>(pub &'a str);

impl<'de: 'a, 'a> Deserialize<'de> for RawJson<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(deserializer).map(|raw| RawJson(raw.get()))
    }
}

/// Only the override annotation, out of an annotation map that may hold kilobytes of
/// `kubectl.kubernetes.io/last-applied-configuration`.
#[derive(Debug, Default)]
pub struct OverrideAnnotation(pub Option<String>);

impl<'de> Deserialize<'de> for OverrideAnnotation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Find;
        impl<'de> Visitor<'de> for Find {
            type Value = OverrideAnnotation;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of annotations")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut found = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == OVERRIDE_ANNOTATION {
                        found = Some(map.next_value::<String>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(OverrideAnnotation(found))
            }
        }
        deserializer.deserialize_map(Find)
    }
}

/// Only `spec.template`, for the old object of an UPDATE.
#[derive(Debug, Default, Deserialize)]
pub struct TemplateOnly<'a> {
    #[serde(default, borrow)]
    pub spec: Option<SpecView<'a>>,
}

impl<'a> TemplateOnly<'a> {
    pub fn parse(raw: &'a RawValue) -> Result<Self, serde_json::Error> {
        serde_json::from_str(raw.get())
    }

    pub fn template(&self) -> Option<&'a str> {
        self.spec.as_ref().and_then(|s| s.template).map(|t| t.0)
    }
}

impl<'a> DeploymentView<'a> {
    pub fn parse(raw: &'a RawValue) -> Result<Self, serde_json::Error> {
        serde_json::from_str(raw.get())
    }

    pub fn template(&self) -> Option<&'a str> {
        self.spec.as_ref().and_then(|s| s.template).map(|t| t.0)
    }

    /// The override reason, when the annotation carries a non-blank one.
    pub fn override_reason(&self) -> Option<&str> {
        self.metadata.annotations.0.as_deref().map(str::trim).filter(|r| !r.is_empty())
    }
}

/// Whether an UPDATE changes the pod template, comparing the JSON text of old and new
/// `spec.template` while ignoring insignificant whitespace. The API server encodes both objects
/// with one deterministic encoder (struct fields in declaration order, map keys sorted), so the
/// same template always has the same text; a template whose keys were merely reordered can only
/// come from a hand-made request and counts as changed, which gates rather than lets through.
pub fn template_changed(old: Option<&str>, new: Option<&str>) -> bool {
    match (old, new) {
        (None, None) => false,
        (Some(old), Some(new)) => !same_json_text(old, new),
        _ => true,
    }
}

/// Byte equality outside insignificant whitespace; whitespace inside strings counts.
fn same_json_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let common = common_prefix_len(a, b);
    if common == a.len() && common == b.len() {
        return true;
    }
    // A whitespace-insensitive walk over the identical prefix reaches this offset in both texts
    // in the same state. Unless one of the first differing bytes is whitespace (which the walk
    // might skip), it then compares them and finds the texts different.
    let blank = |c: Option<&u8>| c.is_some_and(|c| is_json_blank(*c));
    if !blank(a.get(common)) && !blank(b.get(common)) {
        return false;
    }
    same_json_text_walk(a, b)
}

fn is_json_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// Length of the longest common prefix, compared 32 bytes at a time (templates run to kilobytes,
/// and an image change often sits deep inside).
fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let (a_chunks, _) = a.as_chunks::<32>();
    let (b_chunks, _) = b.as_chunks::<32>();
    let equal_chunks = a_chunks.iter().zip(b_chunks).take_while(|(x, y)| x == y).count();
    let start = equal_chunks * 32;
    start + a[start..].iter().zip(&b[start..]).take_while(|(x, y)| x == y).count()
}

/// The byte-by-byte walk behind [`same_json_text`], skipping whitespace outside strings.
fn same_json_text_walk(a: &[u8], b: &[u8]) -> bool {
    let (mut i, mut j) = (0, 0);
    let (mut in_string, mut escaped) = (false, false);
    loop {
        if !in_string {
            while i < a.len() && is_json_blank(a[i]) {
                i += 1;
            }
            while j < b.len() && is_json_blank(b[j]) {
                j += 1;
            }
        }
        match (a.get(i), b.get(j)) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y => {
                let c = *x;
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if c == b'\\' {
                        escaped = true;
                    } else if c == b'"' {
                        in_string = false;
                    }
                } else if c == b'"' {
                    in_string = true;
                }
                i += 1;
                j += 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).expect("valid JSON")
    }

    #[test]
    fn reads_labels_override_and_raw_template() {
        let object = raw(r#"{"metadata":{"name":"api","labels":{"app":"api"},
            "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"big\":1}",
                           "readygate.io/override":"  hotfix INC-42 "}},
            "spec":{"replicas":3,"template":{"spec":{"containers":[]}}},"status":{"replicas":3}}"#);
        let d = DeploymentView::parse(&object).expect("parses");
        assert_eq!(d.metadata.name, "api");
        assert_eq!(d.metadata.labels.get("app").map(String::as_str), Some("api"));
        assert_eq!(d.override_reason(), Some("hotfix INC-42"));
        assert_eq!(d.template(), Some(r#"{"spec":{"containers":[]}}"#));
    }

    #[test]
    fn null_metadata_maps_read_as_empty() {
        let object = raw(r#"{"metadata":{"labels":null,"annotations":null},"spec":null}"#);
        let d = DeploymentView::parse(&object).expect("parses");
        assert!(d.metadata.labels.is_empty());
        assert_eq!(d.override_reason(), None);
        assert!(d.template().is_none());
    }

    #[test]
    fn a_blank_override_reason_is_no_override() {
        let object = raw(r#"{"metadata":{"annotations":{"readygate.io/override":"   "}}}"#);
        assert_eq!(DeploymentView::parse(&object).expect("parses").override_reason(), None);
    }

    #[test]
    fn labels_of_the_wrong_type_are_an_error() {
        assert!(DeploymentView::parse(&raw(r#"{"metadata":{"labels":["app"]}}"#)).is_err());
    }

    #[test]
    fn template_comparison_ignores_spacing_but_not_content() {
        let a = raw(r#"{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[{"image":"a:1"}]}}"#);
        let spaced = raw(
            "{ \"metadata\": {\"labels\":{\"app\":\"api\"}},\n \"spec\":{\"containers\":[ {\"image\":\"a:1\"} ]} }",
        );
        let other_image = raw(r#"{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[{"image":"a:2"}]}}"#);
        assert!(!template_changed(Some(a.get()), Some(a.get())));
        assert!(!template_changed(Some(a.get()), Some(spaced.get())));
        assert!(template_changed(Some(a.get()), Some(other_image.get())));
        assert!(template_changed(None, Some(a.get())));
        assert!(!template_changed(None, None));
    }

    #[test]
    fn spaces_inside_strings_are_content() {
        let a = raw(r#"{"args":["a b"]}"#);
        let b = raw(r#"{"args":["ab"]}"#);
        let escaped_quote = raw(r#"{"args":["x\" y"]}"#);
        let escaped_quote_spaced = raw(r#"{"args":["x\"  y"]}"#);
        assert!(template_changed(Some(a.get()), Some(b.get())));
        assert!(template_changed(Some(escaped_quote.get()), Some(escaped_quote_spaced.get())));
    }

    proptest::proptest! {
        /// The prefix shortcut never disagrees with the full walk, including at chunk edges and
        /// around whitespace, quotes and escapes.
        #[test]
        fn the_prefix_shortcut_agrees_with_the_walk(
            prefix in "[a\" ]{0,70}",
            a in "[ a\"\\\\\n]{0,12}",
            b in "[ a\"\\\\\n]{0,12}",
        ) {
            let (a, b) = (format!("{prefix}{a}"), format!("{prefix}{b}"));
            proptest::prop_assert_eq!(same_json_text(&a, &b), same_json_text_walk(a.as_bytes(), b.as_bytes()));
        }
    }

    #[test]
    fn a_deep_change_in_a_long_template_is_found() {
        let padding = "x".repeat(5000);
        let a = format!(r#"{{"pad":"{padding}","image":"api:1"}}"#);
        let b = format!(r#"{{"pad":"{padding}","image":"api:2"}}"#);
        let b_spaced = format!(r#"{{"pad":"{padding}", "image": "api:1"}}"#);
        assert!(template_changed(Some(&a), Some(&b)));
        assert!(!template_changed(Some(&a), Some(&b_spaced)));
    }

    #[test]
    fn reordered_keys_count_as_a_change_on_the_safe_side() {
        let a = raw(r#"{"metadata":{},"spec":{}}"#);
        let b = raw(r#"{"spec":{},"metadata":{}}"#);
        assert!(template_changed(Some(a.get()), Some(b.get())));
    }
}
