//! Prometheus instant queries: `GET {url}/api/v1/query?query=...`, vector and scalar results.

use std::time::Duration;

use serde_json::Value;

use super::http::HttpProber;
use crate::checks::PrometheusObservation;

/// The instant-query URL for `query` against the server at `base`.
pub fn query_url(base: &str, query: &str) -> String {
    format!("{}/api/v1/query?query={}", base.trim_end_matches('/'), encode_component(query))
}

/// Runs an instant query.
pub async fn query(
    prober: &HttpProber,
    base: &str,
    promql: &str,
    timeout: Duration,
) -> Result<PrometheusObservation, String> {
    let response = prober.get(&query_url(base, promql), timeout).await?;
    let status = response.observation.status;
    let parsed = parse(&response.body);
    match (status, parsed) {
        (_, Ok(observation)) => Ok(observation),
        (200, Err(e)) => Err(e),
        (status, Err(e)) => Err(format!("Prometheus answered HTTP {status}: {e}")),
    }
}

/// Parses the API's JSON envelope. One value per series, labelled like `{job="api"}`; a scalar
/// is one value labelled `scalar`. Range vectors and strings are errors: the check compares one
/// number per series.
pub fn parse(body: &[u8]) -> Result<PrometheusObservation, String> {
    let envelope: Value = serde_json::from_slice(body).map_err(|e| format!("not a Prometheus API answer: {e}"))?;
    if envelope.get("status").and_then(Value::as_str) != Some("success") {
        let kind = envelope.get("errorType").and_then(Value::as_str).unwrap_or("error");
        let message = envelope.get("error").and_then(Value::as_str).unwrap_or("query failed");
        return Err(format!("query failed ({kind}): {message}"));
    }
    let data = envelope.get("data").ok_or("answer has no data")?;
    let result = data.get("result").ok_or("answer has no result")?;
    match data.get("resultType").and_then(Value::as_str) {
        Some("vector") => {
            let series = result.as_array().ok_or("vector result is not a list")?;
            let values = series
                .iter()
                .map(|s| Ok((labels(s.get("metric")), sample(s.get("value"))?)))
                .collect::<Result<Vec<_>, String>>()?;
            Ok(PrometheusObservation { values })
        }
        Some("scalar") => Ok(PrometheusObservation { values: vec![("scalar".to_owned(), sample(Some(result))?)] }),
        Some("matrix") => Err("the query returns a range vector; use an instant vector".to_owned()),
        Some(other) => Err(format!("unsupported result type {other}")),
        None => Err("answer has no resultType".to_owned()),
    }
}

/// `[timestamp, "value"]` -> value. Prometheus spells special values `NaN`, `+Inf`, `-Inf`.
fn sample(value: Option<&Value>) -> Result<f64, String> {
    let text = value
        .and_then(Value::as_array)
        .and_then(|pair| pair.get(1))
        .and_then(Value::as_str)
        .ok_or("sample is not [timestamp, \"value\"]")?;
    match text {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => text.parse().map_err(|_| format!("sample value {text:?} is not a number")),
    }
}

fn labels(metric: Option<&Value>) -> String {
    let Some(map) = metric.and_then(Value::as_object) else { return "{}".to_owned() };
    let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={:?}", v.as_str().unwrap_or_default())).collect();
    format!("{{{}}}", parts.join(","))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_component(input: &str) -> String {
    let mut out = String::with_capacity(input.len() * 3);
    for byte in input.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_instant_query_urls() {
        assert_eq!(
            query_url("http://prometheus:9090/", r#"sum(rate(http_errors{job="api"}[5m]))"#),
            "http://prometheus:9090/api/v1/query?query=sum%28rate%28http_errors%7Bjob%3D%22api%22%7D%5B5m%5D%29%29"
        );
    }

    #[test]
    fn parses_vectors_one_value_per_series() {
        let body = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"job":"api","instance":"a"},"value":[1700000000.1,"0.25"]},
            {"metric":{},"value":[1700000000.1,"+Inf"]}]}}"#;
        let o = parse(body).expect("parsed");
        assert_eq!(o.values[0], (r#"{instance="a",job="api"}"#.to_owned(), 0.25));
        assert_eq!(o.values[1], ("{}".to_owned(), f64::INFINITY));
    }

    #[test]
    fn parses_scalars_and_empty_vectors() {
        let o =
            parse(br#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"3"]}}"#).expect("parsed");
        assert_eq!(o.values, [("scalar".to_owned(), 3.0)]);
        let empty = parse(br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#).expect("parsed");
        assert!(empty.values.is_empty());
    }

    #[test]
    fn reports_query_errors_and_unsupported_answers() {
        let e = parse(br#"{"status":"error","errorType":"bad_data","error":"parse error at char 4"}"#)
            .expect_err("error answer");
        assert_eq!(e, "query failed (bad_data): parse error at char 4");
        assert!(parse(br#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#).is_err());
        assert!(parse(b"<html>").is_err());
        let bad = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}"#;
        assert!(parse(bad).expect_err("bad sample").contains("not a number"));
    }
}
