//! `readygate check` and friends, run as the real binary against fixture files in a temp dir.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

const NOW: &str = "2026-11-25T10:00:00Z";

/// A release checklist: a Critical version item (Go with `--kube-version` >= 1.28, Unknown
/// without, NoGo below) and, with `signoff`, a Critical manual item alice must approve.
fn checklist(name: &str, signoff: bool) -> String {
    let mut text = format!(
        "apiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata:\n  name: {name}\nspec:\n  \
         release: v1.0.0\n  items:\n  - name: version\n    title: Kubernetes 1.28 or newer\n    \
         section: Platform\n    severity: Critical\n    check: {{kubernetesVersion: {{atLeast: \"1.28\"}}}}\n"
    );
    if signoff {
        text.push_str(
            "  - name: cto-signoff\n    title: CTO signed off\n    section: Sign-off\n    severity: Critical\n    \
             check: {manual: {approvers: {users: [alice]}}}\n",
        );
    }
    text
}

/// alice's approval of `cto-signoff` on checklist `release`, in `namespace` or none.
fn signoff(namespace: Option<&str>) -> String {
    let namespace = namespace.map(|ns| format!("  namespace: {ns}\n")).unwrap_or_default();
    format!(
        "apiVersion: readygate.io/v1alpha1\nkind: ReadinessSignoff\nmetadata:\n  name: cto-approval\n{namespace}  \
         creationTimestamp: \"2026-11-24T10:00:00Z\"\nspec:\n  checklist: release\n  item: cto-signoff\n  \
         action: Approve\n  release: v1.0.0\n  reason: reviewed the plan\n  signer: {{username: alice}}\n"
    )
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n";

struct Workspace {
    dir: TempDir,
}

impl Workspace {
    fn new() -> Self {
        Workspace { dir: tempfile::tempdir().expect("tempdir") }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn readygate() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_readygate"));
    command.env_remove("NO_COLOR");
    command
}

/// `readygate check --now NOW <args>`, returning exit code, stdout and stderr.
fn check(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut command = readygate();
    command.arg("check").arg("--now").arg(NOW).args(args);
    if let Some(input) = stdin {
        command.write_stdin(input);
    }
    let output = command.output().expect("runs");
    let stdout = String::from_utf8(output.stdout).expect("utf-8 stdout");
    let stderr = String::from_utf8(output.stderr).expect("utf-8 stderr");
    assert!(!stderr.contains("panicked"), "no panics: {stderr}");
    (output.status.code().expect("exit code"), stdout, stderr)
}

fn arg(path: &std::path::Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn json_of(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("json output ({e}): {stdout}"))
}

fn state_of(report: &Value, item: &str) -> String {
    report["items"].as_array().expect("items").iter().find(|i| i["name"] == item).expect("item")["state"]
        .as_str()
        .expect("state")
        .to_owned()
}

mod exit_codes {
    use super::*;

    #[test]
    fn exits_zero_when_every_checklist_is_go() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", false));
        let (code, stdout, stderr) = check(&["-f", arg(&cl), "--kube-version", "1.31"], None);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.starts_with("checklist default/release: Go\n"), "{stdout}");
        assert!(stdout.contains("Passed   Critical  version"), "{stdout}");
    }

    #[test]
    fn exits_one_when_a_critical_item_fails() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", false));
        let (code, stdout, _) = check(&["-f", arg(&cl), "--kube-version", "1.27"], None);
        assert_eq!(code, 1, "{stdout}");
        assert!(stdout.contains("NoGo: 1 item: 1 failed; blocking: version"), "{stdout}");
    }

    #[test]
    fn exits_three_when_a_critical_item_cannot_be_decided_offline() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", false));
        let (code, stdout, _) = check(&["-f", arg(&cl)], None);
        assert_eq!(code, 3, "{stdout}");
        assert!(stdout.contains("Skipped  Critical  version"), "{stdout}");
    }

    #[test]
    fn no_go_wins_over_unknown_across_checklists() {
        let ws = Workspace::new();
        ws.write("checklists/a.yaml", &checklist("unknown-one", false));
        ws.write("checklists/b.yaml", &checklist("release", true));
        let (code, stdout, _) = check(&["-f", arg(&ws.path("checklists")), "-o", "json"], None);
        assert_eq!(code, 1, "{stdout}");
        let reports = json_of(&stdout);
        let decisions: Vec<&str> =
            reports.as_array().expect("list").iter().map(|c| c["decision"].as_str().expect("decision")).collect();
        assert_eq!(decisions, ["Unknown", "NoGo"]);
    }

    #[test]
    fn exits_two_when_the_checklist_files_hold_no_checklist() {
        let ws = Workspace::new();
        let manifests = ws.write("deploy.yaml", DEPLOYMENT);
        let (code, stdout, stderr) = check(&["-f", arg(&manifests)], None);
        assert_eq!(code, 2);
        assert!(stdout.is_empty());
        assert!(stderr.starts_with("readygate: error: no ReadinessChecklist found in "), "{stderr}");
    }

    #[test]
    fn exits_two_when_a_path_does_not_exist() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", false));
        let missing = ws.path("nowhere.yaml");
        let (code, _, stderr) = check(&["-f", arg(&cl), arg(&missing)], None);
        assert_eq!(code, 2);
        assert!(stderr.contains("nowhere.yaml") && stderr.contains("No such file"), "{stderr}");
    }

    #[test]
    fn exits_two_on_a_malformed_flag() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", false));
        let (code, _, stderr) = check(&["-f", arg(&cl), "--kube-version", "latest"], None);
        assert_eq!(code, 2);
        assert!(stderr.contains("invalid Kubernetes version"), "{stderr}");
    }
}

