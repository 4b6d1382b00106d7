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

    #[error("TLS configuration: {0}")]
    Tls(String),

    #[error("{0}")]
    Config(String),

    #[error("serializing {what}: {message}")]
    Serialize { what: &'static str, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A short, bounded label for metrics (never object names: label cardinality must stay low).
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::Manifest { .. } => "manifest",
            Error::InvalidChecklist { .. } => "invalid_checklist",
            Error::Io { .. } => "io",
            Error::Kube(_) => "kube",
            Error::Tls(_) => "tls",
            Error::Config(_) => "config",
            Error::Serialize { .. } => "serialize",
        }
    }
}
