//! Readers for the structure of an object (mappings, lists, string maps), as lenient as the
//! JSON-pointer reads the checks made before views existed: `value.get("ports")` on a string
//! found nothing, and `.as_array()` on a mapping found no list. So a field of the wrong shape
//! reads as absent (its default), never as an error that would hide the whole object, and an
//! element of the wrong shape reads as an element that says nothing. Fields whose wrong shape
//! the checks report (a NetworkPolicy's `spec`, `podSelector`, `policyTypes`, `ingress` and
//! `egress`) are read strictly by their view instead ([`strict_mapping`], [`list_of_mappings`],
//! `de::nullable`).
//!
//! Also the serialization side: a view serializes to the smallest object that reads back as
//! the same view, so parts that read as their default are left out.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::de::Presence;

/// A struct read from a mapping; anything else (null, a scalar, a list) reads as
/// `T::default()`.
pub fn mapping<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(deserializer: D) -> Result<T, D::Error> {
    Ok(optional_mapping(deserializer)?.unwrap_or_default())
}

/// A struct read from a mapping, or `None` for anything else.
pub fn optional_mapping<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    deserializer.deserialize_any(MappingOr(PhantomData))
}

/// A struct read strictly from a mapping: null reads as `T::default()`, anything else is an
/// error naming the field. Not plain `nullable`: serde's derived structs also accept a list,
/// field by field in order, so `spec: [{}]` would read as a spec.
pub fn strict_mapping<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct OnlyMapping<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for OnlyMapping<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a mapping")
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map))
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
            deserializer.deserialize_any(self)
        }

        fn visit_unit<E: de::Error>(self) -> Result<T, E> {
            Ok(T::default())
        }

        fn visit_none<E: de::Error>(self) -> Result<T, E> {
            Ok(T::default())
        }
    }
    deserializer.deserialize_any(OnlyMapping(PhantomData))
}

/// A list of structs. Anything but a list reads as empty; an element that is not a mapping
/// reads as `T::default()` (so `ingress: ["x"]` is one rule that names nothing, as before).
pub fn mappings<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(deserializer: D) -> Result<Vec<T>, D::Error> {
    let elements: Vec<Element<T>> = deserializer.deserialize_any(ListOr(PhantomData))?;
    Ok(elements.into_iter().map(|Element(t)| t).collect())
}

/// A list of structs read strictly as a list: null reads as empty, anything else but a list is
/// an error naming the field. Elements read as in [`mappings`]. For lists that must not read as
/// empty when they are something else, because empty has a meaning of its own (a
/// NetworkPolicy's `ingress`: no rules, so deny all).
pub fn list_of_mappings<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    let elements: Option<Vec<Element<T>>> = Option::deserialize(deserializer)?;
    Ok(elements.unwrap_or_default().into_iter().map(|Element(t)| t).collect())
}

/// An element of a list of structs: a mapping, or `T::default()` for anything else.
struct Element<T>(T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Element<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        mapping(deserializer).map(Element)
    }
}

/// A list of strings: other elements are dropped, anything but a list reads as empty.
pub fn strings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let elements: Vec<Value> = deserializer.deserialize_any(ListOr(PhantomData))?;
    Ok(elements
        .into_iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s),
            _ => None,
        })
        .collect())
}

/// A mapping of strings (labels, annotations, a Service's selector): entries of another type
/// are dropped, anything but a mapping reads as empty.
pub fn string_map<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(optional_mapping::<D, StringMap>(deserializer)?.map(|m| m.0).unwrap_or_default())
}

struct StringMap(BTreeMap<String, String>);

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, Value>::deserialize(deserializer)?;
        Ok(StringMap(
            map.into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(v) => Some((k, v)),
                    _ => None,
                })
                .collect(),
        ))
    }
}

/// Visitor methods reading every scalar (and null) as `$value`, consuming it unbuilt.
macro_rules! scalars_read_as {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

/// `Some(T)` from a mapping; `None`, with the value consumed unbuilt, from anything else.
struct MappingOr<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for MappingOr<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        deserializer.deserialize_any(self)
    }

    scalars_read_as!(None);
}

/// The elements of a list; an empty list, with the value consumed unbuilt, from anything else.
struct ListOr<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListOr<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut elements = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(element) = seq.next_element()? {
            elements.push(element);
        }
        Ok(elements)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<T>, D::Error> {
        deserializer.deserialize_any(self)
    }

    scalars_read_as!(Vec::new());
}

/// For `skip_serializing_if` on a [`Presence`].
pub fn is_absent(presence: &Presence) -> bool {
    !presence.0
}