mod bad_input {
    use super::*;

    #[test]
    fn invalid_yaml_names_path_document_and_line() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", false));
        let broken = ws.write(
            "broken.yaml",
            &format!("{DEPLOYMENT}---\napiVersion: v1\nkind: Service\nmetadata: {{name: [db}}\n"),
        );
        let (code, stdout, stderr) = check(&["-f", arg(&cl), arg(&broken)], None);
        assert_eq!(code, 2);
        assert!(stdout.is_empty(), "{stdout}");
        assert!(stderr.contains("broken.yaml (document 2) line 10: "), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line, no debug dump: {stderr}");
    }

    #[test]
    fn an_object_without_api_version_names_its_document() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", false));
        let manifests = ws.write(
            "app.yaml",
            &format!("{DEPLOYMENT}---\n# Source: chart/svc.yaml\nkind: Service\nmetadata: {{name: db}}\n"),
        );
        let (code, _, stderr) = check(&["-f", arg(&cl), arg(&manifests)], None);
        assert_eq!(code, 2);
        assert!(stderr.contains("app.yaml (document 2) line 7: object has no apiVersion"), "{stderr}");
    }

    #[test]
    fn a_checklist_field_of_the_wrong_type_is_named_with_its_item() {
        let ws = Workspace::new();
        let text = checklist("release", false).replace("atLeast: \"1.28\"", "atLeast: [1, 28]");
        let cl = ws.write("checklist.yaml", &text);
        let (code, _, stderr) = check(&["-f", arg(&cl)], None);
        assert_eq!(code, 2);
        assert!(
            stderr.contains(
                "checklist.yaml (document 1) line 1: readinesschecklist/release: \
                 spec.items[0] (version).check.kubernetesVersion.atLeast: invalid type: sequence, expected a string"
            ),
            "{stderr}"
        );
    }

    #[test]
    fn every_invalid_item_is_reported_not_just_the_first() {
        let ws = Workspace::new();
        let text =
            checklist("release", true).replace("name: cto-signoff", "name: version").replace("\"1.28\"", "\"new\"");
        let cl = ws.write("checklist.yaml", &format!("{DEPLOYMENT}---\n{text}"));
        let (code, _, stderr) = check(&["-f", arg(&cl)], None);
        assert_eq!(code, 2);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{stderr}");
        assert!(lines[0].contains("(document 2) line 7: readinesschecklist/release: spec.items[0] (version).check.kubernetesVersion.atLeast: invalid Kubernetes version"), "{stderr}");
        assert!(lines[1].ends_with("spec.items[1] (version).name: duplicate of items[0]"), "{stderr}");
    }

    #[test]
    fn a_pdb_minimum_over_100_percent_is_bad_input_not_an_item_error() {
        let ws = Workspace::new();
        let text = format!(
            "{}  - name: pdb\n    check:\n      workload:\n        target: {{kind: Deployment, name: api}}\n        \
             podDisruptionBudget: {{minAvailable: \"150%\"}}\n",
            checklist("release", false)
        );
        let cl = ws.write("checklist.yaml", &text);
        let manifests = ws.write("deployment.yaml", DEPLOYMENT);
        let (code, stdout, stderr) = check(&["-f", arg(&cl), arg(&manifests)], None);
        assert_eq!(code, 2, "{stdout}");
        assert!(
            stderr.contains(
                "readinesschecklist/release: spec.items[1] (pdb).check.workload.podDisruptionBudget.minAvailable: \
                 \"150%\" is not a percentage from 0% to 100%"
            ),
            "{stderr}"
        );
    }

    #[test]
    fn the_same_checklist_twice_is_refused() {
        let ws = Workspace::new();
        let a = ws.write("a.yaml", &checklist("release", false));
        let b = ws.write("b.yaml", &checklist("release", false));
        let (code, _, stderr) = check(&["-f", arg(&a), "-f", arg(&b)], None);
        assert_eq!(code, 2);
        assert!(stderr.contains("readinesschecklist/release in namespace default is given twice"), "{stderr}");
    }

    #[test]
    fn stdin_cannot_feed_both_checklists_and_manifests() {
        let (code, _, stderr) = check(&["-f", "-", "-"], Some(&checklist("release", false)));
        assert_eq!(code, 2);
        assert!(stderr.contains("stdin (-) can be read only once"), "{stderr}");
    }
}

