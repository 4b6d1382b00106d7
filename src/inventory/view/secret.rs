//! The view of a Secret: its type and, per key, the `{bytes, sha256}` digest the inventory keeps
//! instead of the value (`Object::from_value` reduces `data` and `stringData` before an object
//! exists). This view never holds a value: an entry that is not a digest (a value that somehow
//! escaped the reduction) is read as [`SecretValue::Unreduced`] and dropped unread.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::de::{lenient, nullable};
use super::meta::Meta;

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct SecretView {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: Meta,
    /// `Opaque`, `kubernetes.io/tls`...: no check judges it, but a `resource` item over Secrets
    /// reads this view (there is no whole Secret), and the type is what such a rule asks.
    #[serde(rename = "type", default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub secret_type: Option<String>,
    /// Per key, its digest. Anything but a mapping reads as no keys.
    #[serde(default, deserialize_with = "data", skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, SecretValue>,
}

view_of!(SecretView: Secret);

/// One key of a Secret, as the inventory holds it.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretValue {
    /// The decoded value's length and SHA-256 (hex).
    Digest { bytes: u64, sha256: String },
    /// `data` held something that is not base64: only that fact is kept.
    Undecodable,
    /// Not a digest: never read, never shown (it might be the value itself).
    Unreduced,
}

/// Never prints a digest: the house rule keeps them out of logs as it keeps values out.
impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretValue::Digest { bytes, .. } => write!(f, "Digest {{ bytes: {bytes}, sha256: <hidden> }}"),
            SecretValue::Undecodable => f.write_str("Undecodable"),
            SecretValue::Unreduced => f.write_str("Unreduced"),
        }
    }
}

/// The field names of the reduced form (`inventory::object` writes them).
const BYTES: &str = "bytes";
const SHA256: &str = "sha256";
const UNDECODABLE: &str = "undecodable";
/// How [`SecretValue::Unreduced`] is written back: a marker, never what was there.
const UNREDUCED: &str = "unreduced";

impl Serialize for SecretValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SecretValue::Digest { bytes, sha256 } => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry(BYTES, bytes)?;
                map.serialize_entry(SHA256, sha256)?;
                map.end()
            }
            SecretValue::Undecodable => BTreeMap::from([(UNDECODABLE, true)]).serialize(serializer),
            SecretValue::Unreduced => BTreeMap::from([(UNREDUCED, true)]).serialize(serializer),
        }
    }
}

/// `{undecodable: true}` is undecodable (whatever else is there); `{bytes, sha256}` with a
/// count and a string is a digest; anything else is unreduced. Whatever is not one of those
/// three fields is consumed unbuilt (`IgnoredAny`), so an unreduced value is never copied.
impl<'de> Deserialize<'de> for SecretValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let reader =
            EntryReader { text: |_: &str| SecretValue::Unreduced, reduced: true, otherwise: SecretValue::Unreduced };
        deserializer.deserialize_any(reader)
    }
}

/// Reads one entry of a Secret's `data`: a string goes to `text`; a mapping, when `reduced`,
/// is read as the reduced form (see [`SecretValue`]'s reader); anything else is consumed unbuilt
/// and is `otherwise`.
struct EntryReader<F> {
    text: F,
    reduced: bool,
    otherwise: SecretValue,
}

