//! Input an attacker controls: files that are no files, reference chains, non-finite numbers,
//! terminal escapes, deep nesting and large streams. The cases that used to hang or crash run
//! the binary under a timeout and an address-space limit, so a regression fails instead of
//! hanging CI or taking the machine's memory.

use std::time::Duration;

use super::*;

/// Address space any `readygate check` here may use, in KiB, beyond what its input needs: the
/// binary, its libraries, thread stacks and allocator arenas (it runs in under 100 MiB).
const BASE_KIB: usize = 160 * 1024;

/// `readygate check --now NOW <args>` limited to `limit_kib` of address space and `timeout`.
fn check_bounded(args: &[&str], limit_kib: usize, timeout: Duration) -> (i32, String, String) {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -v {limit_kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_readygate"))
        .args(["check", "--now", NOW])
        .args(args)
        .env_remove("NO_COLOR")
        .timeout(timeout);
    let output = command.output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output.status.code().unwrap_or_else(|| panic!("killed (timeout or signal): {stderr}"));
    assert!(!stderr.contains("panicked") && !stderr.contains("memory allocation"), "{stderr}");
    (code, stdout, stderr)
}

fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

mod files_that_are_no_files {
    use super::*;

    #[test]
    fn a_fifo_and_a_device_in_a_folder_are_skipped_with_a_note() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", true));
        ws.write("manifests/signoff.yaml", &signoff(None));
        mkfifo(&ws.path("manifests/x.yaml"));
        std::os::unix::fs::symlink("/dev/zero", ws.path("manifests/zero.yaml")).expect("symlink");
        let manifests = ws.path("manifests");
        let args = ["-f", arg(&cl), "--kube-version", "1.31", arg(&manifests)];
        let (code, stdout, stderr) = check_bounded(&args, BASE_KIB, Duration::from_secs(60));
        assert_eq!(code, 0, "{stdout}{stderr}");
        let fifo = ws.path("manifests/x.yaml");
        let zero = ws.path("manifests/zero.yaml");
        assert_eq!(
            stderr,
            format!(
                "readygate: note: skipped {}: a FIFO (named pipe), not a regular file\n\
                 readygate: note: skipped {}: a character device, not a regular file\n",
                fifo.display(),
                zero.display()
            )
        );
    }

    #[test]
    fn a_fifo_or_a_device_named_on_the_command_line_is_refused() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", false));
        let fifo = ws.path("x.yaml");
        mkfifo(&fifo);
        let zero = ws.path("zero.yaml");
        std::os::unix::fs::symlink("/dev/zero", &zero).expect("symlink");
        for (path, what) in [(&fifo, "a FIFO (named pipe)"), (&zero, "a character device")] {
            for args in [vec!["-f", arg(&cl), arg(path)], vec!["-f", arg(path)]] {
                let (code, stdout, stderr) = check_bounded(&args, BASE_KIB, Duration::from_secs(60));
                assert_eq!(code, 2, "{stdout}{stderr}");
                assert_eq!(
                    stderr,
                    format!(
                        "readygate: error: {}: {what}, not a regular file: only regular files and - (stdin) are read\n",
                        path.display()
                    )
                );
            }
        }
    }

    #[test]
    fn stdin_is_still_read() {
        let (code, stdout, stderr) = check(&["-f", "-", "--kube-version", "1.31"], Some(&checklist("release", false)));
        assert_eq!(code, 0, "{stdout}{stderr}");
    }
}

#[test]
fn a_checklist_chain_longer_than_the_stack_is_evaluated() {
    // 17,500 links overflowed the stack (exit 134); 15,000 passed.
    const LINKS: usize = 20_000;
    let mut text = String::new();
    for i in 0..LINKS {
        let check = if i + 1 < LINKS {
            format!("{{checklist: {{name: c{}}}}}", i + 1)
        } else {
            "{kubernetesVersion: {atLeast: \"1.28\"}}".to_owned()
        };
        text.push_str(&format!(
            "---\napiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata: {{name: c{i}}}\n\
             spec:\n  items:\n  - {{name: next, severity: Critical, check: {check}}}\n"
        ));
    }
    let ws = Workspace::new();
    let chain = ws.write("chain.yaml", &text);
    let args = ["-f", arg(&chain), "--kube-version", "1.31", "-o", "json"];
    let (code, stdout, stderr) = check_bounded(&args, BASE_KIB + 512 * 1024, Duration::from_secs(300));
    assert_eq!(code, 0, "{stderr}");
    let reports = json_of(&stdout);
    assert_eq!(reports.as_array().map(Vec::len), Some(LINKS));
    assert_eq!(reports[0]["items"][0]["message"], "readinesschecklist/c1 is Go");
}

#[test]
fn a_checklist_cycle_is_still_an_error_naming_the_reference() {
    let ws = Workspace::new();
    let cycle = ws.write(
        "cycle.yaml",
        "apiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata: {name: a}\nspec:\n  items:\n  \
         - {name: b, severity: Critical, check: {checklist: {name: b}}}\n---\n\
         apiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata: {name: b}\nspec:\n  items:\n  \
         - {name: a, severity: Critical, check: {checklist: {name: a}}}\n",
    );
    let (code, stdout, _) = check(&["-f", arg(&cycle), "-o", "json"], None);
    assert_eq!(code, 3, "{stdout}");
    let reports = json_of(&stdout);
    assert_eq!(reports[1]["items"][0]["message"], "checklist reference cycle through readinesschecklist/a");
    assert_eq!(reports[1]["items"][0]["state"], "Error");
}

mod non_finite_numbers {
    use super::*;

