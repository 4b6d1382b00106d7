//! Logging: a tracing subscriber writing plain or JSON lines to stderr, filtered by `RUST_LOG`
//! (default `info`).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::util::SubscriberInitExt;

/// Log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Plain,
    Json,
}

/// Installs the global subscriber. Calling it twice is harmless (the second call is ignored),
/// which keeps tests that start several components simple.
pub fn init(format: LogFormat) {
    init_with_writer(format, std::io::stderr);
}

/// [`init`] writing somewhere else than stderr (benches measure the formatting into a sink).
pub fn init_with_writer<W>(format: LogFormat, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    if let Err(error) = dispatch(format, writer).try_init() {
        tracing::debug!(%error, "a tracing subscriber was already installed");
    }
}

/// The subscriber [`init`] installs, writing to `writer`, for a caller that scopes it itself.
pub fn dispatch<W>(format: LogFormat, writer: W) -> tracing::Dispatch
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    match format {
        LogFormat::Plain => builder.finish().into(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).finish().into(),
    }
}