mod inputs {
    use super::*;

    #[test]
    fn reads_manifests_from_stdin() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", true));
        let (code, stdout, stderr) = check(&["-f", arg(&cl), "--kube-version", "1.31", "-"], Some(&signoff(None)));
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.contains("approved by alice (readinesssignoff/cto-approval)"), "{stdout}");
    }

    #[test]
    fn reads_checklists_from_stdin() {
        let (code, stdout, _) = check(&["-f", "-", "--kube-version", "1.31"], Some(&checklist("release", false)));
        assert_eq!(code, 0, "{stdout}");
    }

    #[test]
    fn walks_manifest_folders_recursively_skipping_hidden_folders_and_other_files() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", true));
        ws.write("manifests/app/deployment.yaml", DEPLOYMENT);
        ws.write("manifests/release/approvals/cto.yml", &signoff(None));
        ws.write("manifests/NOTES.txt", "not: [yaml");
        ws.write("manifests/.git/broken.yaml", "not: [yaml");
        let (code, stdout, stderr) =
            check(&["-f", arg(&cl), "--kube-version", "1.31", arg(&ws.path("manifests"))], None);
        assert_eq!(code, 0, "{stdout}{stderr}");
    }

    #[test]
    fn expands_list_kinds() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", true));
        let item = signoff(None).lines().map(|l| format!("  {l}\n")).collect::<String>().replacen("  ", "- ", 1);
        let list = ws.write("list.yaml", &format!("apiVersion: v1\nkind: List\nitems:\n{item}"));
        let (code, stdout, stderr) = check(&["-f", arg(&cl), "--kube-version", "1.31", arg(&list)], None);
        assert_eq!(code, 0, "{stdout}{stderr}");
    }

    #[test]
    fn reads_json_manifests() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", true));
        let value: Value = serde_saphyr::from_str(&signoff(None)).expect("yaml");
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [value]});
        let json = ws.write("signoffs.json", &list.to_string());
        let (code, stdout, _) = check(&["-f", arg(&cl), "--kube-version", "1.31", arg(&json)], None);
        assert_eq!(code, 0, "{stdout}");
    }

    #[test]
    fn signoffs_kept_beside_the_checklist_count() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &format!("{}---\n{}", checklist("release", true), signoff(None)));
        let (code, stdout, _) = check(&["-f", arg(&cl), "--kube-version", "1.31"], None);
        assert_eq!(code, 0, "{stdout}");
    }

    #[test]
    fn the_namespace_flag_places_objects_that_name_none() {
        let ws = Workspace::new();
        let text = checklist("release", true).replace("  name: release\n", "  name: release\n  namespace: shop\n");
        let cl = ws.write("checklist.yaml", &text);
        let approvals = ws.write("signoff.yaml", &signoff(None));
        let args = ["-f", arg(&cl), "--kube-version", "1.31", "-o", "json", arg(&approvals)];
        let (code, stdout, _) = check(&args, None);
        assert_eq!(code, 1, "the sign-off landed in namespace default: {stdout}");
        assert_eq!(state_of(&json_of(&stdout)[0], "cto-signoff"), "Pending");
        let (code, stdout, _) = check(&[&args[..], &["--namespace", "shop"]].concat(), None);
        assert_eq!(code, 0, "{stdout}");
        assert_eq!(json_of(&stdout)[0]["namespace"], "shop");
    }

    #[test]
    fn a_checklist_may_require_another_given_alongside() {
        let ws = Workspace::new();
        let platform = ws.write("platform.yaml", &checklist("platform", false));
        let app = ws.write(
            "app.yaml",
            "apiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata: {name: app}\nspec:\n  items:\n  \
             - {name: platform-ready, severity: Critical, check: {checklist: {name: platform}}}\n",
        );
        let (code, stdout, _) = check(&["-f", arg(&app), "-f", arg(&platform), "--kube-version", "1.27"], None);
        assert_eq!(code, 1, "{stdout}");
        assert!(stdout.contains("readinesschecklist/platform is NoGo"), "{stdout}");
    }
}

