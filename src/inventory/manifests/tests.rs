//! Parser scenarios: document splitting, Lists, namespaces, YAML quirks and error locations.

use super::*;
use crate::inventory::kinds;

fn parse(text: &str) -> Vec<Object> {
    parse_str(text, "test.yaml", "shop").expect("parses")
}

fn parse_error(text: &str) -> (Option<usize>, Option<usize>, String) {
    match parse_str(text, "test.yaml", "shop") {
        Err(Error::Manifest { path, document, line, message }) => {
            assert_eq!(path, "test.yaml");
            (document, line, message)
        }
        other => panic!("expected a manifest error, got {other:?}"),
    }
}

fn names(objects: &[Object]) -> Vec<String> {
    objects.iter().map(Object::reference).collect()
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n";

#[test]
fn reads_every_document_of_a_multi_document_stream() {
    let text = format!("{DEPLOYMENT}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\n");
    assert_eq!(names(&parse(&text)), ["deployment/api", "service/api"]);
}

#[test]
fn skips_empty_and_comment_only_documents_as_helm_renders_them() {
    let text = format!(
        "---\n# Source: chart/templates/empty.yaml\n---\n# Source: chart/templates/deployment.yaml\n{DEPLOYMENT}\
         ---\nnull\n---\n---\n"
    );
    assert_eq!(names(&parse(&text)), ["deployment/api"]);
    assert!(parse("").is_empty());
    assert!(parse("# nothing here\n").is_empty());
}

#[test]
fn gives_namespaced_objects_the_default_namespace_but_not_cluster_scoped_ones() {
    let text = format!(
        "{DEPLOYMENT}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: data\n"
    );
    let objects = parse(&text);
    let namespaces: Vec<Option<&str>> = objects.iter().map(|o| o.namespace.as_deref()).collect();
    assert_eq!(namespaces, [Some("shop"), None, Some("data")]);
}

#[test]
fn expands_lists_of_any_kind_into_their_items() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n\
                - apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: b}\n---\n\
                apiVersion: v1\nkind: ServiceList\nmetadata: {resourceVersion: '1'}\nitems:\n\
                - {apiVersion: v1, kind: Service, metadata: {name: c}}\n---\n\
                apiVersion: v1\nkind: ConfigMapList\nitems: []\n";
    assert_eq!(names(&parse(text)), ["service/a", "deployment/b", "service/c"]);
}

#[test]
fn list_items_must_carry_their_own_kind() {
    let text = "apiVersion: v1\nkind: ServiceList\nitems:\n- metadata: {name: a}\n";
    let (document, line, message) = parse_error(text);
    assert_eq!((document, line), (Some(1), Some(1)));
    assert_eq!(message, "items[0]: object has no apiVersion");
}

#[test]
fn a_kind_ending_in_list_without_items_is_an_ordinary_object() {
    let text = "apiVersion: example.io/v1\nkind: AllowList\nmetadata: {name: office}\nspec: {cidrs: []}\n";
    let objects = parse(text);
    assert_eq!(objects[0].kind_key, "AllowList.example.io");
}

#[test]
fn reads_json_objects_lists_and_concatenated_streams() {
    let text = r#"{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}]}
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}}"#;
    let objects = parse_str(text, "objects.json", "shop").expect("json");
    assert_eq!(names(&objects), ["service/a", "service/b"]);
}

