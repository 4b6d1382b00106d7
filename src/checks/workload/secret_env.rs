//! The `forbidLiteralSecretEnv` rule: credentials come from `valueFrom`, never a literal `value`.

use crate::checks::podspec::Container;

/// Words that mark a variable as a credential.
const MARKERS: [&str; 6] = ["SECRET", "PASSWORD", "PASSWD", "TOKEN", "KEY", "CREDENTIAL"];

/// Whether an env var name looks like a credential. The name is split into words on anything
/// but letters and digits (`DB_PASSWORD`, `api-key`, `dbPassword` as one word); a word counts
/// when it is a marker or ends with one, plural allowed (`KEY`, `APIKEY`, `SECRETS`,
/// `CREDENTIALS`). A marker at the start of a longer word does not count, so `KEYCLOAK_URL`,
/// `TOKENIZER_MODEL` and `SECRETARY` stay plain configuration.
pub(super) fn looks_secret(name: &str) -> bool {
    name.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| {
        let word = word.to_ascii_uppercase();
        let singular = word.strip_suffix('S').unwrap_or(&word);
        MARKERS.iter().any(|m| word.ends_with(m) || singular.ends_with(m))
    })
}

/// Every container (init containers included) sets credential-like variables through
/// `valueFrom`. Only the container and variable names are reported, never the value. An empty
/// literal carries no secret and is let through.
pub(super) fn check(containers: &[Container<'_>]) -> Vec<String> {
    containers
        .iter()
        .filter_map(|c| {
            let literal: Vec<&str> = c
                .spec
                .env
                .iter()
                .filter(|var| var.literal)
                .filter_map(|var| var.name.as_deref())
                .filter(|name| looks_secret(name))
                .collect();
            (!literal.is_empty()).then(|| {
                format!("{} sets {} as a literal value (use valueFrom.secretKeyRef)", c.describe(), literal.join(", "))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fixtures::{good_container, view, workload};
    use super::*;
    use crate::checks::podspec;

    #[test]
    fn recognises_credential_names_by_word() {
        for name in [
            "DB_PASSWORD",
            "PASSWD",
            "API_KEY",
            "SECRET_KEY",
            "APIKEY",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "CLIENT_SECRETS",
            "dbPassword",
            "stripe-api-key",
            "jwt.secret",
        ] {
            assert!(looks_secret(name), "{name} should look secret");
        }
    }

    #[test]
    fn leaves_names_that_merely_start_with_a_marker() {
        for name in ["KEYCLOAK_URL", "TOKENIZER_MODEL", "SECRETARY_EMAIL", "PASSWORDLESS_LOGIN", "LOG_LEVEL", "PORT"] {
            assert!(!looks_secret(name), "{name} should not look secret");
        }
    }

    fn with_env(env: serde_json::Value) -> Vec<String> {
        let mut container = good_container("api");
        container["env"] = env;
        let api = workload("Deployment", "api", vec![container]);
        check(&podspec::containers(&view(&api)))
    }

    #[test]
    fn fails_on_literal_credentials_without_printing_them() {
        let found = with_env(json!([
            {"name": "DB_PASSWORD", "value": "hunter2"},
            {"name": "API_KEY", "value": "sk_live_abc"},
            {"name": "LOG_LEVEL", "value": "debug"}
        ]));
        assert_eq!(found, ["container api sets DB_PASSWORD, API_KEY as a literal value (use valueFrom.secretKeyRef)"]);
        assert!(!found[0].contains("hunter2") && !found[0].contains("sk_live"));
    }

    #[test]
    fn value_from_and_empty_literals_pass() {
        let found = with_env(json!([
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
            {"name": "CACHE_TOKEN", "value": ""},
            {"name": "SESSION_KEY"}
        ]));
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn init_containers_are_judged_too() {
        let mut api = workload("Deployment", "api", vec![good_container("api")]);
        api.data["spec"]["template"]["spec"]["initContainers"] =
            json!([{"name": "migrate", "image": "flyway:10", "env": [{"name": "FLYWAY_PASSWORD", "value": "x"}]}]);
        assert_eq!(check(&podspec::containers(&view(&api))).len(), 1);
    }
}
