//! `readygate signoff`: creates a ReadinessSignoff as the current user. The signer is who the API
//! server says the user is (a SelfSubjectReview), since the admission webhook rejects any other;
//! the item, the action and the signer are checked first, as the webhook and the controller
//! would, so a mistake gets a clear message instead of a rejection or a sign-off that never counts.

use ::kube::api::{Api, ObjectMeta, PostParams};
use clap::{Args, ValueEnum};
use jiff::Timestamp;
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::kube::{Cluster, ClusterArgs, connect, describe_error, get_checklist, parse_namespace, parse_object_name};
use super::{EXIT_BAD_INPUT, EXIT_GO, print, report_errors};
use crate::api::{
    Check, ChecklistItem, Duration, Principals, ReadinessChecklist, ReadinessSignoff, ReadinessSignoffSpec, Signer,
    SignoffAction,
};

/// The schema's limit on `spec.reason`, in characters.
const MAX_REASON_CHARS: usize = 1024;
/// The real API server cuts a `generateName` prefix to 58 characters, leaving 5 for its suffix.
const MAX_GENERATE_NAME: usize = 58;

/// Approve (or waive) a checklist item as the current user, by creating a ReadinessSignoff
#[derive(Debug, Args)]
pub struct SignoffArgs {
    /// The ReadinessChecklist
    #[arg(value_name = "CHECKLIST", value_parser = parse_object_name)]
    pub checklist: String,

    /// The item to approve or waive
    #[arg(value_name = "ITEM")]
    pub item: String,

    /// What you reviewed, or why the failure is acceptable
    #[arg(long, value_name = "TEXT")]
    pub reason: String,

    /// Approve a manual item, or Waive a failing one
    #[arg(long, value_enum, ignore_case = true, default_value_t = Action::Approve)]
    pub action: Action,

    /// When the sign-off stops counting (RFC 3339)
    #[arg(long, value_name = "TIME", conflicts_with = "valid_for")]
    pub expires_at: Option<Timestamp>,

    /// How long the sign-off counts from now, e.g. 72h or 7d
    #[arg(long, value_name = "DURATION")]
    pub valid_for: Option<Duration>,

    /// A ticket or change reference (`CHG-4711`); waivers of items with `waiver.requireTicket`
    /// need one
    #[arg(long, value_name = "REF")]
    pub ticket: Option<String>,

    /// Namespace of the checklist (default: the kubeconfig context's, else `default`)
    #[arg(short = 'n', long, value_parser = parse_namespace)]
    pub namespace: Option<String>,

    /// Name of the ReadinessSignoff (default: generated from checklist, item and user)
    #[arg(long, value_parser = parse_object_name)]
    pub name: Option<String>,

