//! Which text format `/metrics` answers in: OpenMetrics when the scraper's `Accept` asks for
//! it, else the Prometheus text format 0.0.4 that every scraper and `promtool` reads.
//!
//! The choice follows client_golang's `expfmt.NegotiateIncludingOpenMetrics`: media ranges in
//! order of preference (`q`), the first one naming a format readygate serves wins, and anything
//! else (no header, `*/*`, protobuf) gets 0.0.4. The two formats differ in more than the
//! content type: OpenMetrics names counter families without `_total`, has `# UNIT` lines,
//! `info`/`stateset` types, exemplars and `# EOF`; so 0.0.4 is encoded on its own, not patched
//! from the OpenMetrics text.

use prometheus_client::registry::Registry;

/// The `Content-Type` of OpenMetrics text 1.0.0.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The `Content-Type` of the Prometheus text format 0.0.4.
pub const PROMETHEUS_CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4 (`text/plain; version=0.0.4`).
    Prometheus,
    /// OpenMetrics text 1.0.0 (`application/openmetrics-text`).
    OpenMetrics,
}

impl Format {
    /// The format to answer a request carrying `accept` (the `Accept` header's value(s), joined
    /// with commas) in.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let mut ranges: Vec<MediaRange<'_>> =
            accept.unwrap_or_default().split(',').filter_map(MediaRange::parse).filter(|r| r.q > 0.0).collect();
        // Stable: among equal weights the client's order stands.
        ranges.sort_by(|a, b| b.q.total_cmp(&a.q));
        ranges.iter().find_map(MediaRange::served_format).unwrap_or(Format::Prometheus)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => PROMETHEUS_CONTENT_TYPE,
            Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
        }
    }
}

/// The registry in `format`.
pub fn encode(registry: &Registry, format: Format) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = match format {
        Format::Prometheus => prometheus_client::encoding::prometheus_text::encode(&mut out, registry),
        Format::OpenMetrics => prometheus_client::encoding::text::encode(&mut out, registry),
    };
    out
}

/// One element of an `Accept` header: `type/subtype; version=..; q=..`.
struct MediaRange<'a> {
    media_type: String,
    version: Option<&'a str>,
    q: f32,
}

impl<'a> MediaRange<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.split(';');
        let media_type = parts.next()?.trim().to_ascii_lowercase();
        if media_type.is_empty() {
            return None;
        }
        let mut range = MediaRange { media_type, version: None, q: 1.0 };
        for param in parts {
            let Some((key, value)) = param.split_once('=') else { continue };
            let value = value.trim().trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "version" => range.version = Some(value),
                // An unreadable weight makes the range unusable, as in RFC 9110's grammar.
                "q" => range.q = value.parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q)).unwrap_or(0.0),
                _ => {}
            }
        }
        Some(range)
    }

    fn served_format(&self) -> Option<Format> {
        match (self.media_type.as_str(), self.version) {
            ("text/plain", None | Some("0.0.4")) => Some(Format::Prometheus),
            // 0.0.1 was the draft Prometheus 2.x asked for; its parser reads 1.0.0 the same way.
            ("application/openmetrics-text", None | Some("1.0.0" | "0.0.1")) => Some(Format::OpenMetrics),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