/// A present mapping serialized as `{}`: its content is never judged, only that it is there.
pub fn present_as_mapping<S: Serializer>(_: &Presence, serializer: S) -> Result<S::Ok, S::Error> {
    BTreeMap::<(), ()>::new().serialize(serializer)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, Default, PartialEq, Deserialize)]
    struct Entry {
        #[serde(default, deserialize_with = "super::super::de::lenient")]
        name: Option<String>,
    }

    #[derive(Debug, Default, PartialEq, Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "mapping")]
        one: Entry,
        #[serde(default, deserialize_with = "optional_mapping")]
        maybe: Option<Entry>,
        #[serde(default, deserialize_with = "mappings")]
        list: Vec<Entry>,
        #[serde(default, deserialize_with = "strings")]
        names: Vec<String>,
        #[serde(default, deserialize_with = "string_map")]
        labels: BTreeMap<String, String>,
    }

    fn read(value: Value) -> Probe {
        let from_text: Probe = serde_json::from_str(&value.to_string()).expect("reads from text");
        let from_tree = Probe::deserialize(&value).expect("reads from a tree");
        assert_eq!(from_text, from_tree);
        from_tree
    }

    #[test]
    fn well_formed_structure_reads_as_written() {
        let p = read(json!({"one": {"name": "a"}, "maybe": {}, "list": [{"name": "b"}, {}],
                            "names": ["x", "y"], "labels": {"app": "api"}}));
        assert_eq!(p.one.name.as_deref(), Some("a"));
        assert_eq!(p.maybe, Some(Entry::default()));
        assert_eq!(p.list, [Entry { name: Some("b".into()) }, Entry::default()]);
        assert_eq!(p.names, ["x", "y"]);
        assert_eq!(p.labels, BTreeMap::from([("app".to_owned(), "api".to_owned())]));
    }

    #[test]
    fn a_wrong_shape_reads_as_absent_and_a_wrong_element_as_empty() {
        for odd in [json!(null), json!("x"), json!(3), json!(true), json!([1, {"a": 1}]), json!({"a": [1]})] {
            let p = read(json!({"one": odd, "maybe": odd, "list": odd, "names": odd, "labels": odd}));
            assert_eq!(p.one, Entry::default(), "{odd}");
            if !odd.is_object() {
                assert_eq!(p.maybe, None, "{odd}");
                assert!(p.labels.is_empty(), "{odd}");
            }
            if !odd.is_array() {
                assert!(p.list.is_empty() && p.names.is_empty(), "{odd}");
            }
        }
        let p = read(json!({"list": ["x", null, {"name": 7}, {"name": "ok"}], "names": ["a", 1, null, {}, "b"],
                            "labels": {"a": "b", "n": 1, "m": {}, "z": null}}));
        assert_eq!(p.list, [Entry::default(), Entry::default(), Entry::default(), Entry { name: Some("ok".into()) }]);
        assert_eq!(p.names, ["a", "b"]);
        assert_eq!(p.labels, BTreeMap::from([("a".to_owned(), "b".to_owned())]));
    }

    #[derive(Debug, Default, PartialEq, Deserialize)]
    struct Strict {
        #[serde(default, deserialize_with = "strict_mapping")]
        one: Entry,
        #[serde(default, deserialize_with = "list_of_mappings")]
        rules: Vec<Entry>,
    }

    /// Reads from text and from a tree, which must agree on refusing; the tree's reading.
    fn read_strict(value: Value) -> Result<Strict, String> {
        let from_text = serde_json::from_str::<Strict>(&value.to_string()).map_err(|e| e.to_string());
        let from_tree = Strict::deserialize(&value).map_err(|e| e.to_string());
        assert_eq!(from_text.is_ok(), from_tree.is_ok(), "{value}");
        from_tree
    }

    #[test]
    fn strict_readers_take_null_as_absent() {
        for value in [json!({}), json!({"one": null, "rules": null}), json!({"one": {}, "rules": []})] {
            assert_eq!(read_strict(value), Ok(Strict::default()));
        }
    }

    #[test]
    fn a_strict_mapping_refuses_anything_but_a_mapping() {
        let read = read_strict(json!({"one": {"name": "a"}}));
        assert_eq!(read, Ok(Strict { one: Entry { name: Some("a".into()) }, ..Strict::default() }));
        // A derived struct would take `["a"]` as its fields in order.
        for odd in [json!("x"), json!(3), json!(true), json!(["a"]), json!([])] {
            let error = read_strict(json!({"one": odd})).expect_err("not a mapping");
            assert!(error.starts_with("invalid type"), "{odd}: {error}");
        }
    }

    #[test]
    fn a_strict_list_refuses_anything_but_a_list_and_keeps_elements_lenient() {
        let read = read_strict(json!({"rules": ["x", {}, {"name": "a"}]}));
        let rules = vec![Entry::default(), Entry::default(), Entry { name: Some("a".into()) }];
        assert_eq!(read, Ok(Strict { rules, ..Strict::default() }));
        for odd in [json!("x"), json!(3), json!(true), json!({"name": "a"})] {
            let error = read_strict(json!({"rules": odd})).expect_err("not a list");
            assert!(error.starts_with("invalid type"), "{odd}: {error}");
        }
    }

    #[test]
    fn a_present_mapping_serializes_as_an_empty_one() {
        #[derive(Serialize)]
        struct Out {
            #[serde(skip_serializing_if = "is_absent", serialize_with = "present_as_mapping")]
            here: Presence,
            #[serde(skip_serializing_if = "is_absent", serialize_with = "present_as_mapping")]
            gone: Presence,
        }
        let out = serde_json::to_value(Out { here: Presence(true), gone: Presence(false) }).expect("serializes");
        assert_eq!(out, json!({"here": {}}));
    }
}
