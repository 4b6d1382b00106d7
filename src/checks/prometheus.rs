//! `prometheus`: judges what a live instant query returned (the probe runs in the IO shell):
//! every series must meet every expectation that is set.
//!
//! `equals` is exact float equality, as PromQL's `==`; use `lessThan`/`greaterThan` for ranges.
//! NaN (e.g. `0/0` in a ratio) satisfies nothing. `+Inf`/`-Inf` compare as infinities.

use super::{Mode, Outcome, Scope};
use crate::api::{EmptyIs, Expectation, PrometheusCheck};

/// Offending series listed in a message before "and N more".
const MAX_LISTED: usize = 5;
/// Queries are echoed in messages up to this many characters.
const MAX_ECHOED_QUERY: usize = 80;

pub fn evaluate(spec: &PrometheusCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::prometheus(spec)) {
        return refused;
    }
    let target = format!("query {:?} at {}", clip(&spec.query), super::http::without_credentials(&spec.url));
    let key = (spec.url.clone(), spec.query.clone());
    let observation = match scope.facts.prometheus.get(&key) {
        None if scope.facts.mode == Mode::Offline => return Outcome::skipped(format!("{target}: live only")),
        None => return Outcome::error(format!("{target}: not queried yet")),
        Some(Err(e)) => return Outcome::error(format!("{target}: {e}")),
        Some(Ok(observation)) => observation,
    };
    if observation.values.is_empty() {
        return match spec.empty_is {
            EmptyIs::Pass => Outcome::passed(format!("{target} returned no data (emptyIs: Pass)")),
            EmptyIs::Fail => Outcome::failed(format!("{target}: query returned no data")),
        };
    }
    let wanted = describe(&spec.expect);
    let offending: Vec<String> = observation
        .values
        .iter()
        .filter(|(_, value)| !satisfies(&spec.expect, *value))
        .map(|(labels, value)| format!("{} = {value}", series(labels)))
        .collect();
    if offending.is_empty() {
        let values: Vec<f64> = observation.values.iter().map(|(_, v)| *v).collect();
        return Outcome::passed(match values.as_slice() {
            [only] => format!("{target} = {only} ({wanted})"),
            _ => format!("{target}: all {} series {wanted}", values.len()),
        });
    }
    let listed = super::listing::list(&offending, MAX_LISTED);
    Outcome::failed(format!("{target}: {listed}, expected {wanted}"))
}

fn satisfies(expect: &Expectation, value: f64) -> bool {
    // Every comparison with NaN is false, so NaN fails whichever bound is set.
    expect.less_than.is_none_or(|limit| value < limit)
        && expect.greater_than.is_none_or(|limit| value > limit)
        && expect.equals.is_none_or(|wanted| value == wanted)
}

fn describe(expect: &Expectation) -> String {
    let mut parts = Vec::new();
    if let Some(v) = expect.less_than {
        parts.push(format!("< {v}"));
    }
    if let Some(v) = expect.greater_than {
        parts.push(format!("> {v}"));
    }
    if let Some(v) = expect.equals {
        parts.push(format!("== {v}"));
    }
    parts.join(" and ")
}

/// The query as messages show it: one line, cut at [`MAX_ECHOED_QUERY`] characters.
fn clip(query: &str) -> String {
    super::listing::one_line(query, MAX_ECHOED_QUERY)
}