#[test]
fn reads_flow_style_yaml_that_looks_like_json() {
    let text = "{ apiVersion: \"v1\", kind: Service, metadata: { name: web } }\n";
    assert_eq!(names(&parse(text)), ["service/web"]);
    let text = "---\n{ \"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": { \"name\": \"web\" } }\n";
    assert_eq!(names(&parse(text)), ["service/web"]);
}

#[test]
fn reports_json_syntax_errors_of_json_files_with_document_and_line() {
    let text = "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"a\"}}\n{\n  \"kind\": ,\n}";
    let Err(Error::Manifest { document, line, message, .. }) = parse_str(text, "bad.json", "shop") else {
        panic!("expected an error");
    };
    assert_eq!((document, line), (Some(2), Some(3)));
    assert!(message.contains("expected value"), "{message}");
}

#[test]
fn reports_yaml_syntax_errors_on_the_line_of_the_whole_file() {
    let text =
        format!("{DEPLOYMENT}---\n# Source: x\n{DEPLOYMENT}---\napiVersion: v1\nkind: [Service\nmetadata: {{}}\n");
    let (document, line, message) = parse_error(&text);
    assert_eq!(document, Some(3));
    assert_eq!(line, Some(14));
    assert!(message.contains("flow sequence") && !message.contains("line 14 column"), "{message}");
}

#[test]
fn reports_bad_indentation_in_the_document_where_it_occurs() {
    let text = format!("{DEPLOYMENT}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n namespace: b\n");
    let (document, line, _) = parse_error(&text);
    assert_eq!((document, line), (Some(2), Some(10)));
}

#[test]
fn an_object_without_kind_is_reported_at_the_start_of_its_document() {
    let text = format!("{DEPLOYMENT}---\n# Source: chart/templates/svc.yaml\napiVersion: v1\nmetadata:\n  name: a\n");
    let (document, line, message) = parse_error(&text);
    assert_eq!((document, line), (Some(2), Some(5)));
    assert_eq!(message, "object has no kind");
}

#[test]
fn a_bare_first_document_starts_at_its_first_content_line() {
    let (document, line, message) = parse_error("# leading comment\n\nkind: Service\nmetadata: {name: a}\n");
    assert_eq!((document, line), (Some(1), Some(3)));
    assert_eq!(message, "object has no apiVersion");
}

#[test]
fn an_object_without_a_name_names_its_kind() {
    let (_, _, message) = parse_error("apiVersion: v1\nkind: Service\nmetadata: {labels: {a: b}}\n");
    assert_eq!(message, "Service has no metadata.name");
    let (_, _, message) = parse_error("apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-}\n");
    assert!(message.contains("generateName"), "{message}");
}

#[test]
fn a_document_that_is_a_scalar_or_a_sequence_is_an_error_naming_it() {
    let (document, line, message) = parse_error(&format!("{DEPLOYMENT}---\njust some text\n"));
    assert_eq!((document, line), (Some(2), Some(5)));
    assert!(message.contains("document is a string"), "{message}");
    let (document, _, message) = parse_error("- a\n- b\n");
    assert_eq!(document, Some(1));
    assert!(message.contains("a sequence"), "{message}");
}

#[test]
fn applies_merge_keys_with_explicit_keys_winning() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  labels: &common\n    app: api\n    tier: web\n\
                data:\n  <<: *common\n  tier: backend\n";
    let objects = parse(text);
    assert_eq!(objects[0].get("/data/app"), Some(&serde_json::json!("api")));
    assert_eq!(objects[0].get("/data/tier"), Some(&serde_json::json!("backend")));
}

#[test]
fn keeps_the_value_of_a_tagged_node() {
    let objects = parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {mode: !custom fast}\n");
    assert_eq!(objects[0].str_at("/data/mode"), Some("fast"));
}

#[test]
fn keys_that_are_numbers_or_booleans_become_strings() {
    let objects = parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tcp}\ndata:\n  9000: default/app:8080\n");
    assert_eq!(objects[0].str_at("/data/9000"), Some("default/app:8080"));
}

#[test]
fn handles_crlf_line_endings_and_a_byte_order_mark() {
    let text = "\u{feff}apiVersion: v1\r\nkind: Service\r\nmetadata:\r\n  name: a\r\n---\r\nkind: Service\r\n";
    let (document, line, _) = parse_error(text);
    assert_eq!((document, line), (Some(2), Some(5)));
}

#[test]
fn document_end_markers_close_documents() {
    let text = format!("{DEPLOYMENT}...\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: a}}\n...\n");
    assert_eq!(names(&parse(&text)), ["deployment/api", "service/a"]);
}

#[test]
fn sources_tell_file_document_and_line() {
    let text = format!("# header\n{DEPLOYMENT}---\n\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: a}}\n");
    let loaded = parse_str_with_sources(&text, "app.yaml", "shop").expect("parses");
    let places: Vec<(&str, usize, Option<usize>)> =
        loaded.iter().map(|l| (l.source.path(), l.source.document(), l.source.line())).collect();
    assert_eq!(places, [("app.yaml", 1, Some(2)), ("app.yaml", 3, Some(8))]);
}

