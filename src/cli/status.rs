//! `readygate status`: the live checklists' stored status, in the same views as `check`. The
//! controller's evaluation is the truth; this only reads it, and judges whether it is current
//! the way the webhook does (`engine::current_decision`).

mod view;

use clap::Args;
use jiff::Timestamp;

pub use view::{GateWired, LiveView, evaluation_from_status};

use super::kube::{ClusterArgs, connect, get_checklist, list_checklists, parse_namespace, parse_object_name};
use super::{EXIT_BAD_INPUT, OutputFormat, exit_code, print, report_errors, stdout_report_options};
use crate::api::ReadinessChecklist;
use crate::engine::Evaluation;

/// Show the live status of checklists (exit 0 Go, 1 NoGo, 2 bad input or cluster unreachable,
/// 3 Unknown: not evaluated yet, evaluated for an older spec, or stale)
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The checklist to show (default: every checklist in the namespace)
    #[arg(value_name = "NAME", value_parser = parse_object_name)]
    pub name: Option<String>,

    /// Namespace (default: the kubeconfig context's, else `default`)
    #[arg(short = 'n', long, value_parser = parse_namespace)]
    pub namespace: Option<String>,

    /// Checklists of every namespace
    #[arg(short = 'A', long, conflicts_with_all = ["name", "namespace"])]
    pub all_namespaces: bool,

    /// How to print the results
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// Reading time (RFC 3339) for staleness, for reproducible tests
    #[arg(long, hide = true)]
    pub now: Option<Timestamp>,
}

/// Runs the command and returns the process exit code.
pub async fn run(args: &StatusArgs) -> u8 {
    let (checklists, mut errors) = match fetch(args).await {
        Ok(fetched) => fetched,
        Err(error) => {
            report_errors([error]);
            return EXIT_BAD_INPUT;
        }
    };
    let now = args.now.unwrap_or_else(Timestamp::now);
    let views: Vec<LiveView> = checklists.iter().map(|c| evaluation_from_status(c, now)).collect();
    let evaluations: Vec<Evaluation> = views.iter().map(|v| v.evaluation.clone()).collect();
    if args.output == OutputFormat::Junit {
        // JUnit has no place for a note; say it where a CI log shows it.
        for view in &views {
            if let Some(reason) = &view.reason {
                eprintln!("readygate: note: {}: {reason}", describe(&view.evaluation));
            }
            if let Some(warning) = view.gate.as_ref().and_then(|g| g.warning()) {
                eprintln!("readygate: note: {}: {warning}", describe(&view.evaluation));
            }
        }
    }
    let code = match view::render(args.output, &views, &stdout_report_options()) {
        Ok(text) => print(&text).err(),
        Err(e) => {
            errors.push(e.to_string());
            None
        }
    };
    if !errors.is_empty() {
        report_errors(errors);
        return EXIT_BAD_INPUT;
    }
    code.unwrap_or_else(|| exit_code(&evaluations))
}

/// The checklists asked for, plus those that exist but cannot be read. Nothing to show is an
/// error: a gate must not read "no checklists" as Go.
async fn fetch(args: &StatusArgs) -> Result<(Vec<ReadinessChecklist>, Vec<String>), String> {
    let cluster = connect(&args.cluster).await?;
    let namespace = args.namespace.clone().unwrap_or_else(|| cluster.default_namespace.clone());
    if let Some(name) = &args.name {
        return match get_checklist(&cluster, &namespace, name).await? {
            Some(checklist) => Ok((vec![checklist], Vec::new())),
            None => Err(format!("readinesschecklist/{name} not found in namespace {namespace}")),
        };
    }
    let scope = (!args.all_namespaces).then_some(namespace.as_str());
    let listed = list_checklists(&cluster, scope).await?;
    if listed.is_empty() {
        return Err(match scope {
            Some(namespace) => format!("no ReadinessChecklist in namespace {namespace}"),
            None => "no ReadinessChecklist in any namespace".to_owned(),
        });
    }
    let mut checklists = Vec::new();
    let mut unreadable = Vec::new();
    for result in listed {
        match result {
            Ok(checklist) => checklists.push(checklist),
            Err(error) => unreadable.push(error),
        }
    }
    Ok((checklists, unreadable))
}

fn describe(evaluation: &Evaluation) -> String {
    format!("readinesschecklist/{} in namespace {}", evaluation.name, evaluation.namespace)
}
