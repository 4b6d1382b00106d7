//! `readygate check`: evaluates checklists offline against manifests and prints a report.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Args;
use jiff::Timestamp;

use super::{EXIT_BAD_INPUT, OutputFormat, exit_code, print, report_errors, stdout_report_options};
use crate::api::ReadinessChecklist;
use crate::checks::{Facts, KubeVersion};
use crate::engine::{self, Collector, Evaluation, Interest, validate::validate_checklist};
use crate::inventory::manifests;
use crate::{Error, report};

/// Evaluate checklists offline against manifests (exit 0 Go, 1 NoGo, 2 bad input, 3 Unknown)
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A file or folder of ReadinessChecklists (repeat for more); other objects in it, such as
    /// ReadinessSignoffs, join the manifests
    #[arg(short = 'f', long = "filename", visible_alias = "checklist", value_name = "CHECKLIST", required = true)]
    pub checklists: Vec<PathBuf>,

    /// Manifest files or folders (YAML or JSON, multi-document, Lists); `-` reads stdin
    #[arg(value_name = "PATH")]
    pub manifests: Vec<PathBuf>,

    /// Namespace of objects (and checklists) that name none, as `kubectl apply -n`
    #[arg(short = 'n', long, default_value = "default", value_parser = parse_namespace)]
    pub namespace: String,

    /// Kubernetes server version to assume for `kubernetesVersion` items, e.g. 1.31
    #[arg(long, value_name = "VERSION", value_parser = parse_kube_version)]
    pub kube_version: Option<KubeVersion>,

    /// How to print the results
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,

    /// The instant to answer for (RFC 3339, e.g. 2026-11-27T09:00:00Z): items, sign-off
    /// expiry, and the gate's freeze/allowed windows and soak time are judged as of then
    /// (default: now)
    #[arg(long = "at", visible_alias = "now", value_name = "RFC3339")]
    pub now: Option<Timestamp>,
}

/// Runs the command and returns the process exit code.
pub fn run(args: &CheckArgs) -> u8 {
    let evaluations = match evaluate(args) {
        Ok(evaluations) => evaluations,
        Err(errors) => {
            report_errors(errors);
            return EXIT_BAD_INPUT;
        }
    };
    let options = report::Options { offline: true, ..stdout_report_options() };
    match report::render(args.output.into(), &evaluations, &options) {
        Ok(text) => print(&text).map_or_else(|code| code, |()| exit_code(&evaluations)),
        Err(e) => {
            report_errors([e]);
            EXIT_BAD_INPUT
        }
    }
}

/// Loads, validates and evaluates. Every invalid checklist is reported, not just the first.
///
/// Checklists are read first, so that of the manifests only the objects some checklist can read
/// (its kinds, in its namespace or cluster-scoped) are kept, each as soon as its document is
/// parsed, and kept compact: memory follows what the checklists judge, not the stream's size.
pub fn evaluate(args: &CheckArgs) -> Result<Vec<Evaluation>, Vec<Error>> {
    let is_stdin = |p: &PathBuf| p.as_os_str() == "-";
    if args.checklists.iter().any(is_stdin) && args.manifests.iter().any(is_stdin) {
        return Err(vec![Error::Config(
            "stdin (-) can be read only once: give it to -f or as a PATH, not both".into(),
        )]);
    }
    let (checklists, others) = load_checklists(args)?;
    let interest = Interest::of(&checklists);
    // Kept as compact text, built when a check reads it: a parsed tree costs 20 to 30 times its
    // text, and an item naming one Deployment reads one, not the thousands beside it.
    let mut collector = Collector::new(&interest);
    for object in others {
        if interest.wants_kind(&object.kind_key) {
            collector.add(object.materialize());
        }
    }
    manifests::load_each(&args.manifests, &args.namespace, &mut note_skipped, &mut |object| {
        if interest.wants_kind(&object.kind_key) {
            collector.add(object);
        }
    })
    .map_err(|e| vec![e])?;
    let inventory = collector.finish();
    let facts = Facts { server_version: args.kube_version, ..Facts::offline() };
    let now = args.now.unwrap_or_else(Timestamp::now);
    let mut evaluations = engine::evaluate_all(&checklists, &inventory, &facts, now);
    // What the webhook would answer at `now` once this evaluation is the stored status.
    for (checklist, evaluation) in checklists.iter().zip(&mut evaluations) {
        evaluation.admission = engine::admission::for_evaluation(checklist, evaluation, now);
    }
    Ok(evaluations)
}

/// Tells on stderr of a folder entry passed over (a FIFO, device or socket).
fn note_skipped(skipped: manifests::Skipped) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "readygate: note: {skipped}");
}

/// The checklists of the `-f` paths, valid and unique, plus the other objects found there
/// (held compact until it is known which of them the checklists read).
fn load_checklists(args: &CheckArgs) -> Result<(Vec<ReadinessChecklist>, Vec<manifests::Deferred>), Vec<Error>> {
    let (documents, others) =
        manifests::load_checklists(&args.checklists, &args.namespace, &mut note_skipped).map_err(|e| vec![e])?;
    if documents.is_empty() {
        let paths: Vec<String> = args.checklists.iter().map(|p| p.display().to_string()).collect();
        return Err(vec![Error::Config(format!("no ReadinessChecklist found in {}", paths.join(", ")))]);
    }
    let mut errors = Vec::new();
    let mut checklists = Vec::new();
    let mut first_seen: HashMap<(String, String), &manifests::Source> = HashMap::new();
    for document in &documents {
        let checklist = match manifests::to_checklist(document) {
            Ok(checklist) => checklist,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let name = checklist.metadata.name.clone().unwrap_or_default();
        let namespace = checklist.metadata.namespace.clone().unwrap_or_default();
        for problem in validate_checklist(&checklist) {
            errors.push(document.source.error(format!("readinesschecklist/{name}: spec.{problem}")));
        }
        if let Some(first) = first_seen.insert((namespace.clone(), name.clone()), &document.source) {
            errors.push(document.source.error(format!(
                "readinesschecklist/{name} in namespace {namespace} is given twice (first in {} document {})",
                first.path(),
                first.document()
            )));
        }
        checklists.push(checklist);
    }
    if errors.is_empty() { Ok((checklists, others)) } else { Err(errors) }
}

fn parse_kube_version(text: &str) -> Result<KubeVersion, String> {
    text.parse()
}

/// A namespace name is a DNS-1123 label, as the API server requires.
fn parse_namespace(text: &str) -> Result<String, String> {
    let valid = !text.is_empty()
        && text.len() <= 63
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-');
    if valid { Ok(text.to_owned()) } else { Err(format!("{text:?} is not a valid namespace name (a DNS-1123 label)")) }
}