#[test]
fn secrets_are_redacted_as_they_are_loaded() {
    let objects = parse("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {PASSWORD: hunter2}\n");
    assert_eq!(objects[0].kind_key, kinds::SECRET);
    assert!(!objects[0].data.to_string().contains("hunter2"));
}

mod files {
    use std::fs;

    use super::*;

    fn write(dir: &std::path::Path, name: &str, text: &str) {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    fn service(name: &str) -> String {
        format!("apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n")
    }

    #[test]
    fn walks_folders_recursively_in_name_order_reading_only_manifests() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "b.yaml", &service("b"));
        write(dir.path(), "a/z.yml", &service("az"));
        write(dir.path(), "a/c.json", r#"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ac"}}"#);
        write(dir.path(), "README.md", "# not a manifest: {{ .Values }}");
        write(dir.path(), ".git/config.yaml", "not: [valid");
        let objects = load(&[dir.path().to_owned()], "shop").expect("loads");
        assert_eq!(names(&objects), ["service/ac", "service/az", "service/b"]);
    }

    #[test]
    fn passes_over_kustomize_build_configuration() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "base/kustomization.yaml", "resources: [service.yaml]\n");
        write(dir.path(), "base/service.yaml", &service("web"));
        write(dir.path(), "component.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n");
        let objects = load(&[dir.path().to_owned()], "shop").expect("loads");
        assert_eq!(names(&objects), ["service/web"]);
    }

    #[test]
    fn reads_a_named_file_whatever_its_extension() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "rendered.txt", &service("x"));
        let objects = load(&[dir.path().join("rendered.txt")], "shop").expect("loads");
        assert_eq!(names(&objects), ["service/x"]);
    }

    #[test]
    fn errors_name_the_file_they_occur_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "ok.yaml", &service("ok"));
        write(dir.path(), "sub/broken.yaml", &format!("{}---\nkind: Service\nmetadata: {{name: [b}}\n", service("a")));
        let error = load(&[dir.path().to_owned()], "shop").expect_err("fails");
        let text = error.to_string();
        assert!(text.contains("broken.yaml (document 2) line 6"), "{text}");
    }

    #[test]
    fn a_missing_path_is_an_io_error_naming_it() {
        let error = load(&[PathBuf::from("/no/such/manifests.yaml")], "shop").expect_err("fails");
        assert!(error.to_string().contains("/no/such/manifests.yaml"), "{error}");
    }

    fn mkfifo(path: &std::path::Path) {
        let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
        assert!(status.success(), "mkfifo {}", path.display());
    }

    #[test]
    fn folder_entries_that_are_no_regular_files_are_skipped_and_told() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "a.yaml", &service("a"));
        mkfifo(&dir.path().join("x.yaml"));
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.yaml")).expect("symlink");
        mkfifo(&dir.path().join("notes.txt"));
        let mut skipped = Vec::new();
        let mut objects = Vec::new();
        load_each(&[dir.path().to_owned()], "shop", &mut |s| skipped.push(s), &mut |o| objects.push(o)).expect("loads");
        assert_eq!(names(&objects), ["service/a"]);
        let told: Vec<String> = skipped.iter().map(ToString::to_string).collect();
        assert_eq!(
            told,
            [
                format!("skipped {}: a FIFO (named pipe), not a regular file", dir.path().join("x.yaml").display()),
                format!("skipped {}: a character device, not a regular file", dir.path().join("zero.yaml").display()),
            ]
        );
    }

    #[test]
    fn a_named_path_that_is_no_regular_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("x.yaml");
        mkfifo(&fifo);
        let link = dir.path().join("zero.yaml");
        std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
        for (path, what) in [(fifo, "a FIFO (named pipe)"), (link, "a character device")] {
            let error = load(std::slice::from_ref(&path), "shop").expect_err("refused").to_string();
            assert_eq!(
                error,
                format!("{}: {what}, not a regular file: only regular files and - (stdin) are read", path.display())
            );
        }
    }

    #[test]
    fn text_that_is_not_utf8_is_reported_with_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("latin1.yaml"), b"apiVersion: v1\nkind: Service\nmetadata: {name: caf\xe9}\n")
            .expect("write");
        let error = load(&[dir.path().to_owned()], "shop").expect_err("fails");
        assert!(error.to_string().contains("line 3: not UTF-8 text"), "{error}");
    }
}