impl<'de, F: FnOnce(&str) -> SecretValue> Visitor<'de> for EntryReader<F> {
    type Value = SecretValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Secret value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<SecretValue, E> {
        Ok((self.text)(text))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretValue, A::Error> {
        if !self.reduced {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(self.otherwise);
        }
        let (mut bytes, mut sha256, mut undecodable) = (None, None, false);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                BYTES => bytes = map.next_value::<Value>()?.as_u64(),
                SHA256 => {
                    sha256 = match map.next_value::<Value>()? {
                        Value::String(digest) => Some(digest),
                        _ => None,
                    }
                }
                UNDECODABLE => undecodable |= map.next_value::<Value>()? == Value::Bool(true),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(match (undecodable, bytes, sha256) {
            (true, _, _) => SecretValue::Undecodable,
            (false, Some(bytes), Some(sha256)) => SecretValue::Digest { bytes, sha256 },
            _ => SecretValue::Unreduced,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SecretValue, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.otherwise)
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<SecretValue, E> {
        Ok(self.otherwise)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<SecretValue, E> {
        Ok(self.otherwise)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<SecretValue, E> {
        Ok(self.otherwise)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<SecretValue, E> {
        Ok(self.otherwise)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<SecretValue, E> {
        Ok(self.otherwise)
    }

    fn visit_unit<E: de::Error>(self) -> Result<SecretValue, E> {
        Ok(self.otherwise)
    }

    fn visit_none<E: de::Error>(self) -> Result<SecretValue, E> {
        Ok(self.otherwise)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<SecretValue, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// `data`: a mapping of keys to entries; anything else (null, a list) reads as no keys.
fn data<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, SecretValue>, D::Error> {
    deserializer.deserialize_any(Entries::<SecretValue>(PhantomData))
}

/// A mapping of keys to `T`s, each made a [`SecretValue`]; anything but a mapping is consumed
/// and reads as no keys (as `Object::from_value` drops a `data` that is no mapping).
struct Entries<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + Into<SecretValue>> Visitor<'de> for Entries<T> {
    type Value = BTreeMap<String, SecretValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut data = BTreeMap::new();
        while let Some((key, value)) = map.next_entry::<String, T>()? {
            data.insert(key, value.into());
        }
        Ok(data)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(BTreeMap::new())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }
}

/// A Secret as written (a manifest, or the API server's answer) read straight into its view:
/// each `data` value is base64-decoded, measured and hashed, and each `stringData` value
/// measured and hashed, as the reader reaches it, so no value outlives reading its own key and
/// no tree of the Secret is ever built. `stringData` wins over `data` for the same key, as the
/// API server merges them; a value that is no string (or no base64) keeps only the undecodable
/// marker. It reads the same view `Object::from_value`'s reduction followed by
/// [`SecretView`]'s reader gives (tested), so the reduction can be this one reader.
#[derive(Clone, Debug, PartialEq)]
pub struct RawSecret(pub SecretView);

impl<'de> Deserialize<'de> for RawSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default, deserialize_with = "nullable")]
            metadata: Meta,
            #[serde(rename = "type", default, deserialize_with = "lenient")]
            secret_type: Option<String>,
            #[serde(default, deserialize_with = "raw_data")]
            data: BTreeMap<String, SecretValue>,
            #[serde(rename = "stringData", default, deserialize_with = "raw_string_data")]
            string_data: BTreeMap<String, SecretValue>,
        }
        let Raw { metadata, secret_type, mut data, string_data } = Raw::deserialize(deserializer)?;
        data.extend(string_data);
        Ok(RawSecret(SecretView { metadata, secret_type, data }))
    }
}

fn raw_data<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, SecretValue>, D::Error> {
    deserializer.deserialize_any(Entries::<Base64Value>(PhantomData))
}

fn raw_string_data<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, SecretValue>, D::Error> {
    deserializer.deserialize_any(Entries::<PlainValue>(PhantomData))
}

/// The digest of a value: its length and SHA-256.
fn digest(bytes: &[u8]) -> SecretValue {
    SecretValue::Digest { bytes: bytes.len() as u64, sha256: hex::encode(Sha256::digest(bytes)) }
}

/// A value as written, reduced to its digest as it is read: base64 text (`data`) is decoded
/// first, plain text (`stringData`) is not.
struct WrittenValue<const BASE64: bool>(SecretValue);

type Base64Value = WrittenValue<true>;
type PlainValue = WrittenValue<false>;

impl<const BASE64: bool> From<WrittenValue<BASE64>> for SecretValue {
    fn from(value: WrittenValue<BASE64>) -> SecretValue {
        value.0
    }
}

impl<'de, const BASE64: bool> Deserialize<'de> for WrittenValue<BASE64> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let reduce = |text: &str| {
            if !BASE64 {
                return digest(text.as_bytes());
            }
            match base64::engine::general_purpose::STANDARD.decode(text.trim()) {
                Ok(decoded) => digest(&decoded),
                Err(_) => SecretValue::Undecodable,
            }
        };
        let reader = EntryReader { text: reduce, reduced: false, otherwise: SecretValue::Undecodable };
        deserializer.deserialize_any(reader).map(WrittenValue)
    }
}