/// The series as Prometheus prints it; a scalar or a series without labels shows as `{}`.
fn series(labels: &str) -> &str {
    if labels.is_empty() { "{}" } else { labels }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::ItemState;
    use crate::checks::fixtures::{World, assert_contains, assert_ends_with, assert_starts_with, merged};
    use crate::checks::{Facts, PrometheusObservation};

    const URL: &str = "http://prometheus.monitoring:9090";
    const QUERY: &str =
        "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / sum by (job) (rate(http_requests_total[5m]))";

    fn spec(expect: serde_json::Value, extra: serde_json::Value) -> PrometheusCheck {
        let value = merged(json!({"url": URL, "query": QUERY, "expect": expect}), extra);
        serde_json::from_value(value).expect("valid prometheus check")
    }

    fn judge(check: &PrometheusCheck, result: Option<Result<Vec<(&str, f64)>, &str>>, mode: Mode) -> Outcome {
        let mut facts = if mode == Mode::Live { Facts::live() } else { Facts::offline() };
        if let Some(result) = result {
            let observation = result
                .map(|values| PrometheusObservation {
                    values: values.into_iter().map(|(l, v)| (l.to_owned(), v)).collect(),
                })
                .map_err(str::to_owned);
            facts.prometheus.insert((check.url.clone(), check.query.clone()), observation);
        }
        evaluate(check, &World::new([]).facts(facts).scope())
    }

    fn live(check: &PrometheusCheck, values: Vec<(&str, f64)>) -> Outcome {
        judge(check, Some(Ok(values)), Mode::Live)
    }

    #[test]
    fn every_series_below_the_limit_passes() {
        let check = spec(json!({"lessThan": 0.05}), json!({}));
        let outcome = live(&check, vec![("{job=\"api\"}", 0.01), ("{job=\"web\"}", 0.002)]);
        assert_eq!(outcome.state, ItemState::Passed);
        assert_ends_with(&outcome.message, "all 2 series < 0.05");
    }

    #[test]
    fn a_single_value_is_shown() {
        let check = spec(json!({"equals": 1.0}), json!({}));
        let outcome = live(&check, vec![("", 1.0)]);
        assert_ends_with(&outcome.message, " = 1 (== 1)");
    }

    #[test]
    fn offending_series_are_named_by_their_labels() {
        let check = spec(json!({"lessThan": 0.05}), json!({}));
        let outcome = live(&check, vec![("{job=\"api\"}", 0.07), ("{job=\"web\"}", 0.01)]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_ends_with(&outcome.message, ": {job=\"api\"} = 0.07, expected < 0.05");
    }

    #[test]
    fn all_set_expectations_must_hold_together() {
        let check = spec(json!({"greaterThan": 0.0, "lessThan": 1.0}), json!({}));
        assert_eq!(live(&check, vec![("{}", 0.5)]).state, ItemState::Passed);
        let outcome = live(&check, vec![("{pod=\"a\"}", 0.0), ("{pod=\"b\"}", 1.0)]);
        assert_ends_with(&outcome.message, "{pod=\"a\"} = 0, {pod=\"b\"} = 1, expected < 1 and > 0");
    }

    #[test]
    fn nan_never_satisfies_and_infinities_compare() {
        let check = spec(json!({"lessThan": 0.05}), json!({}));
        let outcome = live(&check, vec![("{job=\"idle\"}", f64::NAN)]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_contains(&outcome.message, "{job=\"idle\"} = NaN");
        let check = spec(json!({"greaterThan": 1e300}), json!({}));
        assert_eq!(live(&check, vec![("{}", f64::INFINITY)]).state, ItemState::Passed);
        assert_eq!(live(&check, vec![("{}", f64::NEG_INFINITY)]).state, ItemState::Failed);
    }

    #[test]
    fn empty_result_fails_unless_empty_is_pass() {
        let check = spec(json!({"lessThan": 0.05}), json!({}));
        let outcome = live(&check, vec![]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_ends_with(&outcome.message, "query returned no data");
        let check = spec(json!({"lessThan": 0.05}), json!({"emptyIs": "Pass"}));
        assert_eq!(live(&check, vec![]).state, ItemState::Passed);
    }

    #[test]
    fn an_expectation_with_nothing_set_is_a_spec_error() {
        let check = spec(json!({}), json!({}));
        let outcome = judge(&check, None, Mode::Offline);
        assert_eq!(outcome, Outcome::error("expect: give lessThan, greaterThan or equals"));
    }

    #[test]
    fn unqueried_is_skipped_offline_and_an_error_live_and_probe_errors_are_errors() {
        let check = spec(json!({"lessThan": 1.0}), json!({}));
        assert_eq!(judge(&check, None, Mode::Offline).state, ItemState::Skipped);
        assert!(judge(&check, None, Mode::Offline).message.ends_with("live only"));
        assert_eq!(judge(&check, None, Mode::Live).state, ItemState::Error);
        let outcome = judge(&check, Some(Err("bad_data: parse error at char 5")), Mode::Live);
        assert_eq!(outcome.state, ItemState::Error);
        assert_ends_with(&outcome.message, ": bad_data: parse error at char 5");
    }

    #[test]
    fn long_queries_are_echoed_on_one_clipped_line() {
        let check = spec(json!({"lessThan": 1.0}), json!({}));
        let outcome = judge(&check, None, Mode::Offline);
        assert_starts_with(
            &outcome.message,
            "query \"sum by (job) (rate(http_requests_total{code=~\\\"5..\\\"}[5m])) / sum by (job) (rate(h…\" at",
        );
    }

    #[test]
    fn long_lists_of_offenders_are_cut() {
        let check = spec(json!({"equals": 1.0}), json!({}));
        let labels: Vec<String> = (0..8).map(|i| format!("{{instance=\"node-{i}\"}}")).collect();
        let outcome = live(&check, labels.iter().map(|l| (l.as_str(), 0.0)).collect());
        assert_contains(&outcome.message, "node-4");
        assert!(!outcome.message.contains("node-5"));
        assert_contains(&outcome.message, "and 3 more");
    }
}
