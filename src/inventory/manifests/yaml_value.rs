//! Builds `serde_json::Value`s straight from YAML, reading it the way Kubernetes tooling does.
//!
//! `serde_json::Value::deserialize` would do for plain YAML, but rejects tagged values and keeps
//! merge keys (`<<: *defaults`) as ordinary keys. go-yaml, which kubectl and Helm use, applies
//! merge keys, and a tag says nothing the JSON shape of an object can keep, so the value under a
//! tag is kept and the tag dropped. Keys are read as strings, as YAML-to-JSON conversion does.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde_json::{Map, Number, Value};

const MERGE_KEY: &str = "<<";

/// Deserializes any YAML node into a JSON value.
pub(super) struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    /// JSON, and so a Kubernetes object, holds no NaN or infinity: kubectl refuses `.inf` and
    /// `.nan`, and reading them as null would turn `replicas: {atLeast: .inf}` into "unset",
    /// i.e. no requirement at all. serde_yaml prefixes the message with the field's path.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| {
            let spelled = if v.is_nan() {
                ".nan"
            } else if v > 0.0 {
                ".inf"
            } else {
                "-.inf"
            };
            E::custom(format_args!(
                "{spelled} is not a finite number; JSON, and so a Kubernetes object, has no infinity or NaN"
            ))
        })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        ValueSeed.deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        ValueSeed.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(value) = seq.next_element_seed(ValueSeed)? {
            values.push(value);
        }
        Ok(Value::Array(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        let mut merged = Vec::new();
        while let Some(key) = access.next_key_seed(KeySeed)? {
            let value = access.next_value_seed(ValueSeed)?;
            if key == MERGE_KEY && is_merge_source(&value) {
                merged.push(value);
            } else if map.contains_key(&key) {
                // go-yaml (kubectl, Helm) refuses duplicate keys; keeping the last one would
                // judge an object other than the one written (two documents missing a `---`).
                return Err(de::Error::custom(format_args!("duplicate key {key:?} in a mapping")));
            } else {
                map.insert(key, value);
            }
        }
        for source in merged {
            merge_into(&mut map, source);
        }
        Ok(Value::Object(map))
    }

    /// A tagged node (`!Ref name`): the tag is dropped, the node kept.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (_tag, variant): (de::IgnoredAny, _) = data.variant()?;
        variant.newtype_variant_seed(ValueSeed)
    }
}

fn is_merge_source(value: &Value) -> bool {
    match value {
        Value::Object(_) => true,
        Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_object),
        _ => false,
    }
}

/// YAML merge semantics: keys written in the mapping itself win over merged ones, and of a
/// sequence of merged mappings the earlier ones win.
fn merge_into(map: &mut Map<String, Value>, source: Value) {
    match source {
        Value::Object(source) => {
            for (key, value) in source {
                map.entry(key).or_insert(value);
            }
        }
        Value::Array(sources) => {
            for source in sources {
                merge_into(map, source);
            }
        }
        _ => {}
    }
}

/// Mapping keys, as strings: `80: http` keys a ConfigMap's data by `"80"`, as YAML-to-JSON
/// conversion does. Mappings or sequences as keys have no JSON form and are rejected.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar mapping key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok("null".to_owned())
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<String, A::Error> {
        let (_tag, variant): (de::IgnoredAny, _) = data.variant()?;
        variant.newtype_variant_seed(KeySeed)
    }
}
