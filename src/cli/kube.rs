//! Cluster access for the live subcommands (`status`, `signoff`): the client from kubeconfig or
//! in-cluster config, a runtime to drive it, reading checklists, and API errors worded for people.

use std::future::Future;
use std::time::Duration;

use ::kube::api::{Api, DynamicObject, ListParams};
use ::kube::config::{Config, KubeConfigOptions};
use ::kube::core::ApiResource;
use clap::Args;

use super::{EXIT_BAD_INPUT, report_errors};
use crate::api::ReadinessChecklist;

/// A request that gets no answer for this long fails instead of hanging the command.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Which cluster to talk to: the kubeconfig in `KUBECONFIG` (or `~/.kube/config`), else the
/// in-cluster service account, as kubectl does.
#[derive(Clone, Debug, Default, Args)]
pub struct ClusterArgs {
    /// The kubeconfig context to use (default: the current context)
    #[arg(long, value_name = "CONTEXT")]
    pub context: Option<String>,
}

/// A client and the namespace commands use when none is given (the context's, else `default`).
pub struct Cluster {
    pub client: ::kube::Client,
    pub default_namespace: String,
    /// The API server's address, for error messages.
    pub url: String,
}

/// Builds the client. Nothing is sent yet, so an unreachable server shows on the first request.
pub async fn connect(args: &ClusterArgs) -> Result<Cluster, String> {
    let mut config = match &args.context {
        Some(context) => {
            let options = KubeConfigOptions { context: Some(context.clone()), ..KubeConfigOptions::default() };
            Config::from_kubeconfig(&options)
                .await
                .map_err(|e| format!("cannot load kubeconfig context {context}: {e}"))?
        }
        None => Config::infer().await.map_err(|e| format!("cannot load the Kubernetes configuration: {e}"))?,
    };
    config.read_timeout.get_or_insert(READ_TIMEOUT);
    let url = config.cluster_url.to_string();
    let default_namespace = config.default_namespace.clone();
    let client = ::kube::Client::try_from(config).map_err(|e| format!("cannot build a Kubernetes client: {e}"))?;
    Ok(Cluster { client, default_namespace, url })
}

/// Runs an async subcommand to its exit code on a runtime of its own.
pub fn block_on(command: impl Future<Output = u8>) -> u8 {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(command),
        Err(e) => {
            report_errors([format!("starting the async runtime: {e}")]);
            EXIT_BAD_INPUT
        }
    }
}

/// Says what went wrong talking to the API: the server's own message for refusals, "cannot
/// reach" with the transport's cause chain for everything before an answer.
pub fn describe_error(error: &::kube::Error, url: &str) -> String {
    match error {
        ::kube::Error::Api(status) => {
            let reason = if status.reason.is_empty() { String::new() } else { format!(" {}", status.reason) };
            format!("{} ({}{reason})", status.message, status.code)
        }
        ::kube::Error::HyperError(cause) => {
            format!("cannot reach the Kubernetes API at {url}: {}", crate::error::chain(cause))
        }
        ::kube::Error::Service(cause) => {
            format!("cannot reach the Kubernetes API at {url}: {}", crate::error::chain(cause.as_ref()))
        }
        other => crate::error::chain(other),
    }
}

fn checklist_resource() -> ApiResource {
    ApiResource::erase::<ReadinessChecklist>(&())
}

/// One checklist, or `None` when it does not exist. A stored object this version cannot read
/// is an error naming it, not a failure to decode "the response".
pub async fn get_checklist(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
) -> Result<Option<ReadinessChecklist>, String> {
    let api: Api<DynamicObject> = Api::namespaced_with(cluster.client.clone(), namespace, &checklist_resource());
    let object = api.get_opt(name).await.map_err(|e| describe_error(&e, &cluster.url))?;
    object.map(decode).transpose()
}

/// The checklists of a namespace (or of all, with `None`), in the server's order, each decoded
/// on its own: those this version cannot read come back as errors beside the others.
pub async fn list_checklists(
    cluster: &Cluster,
    namespace: Option<&str>,
) -> Result<Vec<Result<ReadinessChecklist, String>>, String> {
    let resource = checklist_resource();
    let api: Api<DynamicObject> = match namespace {
        Some(namespace) => Api::namespaced_with(cluster.client.clone(), namespace, &resource),
        None => Api::all_with(cluster.client.clone(), &resource),
    };
    let list = api.list(&ListParams::default()).await.map_err(|e| match &e {
        ::kube::Error::Api(status) if status.is_not_found() => {
            "the cluster does not serve readinesschecklists.readygate.io: are the readygate CRDs installed?".to_owned()
        }
        _ => describe_error(&e, &cluster.url),
    })?;
    Ok(list.items.into_iter().map(decode).collect())
}

fn decode(object: DynamicObject) -> Result<ReadinessChecklist, String> {
    let name = object.metadata.name.clone().unwrap_or_default();
    let namespace = object.metadata.namespace.clone().unwrap_or_default();
    serde_json::to_value(object)
        .and_then(serde_json::from_value)
        .map_err(|e| format!("readinesschecklist/{name} in namespace {namespace} cannot be read: {e}"))
}

/// A namespace name is a DNS-1123 label, as the API server requires; checking it here keeps a
/// typo from becoming a confusing request path.
pub fn parse_namespace(text: &str) -> Result<String, String> {
    if is_dns_label(text) {
        Ok(text.to_owned())
    } else {
        Err(format!("{text:?} is not a valid namespace name (a DNS-1123 label)"))
    }
}

/// An object name is a DNS-1123 subdomain for both readygate kinds.
pub fn parse_object_name(text: &str) -> Result<String, String> {
    let valid = !text.is_empty() && text.len() <= 253 && text.split('.').all(is_dns_label);
    if valid { Ok(text.to_owned()) } else { Err(format!("{text:?} is not a valid object name (a DNS-1123 subdomain)")) }
}

fn is_dns_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dns_labels_as_namespaces_and_refuses_the_rest() {
        assert!(parse_namespace("novacron-prod").is_ok());
        assert!(parse_namespace("Prod").is_err());
        assert!(parse_namespace("-prod").is_err());
        assert!(parse_namespace("a/b").is_err());
        assert!(parse_namespace(&"a".repeat(64)).is_err());
    }

    #[test]
    fn accepts_dotted_object_names_but_not_path_segments() {
        assert!(parse_object_name("novacron-v1.0").is_ok());
        assert!(parse_object_name("..").is_err());
        assert!(parse_object_name("a/b").is_err());
        assert!(parse_object_name("").is_err());
    }

    #[test]
    fn words_api_refusals_with_the_servers_message_and_code() {
        let status = ::kube::core::Status::failure("readinesschecklists.readygate.io \"x\" is forbidden", "Forbidden")
            .with_code(403);
        let error = ::kube::Error::Api(status.boxed());
        assert_eq!(
            describe_error(&error, "https://k8s:6443/"),
            "readinesschecklists.readygate.io \"x\" is forbidden (403 Forbidden)"
        );
    }
}