mod checklists {
    use super::*;

    fn loaded(text: &str) -> Vec<Loaded> {
        parse_str_with_sources(text, "checklists.yaml", "shop").expect("parses")
    }

    const CHECKLIST: &str = "apiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata: {name: release}\n";

    #[test]
    fn separates_checklists_from_other_objects() {
        let text = format!("{CHECKLIST}spec: {{items: []}}\n---\n{DEPLOYMENT}");
        let (checklists, others) = split_checklists(loaded(&text));
        assert_eq!(checklists.len(), 1);
        assert_eq!(names(&others), ["deployment/api"]);
        let checklist = to_checklist(&checklists[0]).expect("valid");
        assert_eq!(checklist.metadata.namespace.as_deref(), Some("shop"));
    }

    #[test]
    fn a_wrong_field_type_names_the_item_and_field_path() {
        let text = format!(
            "{DEPLOYMENT}---\n{CHECKLIST}spec:\n  items:\n  - name: autoscaling\n    check:\n      \
             horizontalPodAutoscaler:\n        target: {{kind: Deployment, name: api}}\n        \
             minReplicas: {{atLeast: three}}\n"
        );
        let (checklists, _) = split_checklists(loaded(&text));
        let error = to_checklist(&checklists[0]).expect_err("invalid").to_string();
        assert_eq!(
            error,
            "checklists.yaml (document 2) line 5: readinesschecklist/release: spec.items[0] (autoscaling)\
             .check.horizontalPodAutoscaler.minReplicas.atLeast: invalid type: string \"three\", expected i64"
        );
    }

    #[test]
    fn a_misspelled_field_is_refused_like_strict_field_validation() {
        let text = format!(
            "{CHECKLIST}spec:\n  items:\n  - name: autoscaling\n    check:\n      horizontalPodAutoscaler:\n        \
             target: {{kind: Deployment, name: api}}\n        minReplica: {{atLeast: 3}}\n"
        );
        let (checklists, _) = split_checklists(loaded(&text));
        let error = to_checklist(&checklists[0]).expect_err("typo").to_string();
        assert!(
            error.contains("unknown field spec.items[0] (autoscaling).check.horizontalPodAutoscaler.minReplica"),
            "{error}"
        );
    }