/// Objects the API server would refuse to store are judged as what they are, never as what
/// reading them leniently would make of them.
mod broken_objects {
    use super::*;

    #[test]
    fn a_network_policy_with_ingress_of_the_wrong_shape_is_no_default_deny() {
        let ws = Workspace::new();
        let cl = ws.write(
            "checklist.yaml",
            "apiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata:\n  name: release\nspec:\n  \
             release: v1.0.0\n  items:\n  - name: deny\n    title: Ingress denied by default\n    \
             section: Network\n    severity: Critical\n    check: {networkPolicy: {defaultDenyIngress: true}}\n",
        );
        let manifests = ws.write(
            "policy.yaml",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: bad\nspec:\n  \
             podSelector: {}\n  policyTypes: [Ingress]\n  ingress: \"x\"\n",
        );
        let (code, stdout, stderr) = check(&["-f", arg(&cl), arg(&manifests), "-o", "json"], None);
        assert_eq!(code, 1, "{stdout}{stderr}");
        let report = &json_of(&stdout)[0];
        assert_eq!(state_of(report, "deny"), "Failed", "{stdout}");
        assert!(stdout.contains("networkpolicy/bad: spec.ingress: invalid type"), "{stdout}");
    }
}

#[path = "cli/outputs.rs"]
mod outputs;

#[path = "cli/hostile.rs"]
mod hostile;

mod commands {
    use super::*;

    #[test]
    fn works_as_a_kubectl_plugin() {
        let ws = Workspace::new();
        let plugin = ws.path("kubectl-readygate");
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_readygate"), &plugin).expect("symlink");
        let output = std::process::Command::new(&plugin).arg("--help").output().expect("runs");
        assert!(output.status.success());
        let help = String::from_utf8(output.stdout).expect("utf-8");
        assert!(help.contains("Usage: kubectl readygate <COMMAND>"), "{help}");
    }

    #[test]
    fn usage_errors_exit_two() {
        let output = readygate().arg("check").output().expect("runs");
        assert_eq!(output.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&output.stderr).contains("--filename <CHECKLIST>"));
    }
}
