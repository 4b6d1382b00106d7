//! `http`: judges what a live `GET url` observed (the probe runs in the IO shell and leaves its
//! observation in `Facts`): status, required headers, TLS version and time taken.
//!
//! Header rules use regex *search* semantics (`max-age=\d+` matches anywhere in the value, as
//! `grep` would); anchor with `^...$` for a full match. Header names match case-insensitively,
//! as HTTP defines; values case-sensitively unless the pattern says `(?i)`.

use std::time::Duration as StdDuration;

use std::sync::Arc;

use regex::Regex;

use super::patterns::{self, Match};
use super::{HttpObservation, Mode, Outcome, Scope};
use crate::api::{HttpCheck, TlsVersion};

const DEFAULT_STATUS: u16 = 200;
const DEFAULT_TIMEOUT: StdDuration = StdDuration::from_secs(10);
const MAX_ECHOED_VALUE: usize = 80;

pub fn evaluate(spec: &HttpCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::http(spec)) {
        return refused;
    }
    let rules = match header_rules(spec) {
        Ok(rules) => rules,
        Err(e) => return Outcome::error(e),
    };
    let target = format!("GET {}", without_credentials(&spec.url));
    let observation = match scope.facts.http.get(&spec.url) {
        None if scope.facts.mode == Mode::Offline => return Outcome::skipped(format!("{target}: live only")),
        None => return Outcome::error(format!("{target}: not probed yet")),
        Some(Err(e)) => return Outcome::error(format!("{target}: {e}")),
        Some(Ok(observation)) => observation,
    };
    let mut problems = Vec::new();
    let expected: &[u16] = if spec.expect_status.is_empty() { &[DEFAULT_STATUS] } else { &spec.expect_status };
    if !expected.contains(&observation.status) {
        let list: Vec<String> = expected.iter().map(u16::to_string).collect();
        let wanted = if list.len() == 1 { list[0].clone() } else { format!("one of {}", list.join(", ")) };
        problems.push(format!("status {}, expected {wanted}", observation.status));
    }
    for (name, pattern) in &rules {
        if let Some(problem) = header_problem(observation, name, pattern) {
            problems.push(problem);
        }
    }
    if let Some(min) = spec.min_tls_version {
        match observation.tls_version {
            None => problems.push(format!("served over plain HTTP, needs TLS >= {}", tls_text(min))),
            Some(actual) if actual < min => {
                problems.push(format!("TLS {}, needs >= {}", tls_text(actual), tls_text(min)))
            }
            Some(_) => {}
        }
    }
    let timeout = spec.timeout.as_ref().map_or(DEFAULT_TIMEOUT, |t| t.as_std());
    if observation.elapsed > timeout {
        let limit = spec.timeout.as_ref().map_or_else(|| "10s".to_owned(), ToString::to_string);
        problems.push(format!("took {}, timeout {limit}", elapsed_text(observation.elapsed)));
    }
    if !problems.is_empty() {
        return Outcome::failed(format!("{target}: {}", problems.join("; ")));
    }
    let tls = observation.tls_version.map_or_else(|| "plain HTTP".to_owned(), |v| format!("TLS {}", tls_text(v)));
    Outcome::passed(format!("{target}: {}, {tls}, {}", observation.status, elapsed_text(observation.elapsed)))
}

/// The URL as messages show it: a password or token in its userinfo (`https://user:pw@host`)
/// is replaced by `***`.
pub(super) fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

fn header_rules(spec: &HttpCheck) -> Result<Vec<(String, Arc<Regex>)>, String> {
    spec.require_headers
        .iter()
        .map(|(name, pattern)| {
            patterns::compiled(pattern, Match::Search)
                .map(|re| (name.to_ascii_lowercase(), re))
                .map_err(|e| format!("requireHeaders[{name}]: invalid regex: {e}"))
        })
        .collect()
}