    #[test]
    fn a_check_with_two_keys_lists_them() {
        let text = format!("{CHECKLIST}spec:\n  items:\n  - name: a\n    check: {{manual: {{}}, http: {{}}}}\n");
        let (checklists, _) = split_checklists(loaded(&text));
        let error = to_checklist(&checklists[0]).expect_err("invalid").to_string();
        assert!(
            error.ends_with("spec.items[0] (a).check: needs exactly one check key, found 2: http, manual"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_check_key_lists_the_known_ones() {
        let text = format!("{CHECKLIST}spec:\n  items:\n  - name: a\n    check: {{hpa: {{}}}}\n");
        let (checklists, _) = split_checklists(loaded(&text));
        let error = to_checklist(&checklists[0]).expect_err("invalid").to_string();
        assert!(error.contains("unknown variant `hpa`") && error.contains("horizontalPodAutoscaler"), "{error}");
    }

    #[test]
    fn another_api_version_is_refused() {
        let text = CHECKLIST.replace("v1alpha1", "v1beta1") + "spec: {items: []}\n";
        let (checklists, _) = split_checklists(loaded(&text));
        let error = to_checklist(&checklists[0]).expect_err("invalid").to_string();
        assert!(error.contains("unsupported apiVersion readygate.io/v1beta1"), "{error}");
    }
}

#[test]
fn refuses_duplicate_keys_instead_of_judging_the_last_object_written() {
    // Two objects run together without `---`: go-yaml (kubectl, Helm) refuses it, and keeping
    // the last value of each key would silently judge a Service nobody meant to write.
    let text =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n";
    let Err(Error::Manifest { document, message, .. }) = parse_str(text, "joined.yaml", "shop") else {
        panic!("duplicate keys must be refused");
    };
    assert_eq!(document, Some(1));
    assert!(message.contains("duplicate key \"apiVersion\""), "{message}");
}

mod hostile {
    use super::*;

    const CHECKLIST: &str = "apiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata: {name: r}\n";

    #[test]
    fn non_finite_numbers_are_refused_with_the_field_path() {
        for (spelled, text) in [
            (".inf", "spec:\n  items:\n  - name: a\n    check: {workload: {replicas: {atLeast: .inf}}}\n"),
            (".nan", "spec:\n  items:\n  - name: q\n    check: {resourceQuota: {maxUsedRatio: .NaN}}\n"),
            ("-.inf", "spec:\n  items:\n  - name: a\n    check: {workload: {replicas: {atMost: -.Inf}}}\n"),
        ] {
            let (document, line, message) = parse_error(&format!("{DEPLOYMENT}---\n{CHECKLIST}{text}"));
            assert_eq!((document, line), (Some(2), Some(12)), "{message}");
            assert!(message.starts_with("spec.items[0].check."), "{message}");
            assert!(message.contains(&format!("{spelled} is not a finite number")), "{message}");
        }
    }

    #[test]
    fn finite_floats_and_quoted_infinity_are_kept() {
        let objects = parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nratio: 0.5\ndata: {x: '.inf'}\n");
        assert_eq!(objects[0].get("/ratio"), Some(&serde_json::json!(0.5)));
        assert_eq!(objects[0].str_at("/data/x"), Some(".inf"));
    }

    #[test]
    fn deep_nesting_is_refused_naming_document_and_line() {
        let deep = format!("{DEPLOYMENT}---\n{DEPLOYMENT}spec: {}\n", "[".repeat(1 << 20));
        let (document, line, message) = parse_error(&deep);
        assert_eq!((document, line), (Some(2), Some(10)), "{message}");
        assert!(message.contains("nested more than 128 levels deep"), "{message}");
        // `{` first is tried as JSON, which stops at its own limit; the YAML fallback must too.
        let (document, _, message) = parse_error(&"{\"a\": ".repeat(1 << 18));
        assert_eq!(document, Some(1));
        assert!(message.contains("nested more than 128 levels deep"), "{message}");
    }

    #[test]
    fn nesting_within_the_limit_still_loads() {
        let value = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let objects = parse(&format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\nx: {value}\n"));
        assert_eq!(objects.len(), 1);
    }

    #[test]
    fn a_document_error_comes_before_a_later_syntax_error() {
        // Documents are read one at a time: the first bad one in file order is reported.
        let text = format!("kind: Service\nmetadata: {{name: a}}\n---\n{DEPLOYMENT}---\nmetadata: {{name: [b}}\n");
        let (document, line, message) = parse_error(&text);
        assert_eq!((document, line), (Some(1), Some(1)), "{message}");
        assert_eq!(message, "object has no apiVersion");
    }

    #[test]
    fn objects_reach_the_sink_one_document_at_a_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("stream.yaml");
        std::fs::write(&path, format!("{DEPLOYMENT}---\n{DEPLOYMENT}---\nkind: broken\n")).expect("write");
        let mut seen = Vec::new();
        let error = load_each(&[path], "shop", &mut |_| {}, &mut |object| seen.push(object.reference()))
            .expect_err("third document has no apiVersion");
        assert_eq!(seen, ["deployment/api", "deployment/api"], "{error}");
    }
}

mod pieces {
    use std::io::Cursor;

    use super::*;

    /// Parsing `text` whole and a piece at a time (cut wherever the rules allow) gives the same
    /// objects, or the same error with the same document and line.
    fn agree(text: &str) {
        let whole = parse_str(text, "test.yaml", "shop");
        for piece_bytes in [0, 1, 40, 1 << 20] {
            let mut objects = Vec::new();
            let mut reader = Cursor::new(text.as_bytes());
            let pieces = parse_reader(&mut reader, "test.yaml", "shop", piece_bytes, &mut |o| objects.push(o));
            match (&whole, pieces) {
                (Ok(expected), Ok(())) => assert_eq!(&objects, expected, "piece_bytes {piece_bytes}: {text:?}"),
                (Err(expected), Err(got)) => {
                    assert_eq!(got.to_string(), expected.to_string(), "piece_bytes {piece_bytes}: {text:?}");
                }
                (expected, got) => panic!("piece_bytes {piece_bytes}: whole {expected:?}, pieces {got:?}: {text:?}"),
            }
        }
    }

    #[test]
    fn pieces_read_as_the_whole_stream() {
        let service = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n";
        for text in [
            String::new(),
            format!("{DEPLOYMENT}---\n{service}"),
            format!("---\n# Source: x\n---\n{DEPLOYMENT}...\n---\nnull\n---\n---\n{service}"),
            format!("%YAML 1.2\n---\n{DEPLOYMENT}...\n%TAG !k! tag:k8s.io,2024:\n# c\n---\n{service}"),
            format!("{DEPLOYMENT}...\n{service}...\n"),
            "base: &b {apiVersion: v1, kind: Service}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: x}\n"
                .to_owned(),
            format!("{DEPLOYMENT}spec:\n  note: |\n    ---not a marker\n    text\n---\n{service}"),
            format!("\u{feff}{DEPLOYMENT}---\r\n{}", service.replace('\n', "\r\n")),
            format!("{DEPLOYMENT}---\n{service}---\nmetadata: {{name: [broken}}\n"),
            format!("{DEPLOYMENT}---\nkind: Service\nmetadata: {{name: a}}\n---\n{service}"),
            format!("{DEPLOYMENT}---\n{service}---\n{}spec: {}\n", service, "[".repeat(200)),
            format!("{DEPLOYMENT}---\n{service}x: .nan\n"),
            format!(
                "{{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {{\"name\": \"j\"}}}}\n---\n{service}"
            ),
            format!("{DEPLOYMENT}--- {{apiVersion: v1, kind: Service, metadata: {{name: inline}}}}\n"),
            // Found by the fuzz target: comments alone before the first `---` are no document.
            format!("# Backups\n# more\n---\n{DEPLOYMENT}---\nmetadata: {{name: [b}}\n"),
            format!("\n# c\n\n---\n{DEPLOYMENT}"),
        ] {
            agree(&text);
        }
    }

    #[test]
    fn text_that_is_not_utf8_names_the_streams_line() {
        let mut bytes = format!("{DEPLOYMENT}---\n").into_bytes();
        bytes.extend_from_slice(b"apiVersion: v1\nkind: Service\nmetadata: {name: caf\xe9}\n");
        let mut reader = Cursor::new(bytes);
        let error = parse_reader(&mut reader, "x.yaml", "shop", 0, &mut |_| {}).expect_err("not UTF-8");
        assert_eq!(error.to_string(), "x.yaml line 8: not UTF-8 text");
    }

    #[test]
    fn a_large_stream_is_cut_between_documents() {
        let text: String =
            (0..5000).map(|i| format!("---\n{}", DEPLOYMENT.replace("name: api", &format!("name: a{i}")))).collect();
        let mut reader = Cursor::new(text.as_bytes());
        let mut pieces = stream::Pieces::new(&mut reader, "x.yaml", 4096, 1 << 20);
        let mut cut = 0;
        let mut lines = 1;
        while let Some(piece) = pieces.next_piece().expect("reads") {
            assert!(piece.text.starts_with("---\n"), "{:?}", &piece.text[..20]);
            assert_eq!(piece.first_line, lines);
            lines += piece.text.lines().count();
            cut += 1;
        }
        assert!(cut > 20, "{cut} pieces");
    }
}

#[test]
fn a_document_larger_than_the_limit_is_refused_before_it_is_read_whole() {
    use std::io::Cursor;
    let small: String =
        (0..50).map(|i| format!("---\n{}", DEPLOYMENT.replace("name: api", &format!("name: a{i}")))).collect();
    let big = format!(
        "apiVersion: v1\nkind: List\nitems:\n{}",
        "- {apiVersion: v1, kind: Service, metadata: {name: s}}\n".repeat(100)
    );
    let text = format!("{small}---\n{big}");
    let mut reader = Cursor::new(text.as_bytes());
    let mut pieces = stream::Pieces::new(&mut reader, "x.yaml", 0, 2048);
    let error = loop {
        match pieces.next_piece() {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the List is larger than the limit"),
            Err(error) => break error.to_string(),
        }
    };
    assert!(error.starts_with("x.yaml line 251: a document larger than 0 MiB is refused"), "{error}");
    // Many small documents are no large document.
    let mut reader = Cursor::new(small.as_bytes());
    let mut pieces = stream::Pieces::new(&mut reader, "x.yaml", 0, 2048);
    while pieces.next_piece().expect("small documents").is_some() {}
}