    fn refused(item: &str, manifests: Option<&str>) -> String {
        let ws = Workspace::new();
        let text = format!(
            "apiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata: {{name: release}}\nspec:\n  \
             items:\n  - {item}\n"
        );
        let cl = ws.write("checklist.yaml", &text);
        let mut args = vec!["-f", arg(&cl)];
        let quota = manifests.map(|m| ws.write("quota.yaml", m));
        if let Some(quota) = &quota {
            args.push(arg(quota));
        }
        let (code, stdout, stderr) = check(&args, None);
        assert_eq!(code, 2, "{stdout}{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        stderr
    }

    #[test]
    fn infinity_is_refused_naming_the_field() {
        let stderr = refused(
            "{name: replicas, severity: Critical, check: {workload: {target: {kind: Deployment, name: api}, \
             replicas: {atLeast: .inf}}}}",
            None,
        );
        assert!(
            stderr.contains("checklist.yaml (document 1) line 6: spec.items[0].check.workload.replicas.atLeast: .inf is not a finite number"),
            "{stderr}"
        );
    }

    #[test]
    fn nan_is_refused_even_where_any_ratio_would_pass() {
        let quota = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec: {hard: {pods: \"10\"}}\n\
                     status: {hard: {pods: \"10\"}, used: {pods: \"10\"}}\n";
        let stderr =
            refused("{name: quota, severity: Critical, check: {resourceQuota: {maxUsedRatio: .nan}}}", Some(quota));
        assert!(
            stderr.contains("spec.items[0].check.resourceQuota.maxUsedRatio: .nan is not a finite number"),
            "{stderr}"
        );
    }

    #[test]
    fn in_manifests_too() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", false));
        let manifests =
            ws.write("app.yaml", &format!("{DEPLOYMENT}---\n{}", DEPLOYMENT.replace("replicas: 3", "replicas: -.inf")));
        let (code, _, stderr) = check(&["-f", arg(&cl), arg(&manifests)], None);
        assert_eq!(code, 2);
        assert!(
            stderr.contains("app.yaml (document 2) line 13: spec.replicas: -.inf is not a finite number"),
            "{stderr}"
        );
    }
}

#[test]
fn titles_sections_and_names_cannot_drive_the_terminal() {
    let ws = Workspace::new();
    let text = checklist("release", false)
        .replace("title: Kubernetes 1.28 or newer", "title: \"\\e]0;pwned\\a\\e[2JKubernetes\"")
        .replace("section: Platform", "section: \"Platform\\nforged: row\"");
    let cl = ws.write("checklist.yaml", &text);
    for output in ["table", "markdown"] {
        let (code, stdout, _) = check(&["-f", arg(&cl), "--kube-version", "1.31", "-o", output], None);
        assert_eq!(code, 0, "{stdout}");
        assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{7}'), "{output}: {stdout:?}");
        assert!(!stdout.contains("\nforged: row"), "{output}: {stdout}");
        assert!(stdout.contains("\\u{1b}"), "{output}: {stdout}");
    }
}

mod large_and_deep_input {
    use super::*;

    #[test]
    fn megabytes_of_brackets_are_refused_at_once() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", false));
        let deep = ws.write("deep.yaml", &"[".repeat(6 << 20));
        // The 6 MiB text and little else: the old path buffered a gigabyte of events first.
        let (code, _, stderr) =
            check_bounded(&["-f", arg(&cl), arg(&deep)], BASE_KIB + 64 * 1024, Duration::from_secs(60));
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("deep.yaml (document 1) line 1: collections nested more than 128 levels deep"),
            "{stderr}"
        );
    }

    /// `count` small Deployments in the default namespace, about 320 bytes each.
    fn deployments(count: usize) -> String {
        let mut text = String::with_capacity(count * 330);
        for i in 0..count {
            text.push_str(&format!(
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i:07}\n  labels: {{app: app-{i:07}}}\n\
                 spec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: app-{i:07}}}\n  template:\n    metadata:\n      \
                 labels: {{app: app-{i:07}}}\n    spec:\n      containers:\n      - name: app\n        \
                 image: registry.example.com/app:1.0.{i}\n"
            ));
        }
        text
    }

    #[test]
    fn a_stream_of_which_one_object_is_judged_stays_within_three_times_its_size() {
        let ws = Workspace::new();
        let cl = ws.write(
            "checklist.yaml",
            "apiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata: {name: release}\nspec:\n  items:\n  \
             - {name: replicas, severity: Critical, check: {workload: {target: {kind: Deployment, name: app-0000001}, \
             replicas: {atLeast: 2}}}}\n",
        );
        let stream = deployments(62_000);
        let size_kib = stream.len() / 1024;
        let path = ws.write("stream.yaml", &stream);
        drop(stream);
        // Every Deployment is kept (the checklist reads the kind), as compact text; one is built.
        let limit = BASE_KIB + 3 * size_kib;
        let (code, stdout, stderr) = check_bounded(&["-f", arg(&cl), arg(&path)], limit, Duration::from_secs(300));
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.contains("deployment/app-0000001 meets replicas"), "{stdout}");
    }

    #[test]
    fn a_stream_no_checklist_reads_costs_about_its_size() {
        let ws = Workspace::new();
        let cl = ws.write("checklist.yaml", &checklist("release", false));
        let stream = deployments(62_000);
        let size_kib = stream.len() / 1024;
        assert!(size_kib > 19 * 1024, "{size_kib} KiB");
        let path = ws.write("stream.yaml", &stream);
        drop(stream);
        // Three times the stream: it was 28 times before objects no checklist reads were dropped.
        let limit = BASE_KIB + 3 * size_kib;
        let (code, stdout, stderr) =
            check_bounded(&["-f", arg(&cl), "--kube-version", "1.31", arg(&path)], limit, Duration::from_secs(300));
        assert_eq!(code, 0, "{stdout}{stderr}");
    }
}
