//! Field readers shared by the views. Scalars are read leniently, as the checks read them from
//! JSON before views existed: a field of the wrong type (`replicas: "3"`) counts as unset rather
//! than failing the whole object, and `null` is the same as absent, as the API server treats it.
//!
//! Each reader has a writer counterpart here, so a view serializes to JSON that reads back into
//! the same view (the live cache keeps that JSON: see `inventory::live`). Empty fields are
//! skipped on the way out ([`is_default`]), since each reads back as its default.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;

/// Whether a field holds its default, which reading an absent field gives back: such fields are
/// left out when a view is written (`skip_serializing_if`).
pub fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// A scalar of type `T`, or `None` when absent, null or of another type. Only scalars go
/// through a `Value` here (no allocation for numbers and booleans); a mapping found where a
/// scalar belongs is built and dropped, which only malformed input pays for.
pub fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned>(deserializer: D) -> Result<Option<T>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).ok())
}

/// A scalar of any JSON type kept as it is (`maxUnavailable: 0`, `"25%"`), or `None` for null.
/// For the few fields whose messages show what was written, whatever its type.
pub fn scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Ok(Some(Value::deserialize(deserializer)?).filter(|v| !v.is_null()))
}

/// `T`, with `null` read as `T::default()`.
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(deserializer: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Whether a field holds a mapping (a probe, a hook): its content is never judged, so it is
/// skipped unbuilt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Presence(pub bool);

impl Presence {
    /// Written as `{}` when present; left out when absent (`skip_serializing_if`).
    pub fn is_absent(&self) -> bool {
        !self.0
    }
}

impl Serialize for Presence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            true => serializer.serialize_map(Some(0))?.end(),
            false => serializer.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for Presence {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IsMap;
        impl<'de> Visitor<'de> for IsMap {
            type Value = Presence;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Presence, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Presence(true))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Presence, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Presence(false))
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Presence, E> {
                Ok(Presence(false))
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Presence, E> {
                Ok(Presence(false))
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Presence, E> {
                Ok(Presence(false))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Presence, E> {
                Ok(Presence(false))
            }

            fn visit_str<E: de::Error>(self, _: &str) -> Result<Presence, E> {
                Ok(Presence(false))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Presence, E> {
                Ok(Presence(false))
            }

            fn visit_none<E: de::Error>(self) -> Result<Presence, E> {
                Ok(Presence(false))
            }

            fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Presence, D::Error> {
                deserializer.deserialize_any(IsMap)
            }
        }
        deserializer.deserialize_any(IsMap)
    }
}

/// The keys of a mapping whose values are set (not null), in order: what `resources.requests`
/// and `resources.limits` are asked ("is memory given?"). Anything but a mapping reads as none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetKeys(pub Vec<Box<str>>);

impl SetKeys {
    pub fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|k| &**k == key)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Written as `{key: true, ...}`: the keys are set, their amounts were never kept.
impl Serialize for SetKeys {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for key in &self.0 {
            map.serialize_entry(&**key, &true)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for SetKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = SetKeys;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SetKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if map.next_value::<Option<IgnoredAny>>()?.is_some() {
                        keys.push(key.into_boxed_str());
                    }
                }
                Ok(SetKeys(keys))
            }

            // Anything else is consumed and reads as no keys.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SetKeys, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(SetKeys::default())
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<SetKeys, E> {
                Ok(SetKeys::default())
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<SetKeys, E> {
                Ok(SetKeys::default())
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<SetKeys, E> {
                Ok(SetKeys::default())
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<SetKeys, E> {
                Ok(SetKeys::default())
            }

            fn visit_str<E: de::Error>(self, _: &str) -> Result<SetKeys, E> {
                Ok(SetKeys::default())
            }

            fn visit_unit<E: de::Error>(self) -> Result<SetKeys, E> {
                Ok(SetKeys::default())
            }
        }
        deserializer.deserialize_any(Keys)
    }
}

/// A string, or `""` when absent, null or of another type: Go's zero value, which is how the
/// RBAC authorizer reads a missing `roleRef.name` or subject `kind`.
pub fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(lenient::<D, String>(deserializer)?.unwrap_or_default())
}

/// A list of records (`rules`, `subjects`): anything but a sequence reads as empty, and an entry
/// that does not read as `T` (a string where a mapping belongs) is `T::default()`, kept in its
/// place as the JSON-pointer readers kept it (a rule that grants nothing, a subject that names
/// nobody), so counts and messages stay as they were.
pub fn items<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(deserializer: D) -> Result<Vec<T>, D::Error> {
    let Value::Array(items) = Value::deserialize(deserializer)? else { return Ok(Vec::new()) };
    Ok(items.into_iter().map(|item| T::deserialize(item).unwrap_or_default()).collect())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::inventory::view::shape::strings;

    #[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
    struct Probe {
        #[serde(default, skip_serializing_if = "Presence::is_absent")]
        probe: Presence,
        #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
        count: Option<i64>,
        #[serde(default, skip_serializing_if = "SetKeys::is_empty")]
        limits: SetKeys,
        #[serde(
            default,
            deserialize_with = "crate::inventory::view::shape::string_map",
            skip_serializing_if = "BTreeMap::is_empty"
        )]
        labels: BTreeMap<String, String>,
    }

    #[test]
    fn what_the_readers_read_writes_back_to_the_same_and_skips_the_empty() {
        let p: Probe = serde_json::from_value(json!({"probe": {"exec": {"command": ["true"]}}, "count": 3,
            "limits": {"cpu": "1", "memory": null}, "labels": {"a": "b"}}))
        .expect("reads");
        let written = serde_json::to_value(&p).expect("writes");
        assert_eq!(written, json!({"probe": {}, "count": 3, "limits": {"cpu": true}, "labels": {"a": "b"}}));
        assert_eq!(serde_json::from_value::<Probe>(written).expect("reads back"), p);
        assert_eq!(serde_json::to_value(Probe::default()).expect("writes"), json!({}));
        assert!(is_default(&Probe::default()) && !is_default(&p));
    }

    #[test]
    fn lenient_fields_read_like_json_pointers_did() {
        let p: Probe = serde_json::from_value(json!({"probe": {"exec": {}}, "count": 3,
            "limits": {"cpu": "1", "memory": null}, "labels": {"a": "b", "n": 1}}))
        .expect("reads");
        assert_eq!((p.probe, p.count), (Presence(true), Some(3)));
        assert!(p.limits.contains("cpu") && !p.limits.contains("memory"));
        assert_eq!(p.labels, BTreeMap::from([("a".to_owned(), "b".to_owned())]));
        let odd: Probe = serde_json::from_str(r#"{"probe": "yes", "count": "3", "limits": [1], "labels": null}"#)
            .expect("odd types are unset, not errors");
        assert_eq!((odd.probe, odd.count), (Presence(false), None));
        assert!(odd.limits.0.is_empty() && odd.labels.is_empty());
        let not_a_map: Probe = serde_json::from_value(json!({"labels": "app=api"})).expect("labels are lenient");
        assert!(not_a_map.labels.is_empty());
    }

    #[derive(Debug, Default, PartialEq, Deserialize)]
    struct Entry {
        #[serde(default, deserialize_with = "text")]
        name: String,
        #[serde(default, deserialize_with = "strings")]
        verbs: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    struct Entries {
        #[serde(default, deserialize_with = "items")]
        entries: Vec<Entry>,
    }

    #[test]
    fn lists_keep_their_readable_parts_and_their_length() {
        let e: Entries = serde_json::from_value(json!({"entries": [
            {"name": "a", "verbs": ["get", 1, null, "list"]}, "not a mapping", {"name": 7, "verbs": "get"}]}))
        .expect("reads");
        let expected =
            [Entry { name: "a".into(), verbs: vec!["get".into(), "list".into()] }, Entry::default(), Entry::default()];
        assert_eq!(e.entries, expected);
        for odd in [json!({"entries": "x"}), json!({"entries": null}), json!({"entries": {"a": 1}})] {
            let e: Entries = serde_json::from_value(odd).expect("reads");
            assert!(e.entries.is_empty());
        }
    }
}