    /// Let the API server (admission included) judge the sign-off without creating it
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `--action`, spelled as in `spec.action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Action {
    #[value(name = "Approve")]
    Approve,
    #[value(name = "Waive")]
    Waive,
}

impl From<Action> for SignoffAction {
    fn from(action: Action) -> Self {
        match action {
            Action::Approve => SignoffAction::Approve,
            Action::Waive => SignoffAction::Waive,
        }
    }
}

/// Runs the command and returns the process exit code: 0 when created, 2 otherwise.
pub async fn run(args: &SignoffArgs) -> u8 {
    match sign(args).await {
        Ok(line) => print(&line).map_or_else(|code| code, |()| EXIT_GO),
        Err(error) => {
            report_errors([error]);
            EXIT_BAD_INPUT
        }
    }
}

async fn sign(args: &SignoffArgs) -> Result<String, String> {
    let cluster = connect(&args.cluster).await?;
    let namespace = args.namespace.clone().unwrap_or_else(|| cluster.default_namespace.clone());
    let checklist = get_checklist(&cluster, &namespace, &args.checklist)
        .await?
        .ok_or_else(|| format!("readinesschecklist/{} not found in namespace {namespace}", args.checklist))?;
    let signer = whoami(&cluster).await?;
    let signoff = build_signoff(args, &checklist, signer, Timestamp::now())?;
    let api: Api<ReadinessSignoff> = Api::namespaced(cluster.client.clone(), &namespace);
    let params = PostParams { dry_run: args.dry_run, field_manager: Some("readygate".to_owned()) };
    let created = api
        .create(&params, &signoff)
        .await
        .map_err(|e| format!("creating the ReadinessSignoff: {}", describe_error(&e, &cluster.url)))?;
    Ok(describe_created(&created, args.dry_run))
}

/// Who the API server says the user is, as it will tell the admission webhook.
async fn whoami(cluster: &Cluster) -> Result<Signer, String> {
    let api: Api<SelfSubjectReview> = Api::all(cluster.client.clone());
    let review = api.create(&PostParams::default(), &SelfSubjectReview::default()).await.map_err(|e| match &e {
        ::kube::Error::Api(status) if status.code == 404 => "cannot learn who you are: the API server does not serve \
                                                              SelfSubjectReview (authentication.k8s.io/v1, Kubernetes \
                                                              1.28 or newer)"
            .to_owned(),
        _ => format!("cannot learn who you are (SelfSubjectReview): {}", describe_error(&e, &cluster.url)),
    })?;
    let user = review.status.and_then(|s| s.user_info).unwrap_or_default();
    let username = user
        .username
        .filter(|u| !u.is_empty())
        .ok_or("cannot learn who you are: the API server's SelfSubjectReview names no user")?;
    Ok(Signer { username, groups: user.groups.unwrap_or_default() })
}

/// The ReadinessSignoff to create, or why it must not be: an unknown item, an action the item
/// does not take, a signer the item does not admit, or an expiry that is past or later than the
/// item allows. Pure, so each refusal is unit-tested.
pub fn build_signoff(
    args: &SignoffArgs,
    checklist: &ReadinessChecklist,
    signer: Signer,
    now: Timestamp,
) -> Result<ReadinessSignoff, String> {
    let checklist_name = checklist.metadata.name.clone().unwrap_or_default();
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err("--reason must say what you reviewed or why the failure is acceptable".to_owned());
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!("--reason is longer than {MAX_REASON_CHARS} characters"));
    }
    let item = checklist.spec.items.iter().find(|i| i.name == args.item).ok_or_else(|| {
        let names: Vec<&str> = checklist.spec.items.iter().map(|i| i.name.as_str()).collect();
        format!("readinesschecklist/{checklist_name} has no item {:?} (items: {})", args.item, names.join(", "))
    })?;
    let allowed = who_may(args.action, item, &checklist_name)?;
    if !allowed.admits(&signer.username, &signer.groups) {
        let verb = if args.action == Action::Approve { "approve" } else { "waive" };
        return Err(format!(
            "{} may not {verb} item {}: only {} may, so the sign-off would not count",
            describe_signer(&signer),
            item.name,
            describe_principals(allowed)
        ));
    }
    let expires_at = expiry(args, item, now)?;
    let metadata = ObjectMeta {
        name: args.name.clone(),
        generate_name: args.name.is_none().then(|| generate_name(&checklist_name, &item.name, &signer.username)),
        namespace: checklist.metadata.namespace.clone(),
        ..ObjectMeta::default()
    };
    let spec = ReadinessSignoffSpec {
        checklist: checklist_name,
        item: item.name.clone(),
        action: args.action.into(),
        release: checklist.spec.release.clone(),
        reason: reason.to_owned(),
        expires_at: expires_at.map(Time),
        ticket: args.ticket.clone().filter(|t| !t.trim().is_empty()),
        signer,
    };
    Ok(ReadinessSignoff { metadata, spec })
}

/// Who may take `action` on `item`: its approvers for a manual item, its `waivableBy` for a
/// waiver. Anything else is an action the item does not take.
fn who_may<'a>(action: Action, item: &'a ChecklistItem, checklist: &str) -> Result<&'a Principals, String> {
    match (action, &item.check, &item.waivable_by) {
        (Action::Approve, Check::Manual(manual), _) => Ok(&manual.approvers),
        (Action::Approve, check, waivable_by) => {
            let hint = if waivable_by.is_some() { "; use --action Waive to waive it" } else { "" };
            Err(format!(
                "item {} of readinesschecklist/{checklist} is a {} check, not manual: only manual items are \
                 approved{hint}",
                item.name,
                check.key()
            ))
        }
        (Action::Waive, _, Some(waivable_by)) if !waivable_by.is_empty() => Ok(waivable_by),
        (Action::Waive, _, _) => {
            Err(format!("item {} of readinesschecklist/{checklist} has no waivableBy: it cannot be waived", item.name))
        }
    }
}

/// `--expires-at`, or now + `--valid-for`; in the future, and for an approval not past the
/// item's `validFor`, after which the approval stops counting anyway.
fn expiry(args: &SignoffArgs, item: &ChecklistItem, now: Timestamp) -> Result<Option<Timestamp>, String> {
    let expires_at = match (&args.expires_at, &args.valid_for) {
        (Some(at), _) => *at,
        (None, Some(valid_for)) => {
            now.checked_add(valid_for.as_span()).map_err(|_| format!("--valid-for {valid_for} is too long"))?
        }
        (None, None) => return Ok(None),
    };
    if expires_at <= now {
        return Err(format!("the sign-off would expire at {expires_at}, which is not in the future"));
    }
    if let (Action::Approve, Check::Manual(manual)) = (args.action, &item.check)
        && let Some(valid_for) = &manual.valid_for
        && let Ok(limit) = now.checked_add(valid_for.as_span())
        && expires_at > limit
    {
        return Err(format!(
            "the sign-off would expire at {expires_at}, later than item {} allows (approvals count for {valid_for}, \
             until {limit})",
            item.name
        ));
    }
    Ok(Some(expires_at))
}

/// `<checklist>-<item>-<user>-`, the user made DNS-safe (`system:serviceaccount:ci:deploy` ->
/// `system-serviceaccount-ci-deploy`), cut so the server's suffix fits.
pub fn generate_name(checklist: &str, item: &str, username: &str) -> String {
    let mut user = String::new();
    for c in username.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            user.push(c);
        } else if !user.is_empty() && !user.ends_with('-') {
            user.push('-');
        }
    }
    let user = user.trim_end_matches('-');
    let user = if user.is_empty() { "user" } else { user };
    let base: String = format!("{checklist}-{item}-{user}").chars().take(MAX_GENERATE_NAME - 1).collect();
    format!("{}-", base.trim_end_matches(['-', '.']))
}

fn describe_created(signoff: &ReadinessSignoff, dry_run: bool) -> String {
    let name = signoff.metadata.name.as_deref().unwrap_or("(unnamed)");
    let spec = &signoff.spec;
    let action = match spec.action {
        SignoffAction::Approve => "Approve",
        SignoffAction::Waive => "Waive",
    };
    let target = match &spec.release {
        Some(release) => format!("for release {release}"),
        None => format!("of readinesschecklist/{} (no release)", spec.checklist),
    };
    let expiry = spec.expires_at.as_ref().map(|t| format!(", until {}", t.0)).unwrap_or_default();
    let created = if dry_run { "created (server dry run)" } else { "created" };
    format!(
        "readinesssignoff/{name} {created}: {action} {} {target} as {}{expiry}\n",
        spec.item,
        describe_signer(&spec.signer)
    )
}

/// `alice (groups: cto, system:authenticated)`.
fn describe_signer(signer: &Signer) -> String {
    if signer.groups.is_empty() {
        format!("{} (no groups)", signer.username)
    } else {
        format!("{} (groups: {})", signer.username, signer.groups.join(", "))
    }
}

fn describe_principals(principals: &Principals) -> String {
    let mut parts: Vec<String> = principals.users.iter().map(|u| format!("user {u}")).collect();
    parts.extend(principals.groups.iter().map(|g| format!("group {g}")));
    if parts.is_empty() { "nobody (none listed)".to_owned() } else { parts.join(" or ") }
}

#[cfg(test)]
mod tests;
