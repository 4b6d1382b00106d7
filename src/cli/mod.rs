//! The `readygate` command line.

pub mod run;

/// readygate: production-readiness checklists the cluster evaluates and enforces.
#[derive(Debug, clap::Parser)]
#[command(name = "readygate", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run the controller, metrics and health endpoints (and the webhook) in one process.
    Run(run::RunArgs),
}
