//! `secret`: a Secret key is long enough and is not a known default, judged on the
//! `{bytes, sha256}` digest the inventory keeps instead of the value.
//!
//! No message ever carries a value or a digest of the actual value: only its length, and
//! whether it equals one of the forbidden digests the checklist itself lists.

use super::{Outcome, Scope};
use crate::api::SecretCheck;
use crate::inventory::kinds;
use crate::inventory::view::SecretView;
use crate::inventory::view::secret::SecretValue;

pub fn evaluate(spec: &SecretCheck, scope: &Scope<'_>) -> Outcome {
    if !scope.facts.secret_checks {
        return Outcome::skipped("secret checks are disabled (install with secret checks on)");
    }
    if let Some(refused) = super::spec::refused(super::spec::secret(spec)) {
        return refused;
    }
    let forbidden: Vec<&str> = spec.forbid_sha256.iter().map(|d| d.trim()).collect();
    let reference = format!("secret/{}", spec.name);
    let secret = match scope.inventory.view::<SecretView>(kinds::SECRET, Some(scope.namespace), &spec.name) {
        None => return Outcome::failed(format!("{reference} not found in namespace {}", scope.namespace)),
        // The reader's message could quote what it found, which might be a value: the field
        // path is all that is said.
        Some(Err(e)) => return Outcome::error(format!("{reference}: {}: unreadable", e.path)),
        Some(Ok(secret)) => secret,
    };
    let key = &spec.key;
    // Keys are matched exactly: Secret keys are case-sensitive.
    let (bytes, sha256) = match secret.data.get(key) {
        None => return Outcome::failed(format!("{reference} has no key {key}")),
        Some(SecretValue::Undecodable) => return Outcome::failed(format!("{reference} key {key} is not valid base64")),
        // Never echo what is there: it might be the value itself.
        Some(SecretValue::Unreduced) => {
            return Outcome::error(format!("{reference} key {key} was not reduced to a digest; refusing to read it"));
        }
        Some(SecretValue::Digest { bytes, sha256 }) => (*bytes, sha256),
    };
    let mut problems = Vec::new();
    if let Some(min) = spec.min_bytes
        && bytes < u64::from(min)
    {
        problems.push(format!("{reference} {key} is {bytes} bytes, needs >= {min}"));
    }
    if forbidden.iter().any(|f| f.eq_ignore_ascii_case(sha256)) {
        problems.push(format!("{reference} {key} equals a forbidden default"));
    }
    let mut ok = format!("{reference} {key} is {bytes} bytes");
    if let Some(min) = spec.min_bytes {
        ok.push_str(&format!(" (>= {min})"));
    }
    if !forbidden.is_empty() {
        ok.push_str(", not a forbidden default");
    }
    Outcome::from_problems(problems, ok)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::api::ItemState;
    use crate::checks::Facts;
    use crate::checks::fixtures::{World, merged, resource};
    use crate::inventory::Object;

    const WEAK: &str = "changeme-please!";
    const STRONG: &str = "d2f1c7a9e4b0f3a6c8e1d5b7a2f9c4e6";

    fn sha(value: &str) -> String {
        hex::encode(Sha256::digest(value.as_bytes()))
    }

    fn b64(value: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(value)
    }

    fn secret(data: Value) -> Object {
        resource("v1", "Secret", "auth", json!({"type": "Opaque", "data": data}))
    }

    fn spec(extra: Value) -> SecretCheck {
        serde_json::from_value(merged(json!({"name": "auth", "key": "AUTH_SECRET"}), extra))
            .expect("valid secret check")
    }

    fn run_with(check: SecretCheck, objects: Vec<Object>, facts: Facts) -> Outcome {
        evaluate(&check, &World::new(objects).facts(facts).scope())
    }

    fn run(check: SecretCheck, objects: Vec<Object>) -> Outcome {
        run_with(check, objects, Facts::offline())
    }

    fn assert_no_secret_material(outcome: &Outcome, value: &str) {
        assert!(!outcome.message.contains(value), "value leaked: {}", outcome.message);
        assert!(!outcome.message.contains(&sha(value)), "digest leaked: {}", outcome.message);
        assert!(!outcome.message.contains(&b64(value)), "base64 leaked: {}", outcome.message);
    }

    #[test]
    fn long_enough_value_that_is_no_default_passes() {
        let outcome = run(
            spec(json!({"minBytes": 32, "forbidSha256": [sha(WEAK)]})),
            vec![secret(json!({"AUTH_SECRET": b64(STRONG)}))],
        );
        assert_eq!(outcome, Outcome::passed("secret/auth AUTH_SECRET is 32 bytes (>= 32), not a forbidden default"));
        assert_no_secret_material(&outcome, STRONG);
    }

    #[test]
    fn short_value_fails_with_its_length_only() {
        let outcome = run(spec(json!({"minBytes": 32})), vec![secret(json!({"AUTH_SECRET": b64(WEAK)}))]);
        assert_eq!(outcome, Outcome::failed("secret/auth AUTH_SECRET is 16 bytes, needs >= 32"));
        assert_no_secret_material(&outcome, WEAK);
    }

    #[test]
    fn known_default_fails_whatever_the_digest_case() {
        let upper = sha(WEAK).to_uppercase();
        let outcome = run(
            spec(json!({"forbidSha256": [sha(STRONG), format!(" {upper} ")]})),
            vec![secret(json!({"AUTH_SECRET": b64(WEAK)}))],
        );
        assert_eq!(outcome, Outcome::failed("secret/auth AUTH_SECRET equals a forbidden default"));
        assert_no_secret_material(&outcome, WEAK);
    }

    #[test]
    fn both_problems_are_reported_together() {
        let outcome = run(
            spec(json!({"minBytes": 32, "forbidSha256": [sha(WEAK)]})),
            vec![secret(json!({"AUTH_SECRET": b64(WEAK)}))],
        );
        assert_eq!(
            outcome.message,
            "secret/auth AUTH_SECRET is 16 bytes, needs >= 32; secret/auth AUTH_SECRET equals a forbidden default"
        );
    }

    #[test]
    fn string_data_is_judged_like_data() {
        let object = Object::from_value(
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "auth", "namespace": "shop"},
                   "stringData": {"AUTH_SECRET": STRONG}}),
            None,
        )
        .expect("secret");
        assert_eq!(run(spec(json!({"minBytes": 32})), vec![object]).state, ItemState::Passed);
    }

    #[test]
    fn missing_secret_or_key_fails() {
        assert_eq!(run(spec(json!({})), vec![]), Outcome::failed("secret/auth not found in namespace shop"));
        let outcome = run(spec(json!({})), vec![secret(json!({"auth_secret": b64(STRONG)}))]);
        assert_eq!(outcome, Outcome::failed("secret/auth has no key AUTH_SECRET"));
        let empty = Object::from_value(
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "auth", "namespace": "shop"}}),
            None,
        )
        .expect("secret");
        assert_eq!(run(spec(json!({})), vec![empty]).state, ItemState::Failed);
    }

    #[test]
    fn secret_in_another_namespace_does_not_count() {
        let mut other = secret(json!({"AUTH_SECRET": b64(STRONG)}));
        other.namespace = Some("billing".to_owned());
        assert_eq!(run(spec(json!({})), vec![other]).state, ItemState::Failed);
    }

    #[test]
    fn undecodable_value_fails_without_echoing_it() {
        let outcome = run(spec(json!({"minBytes": 1})), vec![secret(json!({"AUTH_SECRET": "not base64 ***"}))]);
        assert_eq!(outcome, Outcome::failed("secret/auth key AUTH_SECRET is not valid base64"));
        assert!(!outcome.message.contains("***"));
    }

    #[test]
    fn disabled_secret_checks_skip() {
        let outcome = run_with(spec(json!({"minBytes": 32})), vec![], Facts::live());
        assert_eq!(outcome, Outcome::skipped("secret checks are disabled (install with secret checks on)"));
    }

    #[test]
    fn forbidden_list_entry_that_is_no_digest_is_a_spec_error_without_echo() {
        let outcome = run(spec(json!({"forbidSha256": [sha(WEAK), "hunter2"]})), vec![]);
        assert_eq!(outcome, Outcome::error("forbidSha256[1]: is not a SHA-256 digest (64 hex digits)"));
        assert!(!outcome.message.contains("hunter2"));
    }

    #[test]
    fn an_unredacted_value_is_refused_not_read() {
        let mut raw = secret(json!({}));
        raw.data["data"] = json!({"AUTH_SECRET": "plain-value"});
        let outcome = run(spec(json!({"minBytes": 1})), vec![raw]);
        assert_eq!(outcome.state, ItemState::Error);
        assert!(!outcome.message.contains("plain-value"));
    }

    #[test]
    fn empty_value_is_zero_bytes() {
        let outcome = run(spec(json!({"minBytes": 1})), vec![secret(json!({"AUTH_SECRET": ""}))]);
        assert_eq!(outcome, Outcome::failed("secret/auth AUTH_SECRET is 0 bytes, needs >= 1"));
    }
}
