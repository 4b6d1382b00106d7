//! `readygate board`: the read-only web board over the live cluster (see [`crate::board`]),
//! with the kubeconfig's credentials, until Ctrl-C or SIGTERM.

use std::io::Write as _;
use std::net::SocketAddr;

use ::kube::api::{Api, ListParams};
use clap::Args;
use tokio_util::sync::CancellationToken;

use super::kube::{ClusterArgs, connect, describe_error, parse_namespace};
use super::{EXIT_BAD_INPUT, report_errors};
use crate::api::ReadinessChecklist;
use crate::board::{self, Scope};

/// Serve a live, read-only web board of the cluster's readiness checklists (exit 2 when the
/// address cannot be bound or the cluster cannot be read)
#[derive(Debug, Args)]
pub struct BoardArgs {
    /// Where to serve. Loopback by default, like `kubectl proxy`: the board has no login of its
    /// own and shows whatever your credentials may read. Another address serves everyone who
    /// reaches it: see docs/board.md before doing that.
    #[arg(long, default_value = "127.0.0.1:8484")]
    pub address: SocketAddr,

    /// Show only this namespace (default: every namespace you may list, else the context's)
    #[arg(short = 'n', long, value_parser = parse_namespace)]
    pub namespace: Option<String>,

    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Runs the board to its exit code.
pub async fn run(args: &BoardArgs) -> u8 {
    match serve(args).await {
        Ok(()) => 0,
        Err(error) => {
            report_errors([error]);
            EXIT_BAD_INPUT
        }
    }
}

async fn serve(args: &BoardArgs) -> Result<(), String> {
    let cluster = connect(&args.cluster).await?;
    let scope = match &args.namespace {
        Some(namespace) => Scope::Namespace(namespace.clone()),
        None => widest_scope(&cluster.client, &cluster.default_namespace, &cluster.url).await?,
    };
    // Listening before the URL is printed: whoever reads it may signal at once.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot listen for SIGTERM: {e}"))?;
    let shutdown = CancellationToken::new();
    let board = board::serve(cluster.client, scope.clone(), args.address, shutdown.clone())
        .await
        .map_err(|e| format!("cannot serve on {}: {e}", args.address))?;
    let shown = match &scope {
        Scope::All => "every namespace".to_owned(),
        Scope::Namespace(namespace) => format!("namespace {namespace}"),
    };
    // The URL on stdout (first line) so scripts and tests can pick up a port chosen by the OS.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "readygate board: http://{}/ ({shown}; Ctrl-C stops it)", board.addr);
    let _ = stdout.flush();
    drop(stdout);
    if !board.addr.ip().is_loopback() {
        eprintln!(
            "readygate: warning: the board listens on {}: anyone who reaches it sees what your credentials may read",
            board.addr
        );
    }
    let mut task = board.task;
    let ended = tokio::select! {
        _ = terminate.recv() => {
            shutdown.cancel();
            (&mut task).await
        }
        _ = tokio::signal::ctrl_c() => {
            shutdown.cancel();
            (&mut task).await
        }
        ended = &mut task => ended,
    };
    match ended {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("the board stopped: {e}")),
        Err(e) => Err(format!("the board stopped: {e}")),
    }
}

/// Every namespace when the user may list checklists cluster-wide, else the context's
/// namespace (with a note), as `kubectl get -A` users expect.
async fn widest_scope(client: &::kube::Client, default_namespace: &str, url: &str) -> Result<Scope, String> {
    let api: Api<ReadinessChecklist> = Api::all(client.clone());
    match api.list_metadata(&ListParams::default().limit(1)).await {
        Ok(_) => Ok(Scope::All),
        Err(::kube::Error::Api(status)) if status.code == 403 => {
            eprintln!(
                "readygate: note: you may not list ReadinessChecklists in every namespace; showing namespace {default_namespace} (-n picks another)"
            );
            Ok(Scope::Namespace(default_namespace.to_owned()))
        }
        Err(::kube::Error::Api(status)) if status.code == 404 => {
            Err("the cluster does not serve readinesschecklists.readygate.io: are the readygate CRDs installed?"
                .to_owned())
        }
        Err(error) => Err(describe_error(&error, url)),
    }
}
