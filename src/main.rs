//! The `readygate` binary: parses the command line and dispatches.

use clap::Parser;
use readygate::cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    // One process-wide TLS provider (ring), chosen before any client or server exists.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => {
            let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("readygate: starting the async runtime: {e}");
                    return std::process::ExitCode::from(1);
                }
            };
            match runtime.block_on(readygate::cli::run::run(args)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("readygate run: {e:#}");
                    std::process::ExitCode::from(1)
                }
            }
        }
    }
}
