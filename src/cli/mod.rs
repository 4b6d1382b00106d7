//! The command line: clap types, one file per subcommand, exit codes and output plumbing shared
//! by the subcommands that print reports.

pub mod board;
pub mod check;
pub mod crd;
pub mod kube;
pub mod run;
pub mod signoff;
pub mod status;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::api::Decision;
use crate::engine::Evaluation;
use crate::report;

/// Every checklist is Go.
pub const EXIT_GO: u8 = 0;
/// Some checklist is NoGo.
pub const EXIT_NO_GO: u8 = 1;
/// The input could not be used (unreadable file, invalid manifest or checklist, bad flag).
pub const EXIT_BAD_INPUT: u8 = 2;
/// No checklist is NoGo, but some is Unknown.
pub const EXIT_UNKNOWN: u8 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "readygate",
    version,
    about = "Production-readiness checklists that the cluster evaluates and enforces"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// One variant per subcommand; each lives in its own file with its `Args` and `run`.
#[derive(Debug, Subcommand)]
pub enum Command {
    Check(check::CheckArgs),
    Status(status::StatusArgs),
    Signoff(signoff::SignoffArgs),
    Crd(crd::CrdArgs),
    // Boxed: its flags (controller + webhook) dwarf the other subcommands'.
    /// Run the controller, admission webhook and metrics in one process.
    Run(Box<run::RunArgs>),
    Board(board::BoardArgs),
}

/// `--output`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Table,
    Json,
    Yaml,
    Junit,
    Markdown,
    /// A self-contained HTML page (no external resources), e.g. a CI artifact.
    Html,
}

impl From<OutputFormat> for report::Format {
    fn from(format: OutputFormat) -> Self {
        match format {
            OutputFormat::Table => report::Format::Table,
            OutputFormat::Json => report::Format::Json,
            OutputFormat::Yaml => report::Format::Yaml,
            OutputFormat::Junit => report::Format::Junit,
            OutputFormat::Markdown => report::Format::Markdown,
            OutputFormat::Html => report::Format::Html,
        }
    }
}

/// Parses the process arguments. Installed as `kubectl-readygate`, usage reads
/// `kubectl readygate ...`, as kubectl plugins' do. Usage errors exit with 2 (clap's code,
/// which is also ours for bad input).
pub fn parse() -> Cli {
    parse_from(std::env::args_os())
}

pub fn parse_from(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> Cli {
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let invoked_as = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let mut command = Cli::command();
    if invoked_as.starts_with("kubectl-") {
        command = command.bin_name(invoked_as.replacen("kubectl-", "kubectl ", 1));
    }
    let matches = command.get_matches_from(args);
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// The exit code for a set of decisions: 1 if any is NoGo, else 3 if any is Unknown, else 0.
pub fn exit_code(evaluations: &[Evaluation]) -> u8 {
    // A window or the soak time holding admission back answers NO-GO for admission (exit 1),
    // whatever the checklist's own decision.
    if evaluations.iter().any(|e| e.decision == Decision::NoGo || e.admission.as_ref().is_some_and(|a| a.held)) {
        EXIT_NO_GO
    } else if evaluations.iter().any(|e| e.decision == Decision::Unknown) {
        EXIT_UNKNOWN
    } else {
        EXIT_GO
    }
}

/// Report options for stdout: colour only on a terminal and when `NO_COLOR` is unset or empty
/// (<https://no-color.org>).
pub fn stdout_report_options() -> report::Options {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    report::Options { color: std::io::stdout().is_terminal() && !no_color, ..report::Options::default() }
}

/// Writes to stdout. A closed pipe (`readygate check ... | head`) is not an error worth a
/// message; anything else is reported and makes the run fail as bad output.
pub fn print(text: &str) -> Result<(), u8> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            report_errors([format!("writing output: {e}")]);
            Err(EXIT_BAD_INPUT)
        }
    }
}

/// Prints errors to stderr, one per line, as `readygate: error: ...`.
pub fn report_errors(errors: impl IntoIterator<Item = impl std::fmt::Display>) {
    let mut stderr = std::io::stderr().lock();
    for error in errors {
        let _ = writeln!(stderr, "readygate: error: {error}");
    }
}
