//! The container args of the Deployment in `deploy/` (and those its components add) are flags
//! `readygate` accepts: parsed alone they print the help, and started for real they get as far
//! as talking to the cluster. A renamed flag breaks this test, not a rollout.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const DEPLOYMENT: &str = "deploy/deployment.yaml";
const COMPONENTS: &str = "deploy/components";
/// The JSON pointer components use to append a flag to the readygate container.
const ARGS_APPEND: &str = "/spec/template/spec/containers/0/args/-";

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// The args of the `readygate` container, as the kubelet passes them to the image's entrypoint.
fn deployment_args() -> Vec<String> {
    let deployment = yaml(&repo(DEPLOYMENT));
    assert_eq!(deployment["kind"], "Deployment");
    let containers = deployment["spec"]["template"]["spec"]["containers"].as_array().expect("containers");
    let container = containers.iter().find(|c| c["name"] == "readygate").expect("a container named readygate");
    let args = container["args"].as_array().expect("the container has args");
    args.iter().map(|a| a.as_str().expect("every arg is a string").to_owned()).collect()
}

/// `(component, flags it appends to the container's args)`, for every component that appends some.
fn component_args() -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(repo(COMPONENTS)).expect("deploy/components") {
        let path = entry.expect("entry").path().join("kustomization.yaml");
        if !path.exists() {
            continue;
        }
        let mut flags = Vec::new();
        for patch in yaml(&path)["patches"].as_array().into_iter().flatten() {
            let Some(text) = patch["patch"].as_str() else { continue };
            let ops: Value = serde_saphyr::from_str(text).expect("an inline patch is YAML");
            for op in ops.as_array().into_iter().flatten() {
                if op["op"] == "add" && op["path"] == ARGS_APPEND {
                    flags.push(op["value"].as_str().expect("a flag is a string").to_owned());
                }
            }
        }
        if !flags.is_empty() {
            found.push((path.display().to_string(), flags));
        }
    }
    found
}

fn readygate(args: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_readygate"));
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// Runs `command`, killing it after `limit`.
fn output_within(mut command: Command, limit: Duration) -> Output {
    let mut child = command.spawn().expect("readygate starts");
    let started = Instant::now();
    while child.try_wait().expect("polling readygate").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!("readygate still ran after {limit:?}:\n{}", String::from_utf8_lossy(&output.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn parses(args: &[String]) -> Output {
    let mut with_help = args.to_vec();
    with_help.push("--help".to_owned());
    output_within(readygate(&with_help), Duration::from_secs(30))
}

#[test]
fn the_deployments_args_parse_as_readygate_run_flags() {
    let args = deployment_args();
    assert_eq!(args.first().map(String::as_str), Some("run"), "the image's entrypoint expects a subcommand");
    // clap reads every value before it acts on a trailing --help: an unknown flag or a bad value
    // fails here exactly as it would in the pod.
    let output = parses(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?} do not parse: {stderr}");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.lines().any(|l| l.starts_with("Usage: readygate run")), "{help}");

    let mut broken = args.clone();
    broken.push("--no-such-flag".to_owned());
    let output = parses(&broken);
    assert_eq!(output.status.code(), Some(2), "an unknown flag before --help still fails");
}

#[test]
fn the_flags_components_add_parse_too() {
    let components = component_args();
    assert!(!components.is_empty(), "deploy/components/secret-checks appends --enable-secret-checks");
    for (component, flags) in components {
        let mut args = deployment_args();
        args.extend(flags);
        let output = parses(&args);
        assert!(output.status.success(), "{component}: {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
}

#[test]
fn readygate_started_with_the_deployments_args_fails_only_on_the_unreachable_cluster() {
    // A port nothing listens on: the pod's API server, unreachable.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port();
    let dir = tempfile::tempdir().expect("temporary directory");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: http://127.0.0.1:{closed}\n\
             contexts:\n- name: gone\n  context:\n    cluster: gone\n    user: nobody\n    namespace: default\n\
             current-context: gone\nusers:\n- name: nobody\n  user: {{}}\n"
        ),
    )
    .expect("writing the kubeconfig");

    let mut command = readygate(&deployment_args());
    // What the Deployment sets through the downward API.
    command.env("KUBECONFIG", &kubeconfig).env("POD_NAMESPACE", "readygate-system").env("POD_NAME", "readygate-0");
    command.env_remove("KUBERNETES_SERVICE_HOST").env("RUST_LOG", "off");
    let output = output_within(command, Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "a runtime failure (exit 1), not a usage error (exit 2): {stderr}");
    assert!(!stderr.lines().any(|l| l.starts_with("error:")), "clap rejected the args: {stderr}");
    let failure = stderr.lines().find(|l| l.starts_with("readygate run: ")).unwrap_or_else(|| panic!("{stderr}"));
    assert!(failure.to_ascii_lowercase().contains("connect"), "fails on the unreachable cluster: {failure}");
}