#[cfg(test)]
mod tests {
    use crate::inventory::view::View as _;
    use serde_json::json;

    use super::*;
    use crate::inventory::Object;
    use crate::inventory::view::from_text;
    use crate::inventory::view::meta::round_trip::assert_round_trips;

    /// Reads the view, whatever the fields hold, and checks it round-trips and reads the same
    /// from text (this view's entries have a reader of their own).
    fn read(value: &Value) -> SecretView {
        let view = assert_round_trips(value);
        assert_eq!(from_text::<SecretView>(&value.to_string(), || "secret/auth".into()).expect("reads"), view);
        view
    }

    /// A Secret as the inventory holds it: `data` and `stringData` reduced to digests.
    fn reduced(rest: Value) -> Object {
        let mut secret =
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "auth", "labels": {"app": "api"}}});
        secret.as_object_mut().expect("mapping").extend(rest.as_object().expect("mapping").clone());
        Object::from_value(secret, Some("shop")).expect("a valid Secret")
    }

    #[test]
    fn reads_the_type_and_each_key_as_its_digest() {
        let object = reduced(json!({"type": "Opaque", "data": {"TOKEN": "c2VjcmV0", "BAD": "***"},
                                    "stringData": {"PLAIN": "hunter2"}}));
        let view = read(&object.data);
        assert_eq!(view.secret_type.as_deref(), Some("Opaque"));
        assert_eq!(view.labels().get("app").map(String::as_str), Some("api"));
        assert_eq!(
            view.data["PLAIN"],
            SecretValue::Digest {
                bytes: 7,
                sha256: "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7".to_owned()
            }
        );
        assert!(matches!(view.data["TOKEN"], SecretValue::Digest { bytes: 6, .. }));
        assert_eq!(view.data["BAD"], SecretValue::Undecodable);
        let shown = format!("{view:?}");
        assert!(!shown.contains("f52fbd32") && !shown.contains("hunter2"), "{shown}");
    }

    /// What is not a digest is never read: strings (a value that escaped the reduction), lists,
    /// partial digests, all are `Unreduced`, and the view keeps nothing of them.
    #[test]
    fn anything_but_a_digest_is_unreduced_and_not_kept() {
        let view = read(&json!({"type": 3, "data": {
            "RAW": "plain-value",
            "LIST": ["plain-value"],
            "HALF": {"bytes": 5},
            "WRONG": {"bytes": "5", "sha256": "plain-value"},
            "NULL": null,
            "MARKED": {"undecodable": true, "sha256": "plain-value"},
            "NOT_MARKED": {"undecodable": "yes"}
        }}));
        assert_eq!(view.secret_type, None);
        let entries: Vec<(&str, &SecretValue)> = view.data.iter().map(|(k, v)| (k.as_str(), v)).collect();
        use SecretValue::{Undecodable, Unreduced};
        assert_eq!(
            entries,
            [
                ("HALF", &Unreduced),
                ("LIST", &Unreduced),
                ("MARKED", &Undecodable),
                ("NOT_MARKED", &Unreduced),
                ("NULL", &Unreduced),
                ("RAW", &Unreduced),
                ("WRONG", &Unreduced)
            ]
        );
        let written = serde_json::to_string(&view).expect("serializes");
        assert!(!written.contains("plain-value"), "{written}");
        for odd in [json!({"data": "plain-value"}), json!({"data": ["plain-value"]}), json!({"data": null})] {
            assert!(read(&odd).data.is_empty(), "{odd}");
        }
    }

    /// Reading a Secret as written gives the view the inventory's reduction gives, so the
    /// reduction can be the view's own reader.
    fn reads_as_reduced(raw: Value) {
        let direct = RawSecret::deserialize(&raw).expect("a raw Secret reads").0;
        let from_text: RawSecret = serde_json::from_str(&raw.to_string()).expect("reads from text");
        let object = Object::from_value(raw, Some("shop")).expect("a valid Secret");
        assert_eq!(direct, read(&object.data));
        assert_eq!(from_text.0, direct);
    }

    #[test]
    fn a_secret_as_written_reads_straight_into_digests() {
        let raw = json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": "auth", "labels": {"app": "api"}},
            "data": {"TOKEN": "c2VjcmV0", "BAD": "***", "PADDED": " c2VjcmV0\n", "NUMBER": 7, "NULL": null,
                     "SAME": "b2xk"},
            "stringData": {"PLAIN": "hunter2", "SAME": "new", "ODD": ["hunter2"]}});
        let view = RawSecret::deserialize(&raw).expect("reads").0;
        assert_eq!(
            view.data["PLAIN"],
            SecretValue::Digest {
                bytes: 7,
                sha256: "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7".to_owned()
            }
        );
        assert_eq!(view.data["SAME"], digest(b"new"), "stringData wins");
        assert_eq!(view.data["PADDED"], digest(b"secret"));
        for undecodable in ["BAD", "NUMBER", "NULL", "ODD"] {
            assert_eq!(view.data[undecodable], SecretValue::Undecodable, "{undecodable}");
        }
        let written = serde_json::to_string(&view).expect("serializes");
        assert!(!written.contains("hunter2") && !written.contains("c2VjcmV0"), "{written}");
        reads_as_reduced(raw);
        for odd in [json!({"data": "c2VjcmV0"}), json!({"data": null, "stringData": ["x"]}), json!({})] {
            let mut raw = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "auth"}});
            raw.as_object_mut().expect("mapping").extend(odd.as_object().expect("mapping").clone());
            assert!(RawSecret::deserialize(&raw).expect("reads").0.data.is_empty(), "{odd}");
            reads_as_reduced(raw);
        }
    }

    #[test]
    fn every_secret_of_the_corpus_reads_raw_as_reduced() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/manifests");
        if !corpus.exists() {
            println!("NOTICE: corpus {} is absent; skipping this corpus test", corpus.display());
            return;
        }
        let mut secrets = 0;
        for file in [
            "kubernetes-api-testdata/core.v1.Secret.yaml",
            "kube-prometheus/alertmanager-secret.yaml",
            "kube-prometheus/grafana-config.yaml",
            "argo-cd/install.yaml",
        ] {
            let text = std::fs::read_to_string(corpus.join(file)).expect("a corpus file");
            for raw in crate::inventory::manifests::yaml_values(&text, file).expect("YAML") {
                if raw.get("kind").and_then(Value::as_str) == Some("Secret") {
                    reads_as_reduced(raw);
                    secrets += 1;
                }
            }
        }
        assert!(secrets >= 5, "the corpus has Secrets: {secrets}");
    }

    #[test]
    fn every_secret_of_the_corpus_round_trips() {
        let Some(objects) = crate::checks::corpus::objects("", "default") else { return };
        let secrets: Vec<SecretView> = objects.iter().filter(|o| o.kind == "Secret").map(|o| read(&o.data)).collect();
        assert!(secrets.len() > 5, "the corpus has Secrets: {}", secrets.len());
        assert!(secrets.iter().any(|s| !s.data.is_empty()), "with data");
        assert!(secrets.iter().all(|s| s.data.values().all(|v| *v != SecretValue::Unreduced)));
    }
}
