//! The crate's one error type, with context naming the file, object or field at fault.

use std::path::PathBuf;

/// Everything that can go wrong outside the pure evaluation (which reports problems as item
/// states instead of errors).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A manifest could not be read or parsed. `document` is 1-based; `line` is 1-based when known.
    #[error("{path}{}{}: {message}", document.map(|d| format!(" (document {d})")).unwrap_or_default(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Manifest { path: String, document: Option<usize>, line: Option<usize>, message: String },

    /// A checklist that cannot be evaluated as written.
    #[error("{object}: {field}: {message}")]
    InvalidChecklist { object: String, field: String, message: String },

    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),

    /// TLS material or settings that cannot be used. `context` says which (files, setting).
    #[error("TLS configuration: {context}{}", caused_by(.source))]
    Tls {
        context: String,
        #[source]
        source: Option<BoxError>,
    },

    /// A setting, an argument or the process's surroundings (a port, the cache, the Lease).
    #[error("{context}{}", caused_by(.source))]
    Config {
        context: String,
        #[source]
        source: Option<BoxError>,
    },

    #[error("serializing {what}: {source}")]
    Serialize {
        what: &'static str,
        #[source]
        source: BoxError,
    },
}

/// The cause an error keeps, of whatever library it came from.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// As for [`Error::Io`] and [`Error::Kube`], the message names the cause too, so printing the
/// error alone (`{error}`, a log field) loses nothing; [`chain`] skips the repeat.
fn caused_by(source: &Option<BoxError>) -> String {
    source.as_ref().map(|s| format!(": {s}")).unwrap_or_default()
}

impl Error {
    /// A TLS problem found by this crate, with no library error behind it.
    pub fn tls(context: impl Into<String>) -> Self {
        Error::Tls { context: context.into(), source: None }
    }

    /// A TLS problem a library reported; `context` says what was being done.
    pub fn tls_from(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Tls { context: context.into(), source: Some(source.into()) }
    }

    /// A configuration problem found by this crate.
    pub fn config(context: impl Into<String>) -> Self {
        Error::Config { context: context.into(), source: None }
    }

    /// A configuration problem a library or the OS reported; `context` says what was tried.
    pub fn config_from(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Config { context: context.into(), source: Some(source.into()) }
    }

    pub fn serialize(what: &'static str, source: impl Into<BoxError>) -> Self {
        Error::Serialize { what, source: source.into() }
    }

    /// A short, bounded label for metrics (never object names: label cardinality must stay low).
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::Manifest { .. } => "manifest",
            Error::InvalidChecklist { .. } => "invalid_checklist",
            Error::Io { .. } => "io",
            Error::Kube(_) => "kube",
            Error::Tls { .. } => "tls",
            Error::Config { .. } => "config",
            Error::Serialize { .. } => "serialize",
        }
    }
}

/// `error: cause: cause's cause`, skipping a cause whose text is already there (this crate's
/// messages, like kube's, include their direct cause), so a transport error is not hidden
/// behind "client error (Connect)" and nothing is said twice.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn errors_keep_their_source_and_say_it_once() {
        let io = std::io::Error::new(std::io::ErrorKind::AddrInUse, "address in use");
        let error = Error::config_from("cannot listen on 0.0.0.0:8443", io);
        assert_eq!(error.to_string(), "cannot listen on 0.0.0.0:8443: address in use");
        let source = error.source().and_then(|s| s.downcast_ref::<std::io::Error>()).expect("io source");
        assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse);
        assert_eq!(chain(&error), error.to_string());

        let json = serde_json::from_str::<u8>("x").expect_err("not JSON");
        let error = Error::serialize("report as JSON", json);
        assert!(error.source().is_some_and(|s| s.is::<serde_json::Error>()));
        assert!(Error::tls("no key").source().is_none());
        assert_eq!(Error::tls("no key").to_string(), "TLS configuration: no key");
    }
}
