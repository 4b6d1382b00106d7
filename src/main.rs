//! The `readygate` binary (also a kubectl plugin as `kubectl-readygate`): clap dispatch only.

use std::process::ExitCode;

use readygate::cli::{self, Command};

/// jemalloc with background threads: memory a burst of admission traffic used goes back to the
/// OS within seconds of the burst ending (see `benches/webhook_load.rs`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Several dependencies bring TLS stacks; name the one process-wide provider explicitly.
    // It fails only when one is installed already, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = cli::parse();
    let code = match &cli.command {
        Command::Check(args) => cli::check::run(args),
        Command::Status(args) => cli::kube::block_on(cli::status::run(args)),
        Command::Signoff(args) => cli::kube::block_on(cli::signoff::run(args)),
        Command::Crd(args) => cli::crd::run(args),
        Command::Run(args) => cli::run::main(args),
        Command::Board(args) => cli::kube::block_on(cli::board::run(args)),
    };
    ExitCode::from(code)
}