fn header_problem(observation: &HttpObservation, name: &str, pattern: &Regex) -> Option<String> {
    let Some(value) = observation.headers.get(name) else {
        return Some(format!("no {name} header"));
    };
    if pattern.is_match(value) {
        return None;
    }
    // Credentials travel in some headers; never echo those.
    let sensitive = ["cookie", "auth", "token", "secret", "key"].iter().any(|s| name.contains(s));
    if sensitive || value.len() > MAX_ECHOED_VALUE {
        return Some(format!("{name} header does not match /{}/", pattern.as_str()));
    }
    Some(format!("{name} header {value:?} does not match /{}/", pattern.as_str()))
}

fn tls_text(version: TlsVersion) -> &'static str {
    match version {
        TlsVersion::Tls12 => "1.2",
        TlsVersion::Tls13 => "1.3",
    }
}

fn elapsed_text(elapsed: StdDuration) -> String {
    if elapsed < StdDuration::from_secs(10) {
        format!("{} ms", elapsed.as_millis())
    } else {
        format!("{:.1} s", elapsed.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::api::ItemState;
    use crate::checks::Facts;
    use crate::checks::fixtures::{World, assert_ends_with, assert_starts_with, merged};

    const URL: &str = "https://api.novacron.io/healthz";

    fn observed(status: u16, tls: Option<TlsVersion>, headers: &[(&str, &str)], millis: u64) -> HttpObservation {
        HttpObservation {
            status,
            headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>(),
            tls_version: tls,
            elapsed: StdDuration::from_millis(millis),
        }
    }

    fn spec(extra: serde_json::Value) -> HttpCheck {
        serde_json::from_value(merged(json!({"url": URL}), extra)).expect("valid http check")
    }

    fn judge(check: HttpCheck, result: Option<Result<HttpObservation, String>>, mode: Mode) -> Outcome {
        let mut facts = if mode == Mode::Live { Facts::live() } else { Facts::offline() };
        if let Some(result) = result {
            facts.http.insert(check.url.clone(), result);
        }
        evaluate(&check, &World::new([]).facts(facts).scope())
    }

    fn live(check: HttpCheck, observation: HttpObservation) -> Outcome {
        judge(check, Some(Ok(observation)), Mode::Live)
    }

    #[test]
    fn healthy_endpoint_passes_with_status_tls_and_latency() {
        let outcome = live(spec(json!({"minTlsVersion": "1.2"})), observed(200, Some(TlsVersion::Tls13), &[], 120));
        assert_eq!(outcome, Outcome::passed("GET https://api.novacron.io/healthz: 200, TLS 1.3, 120 ms"));
    }

    #[test]
    fn unexpected_status_fails() {
        let outcome = live(spec(json!({})), observed(503, Some(TlsVersion::Tls13), &[], 5));
        assert_eq!(outcome, Outcome::failed("GET https://api.novacron.io/healthz: status 503, expected 200"));
        let outcome = live(spec(json!({"expectStatus": [200, 204]})), observed(301, None, &[], 5));
        assert_ends_with(&outcome.message, "status 301, expected one of 200, 204");
        assert_eq!(live(spec(json!({"expectStatus": [204]})), observed(204, None, &[], 5)).state, ItemState::Passed);
    }

    #[test]
    fn required_headers_match_names_case_insensitively_and_values_by_search() {
        let check = spec(json!({"requireHeaders": {"Strict-Transport-Security": "max-age=\\d{8,}"}}));
        let hsts = [("strict-transport-security", "max-age=63072000; includeSubDomains; preload")];
        assert_eq!(live(check.clone(), observed(200, Some(TlsVersion::Tls13), &hsts, 5)).state, ItemState::Passed);

        let short = [("strict-transport-security", "max-age=300")];
        let outcome = live(check.clone(), observed(200, Some(TlsVersion::Tls13), &short, 5));
        assert_eq!(
            outcome.message,
            "GET https://api.novacron.io/healthz: strict-transport-security header \"max-age=300\" does not match /max-age=\\d{8,}/"
        );
        let outcome = live(check, observed(200, Some(TlsVersion::Tls13), &[], 5));
        assert_ends_with(&outcome.message, "no strict-transport-security header");
    }

    #[test]
    fn anchored_patterns_require_a_full_match() {
        let check = spec(json!({"requireHeaders": {"X-Frame-Options": "^DENY$"}}));
        let almost = [("x-frame-options", "DENY, SAMEORIGIN")];
        assert_eq!(live(check, observed(200, None, &almost, 5)).state, ItemState::Failed);
    }

    #[test]
    fn credentials_in_the_url_are_never_echoed() {
        let check = HttpCheck { url: "https://probe:hunter2@api.novacron.io/healthz".to_owned(), ..spec(json!({})) };
        let outcome = live(check, observed(503, None, &[], 5));
        assert_eq!(outcome.message, "GET https://***@api.novacron.io/healthz: status 503, expected 200");
        assert_eq!(without_credentials("http://prometheus:9090/a@b"), "http://prometheus:9090/a@b");
        assert_eq!(without_credentials("not a url"), "not a url");
    }

    #[test]
    fn credential_headers_are_never_echoed() {
        let check = spec(json!({"requireHeaders": {"Set-Cookie": "Secure"}}));
        let cookie = [("set-cookie", "session=abc123; HttpOnly")];
        let outcome = live(check, observed(200, Some(TlsVersion::Tls13), &cookie, 5));
        assert_eq!(outcome.state, ItemState::Failed);
        assert!(!outcome.message.contains("abc123"), "{}", outcome.message);
    }

    #[test]
    fn bad_header_regex_is_a_spec_error_even_offline() {
        let check = spec(json!({"requireHeaders": {"X-Id": "(unclosed"}}));
        let outcome = judge(check, None, Mode::Offline);
        assert_eq!(outcome.state, ItemState::Error);
        assert_starts_with(&outcome.message, "requireHeaders[X-Id]: invalid regular expression");
    }

    #[test]
    fn tls_below_minimum_or_plain_http_fails() {
        let check = spec(json!({"minTlsVersion": "1.3"}));
        let outcome = live(check.clone(), observed(200, Some(TlsVersion::Tls12), &[], 5));
        assert_ends_with(&outcome.message, "TLS 1.2, needs >= 1.3");
        let outcome = live(check, observed(200, None, &[], 5));
        assert_ends_with(&outcome.message, "served over plain HTTP, needs TLS >= 1.3");
    }

    #[test]
    fn plain_http_without_a_tls_rule_passes_and_says_so() {
        let outcome = live(spec(json!({})), observed(200, None, &[], 5));
        assert_eq!(outcome.message, "GET https://api.novacron.io/healthz: 200, plain HTTP, 5 ms");
    }

    #[test]
    fn slower_than_the_timeout_fails() {
        let outcome = live(spec(json!({"timeout": "2s"})), observed(200, Some(TlsVersion::Tls13), &[], 2500));
        assert_ends_with(&outcome.message, "took 2500 ms, timeout 2s");
        let outcome = live(spec(json!({})), observed(200, Some(TlsVersion::Tls13), &[], 12_300));
        assert_ends_with(&outcome.message, "took 12.3 s, timeout 10s");
    }

    #[test]
    fn unprobed_url_is_skipped_offline_and_an_error_live() {
        assert_eq!(
            judge(spec(json!({})), None, Mode::Offline),
            Outcome::skipped("GET https://api.novacron.io/healthz: live only")
        );
        assert_eq!(
            judge(spec(json!({})), None, Mode::Live),
            Outcome::error("GET https://api.novacron.io/healthz: not probed yet")
        );
    }

    #[test]
    fn probe_failure_is_an_error_with_its_reason() {
        let outcome = judge(spec(json!({})), Some(Err("connection refused".to_owned())), Mode::Live);
        assert_eq!(outcome, Outcome::error("GET https://api.novacron.io/healthz: connection refused"));
    }

    #[test]
    fn all_problems_are_listed_together() {
        let check = spec(json!({"minTlsVersion": "1.3", "requireHeaders": {"X-Frame-Options": "DENY"}}));
        let outcome = live(check, observed(500, Some(TlsVersion::Tls12), &[], 5));
        assert_eq!(
            outcome.message,
            "GET https://api.novacron.io/healthz: status 500, expected 200; no x-frame-options header; TLS 1.2, needs >= 1.3"
        );
    }
}
