use serde_json::json;

use super::*;

fn eval(expr: &str, object: Value) -> Result<bool, EvalError> {
    let program = compile(expr).expect("compiles");
    Bound::new(&object).eval_bool(&program)
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "labels": {"app": "api", "tier": "backend"}},
        "spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "api", "image": "ghcr.io/novacron/api:1.0.0", "resources": {"limits": {"cpu": "1"}}},
            {"name": "proxy", "image": "envoy:v1.31"}
        ]}}}
    })
}

#[test]
fn kubernetes_style_expressions_evaluate() {
    assert_eq!(eval("object.spec.replicas >= 3", deployment()), Ok(true));
    assert_eq!(eval("object.metadata.labels['tier'] == 'backend'", deployment()), Ok(true));
    assert_eq!(eval("'app' in object.metadata.labels", deployment()), Ok(true));
    assert_eq!(eval("object.spec.template.spec.containers.all(c, c.image.contains(':'))", deployment()), Ok(true));
    assert_eq!(eval("object.spec.template.spec.containers.exists(c, c.name == 'proxy')", deployment()), Ok(true));
    assert_eq!(eval("size(object.spec.template.spec.containers) == 2", deployment()), Ok(true));
    assert_eq!(
        eval("object.metadata.name.startsWith('a') && object.metadata.name.upperAscii() == 'API'", deployment()),
        Ok(true)
    );
    assert_eq!(eval("object.metadata.name.matches('^[a-z]+$')", deployment()), Ok(true));
    assert_eq!(eval("matches(object.metadata.name, 'p')", deployment()), Ok(true));
    assert_eq!(eval("object.metadata.name.matches('^x')", deployment()), Ok(false));
}

#[test]
fn absent_fields_are_errors_unless_guarded_with_has_or_optionals() {
    let unguarded = eval("object.spec.template.spec.containers.all(c, c.resources.limits.cpu != '')", deployment());
    assert_eq!(unguarded, Err(EvalError::Object("No such key: resources".to_owned())));
    let guarded = "object.spec.template.spec.containers.all(c, has(c.resources) && has(c.resources.limits))";
    assert_eq!(eval(guarded, deployment()), Ok(false));
    assert_eq!(eval("object.?spec.?paused.orValue(false) == false", deployment()), Ok(true));
    assert_eq!(eval("has(object.spec.paused)", deployment()), Ok(false));
}

#[test]
fn whole_numbers_are_ints_and_others_doubles() {
    let object = json!({"a": 3, "b": 2.5, "c": 18_446_744_073_709_551_615u64, "d": null});
    assert_eq!(eval("object.a == 3 && object.b > 2.0 && object.c > 0u && object.d == null", object.clone()), Ok(true));
    // Ordering across int and double works, as in cel-go; a field of an unexpected type fails
    // the object.
    assert_eq!(eval("object.b > 2", object.clone()), Ok(true));
    assert!(matches!(eval("object.a.startsWith('3')", object), Err(EvalError::Object(_))));
}

#[test]
fn unknown_names_and_non_bool_results_are_expression_errors() {
    assert!(
        matches!(eval("obj.spec.replicas > 1", deployment()), Err(EvalError::Expression(m)) if m.contains("'obj'"))
    );
    assert_eq!(
        eval("object.spec.replicas", deployment()),
        Err(EvalError::Expression("returned int, expected bool".to_owned()))
    );
}

#[test]
fn syntax_errors_carry_cels_position() {
    let message = check_expression("object.spec.replicas >").expect_err("syntax error").to_string();
    assert!(message.starts_with("ERROR: <input>:1:"), "{message}");
    assert!(message.contains("Syntax error"), "{message}");
    assert!(check_expression("").is_err());
    assert!(check_expression(&"1 + ".repeat(2000)).expect_err("too long").to_string().contains("longer than"));
    assert_eq!(check_expression("object.spec.replicas > 1"), Ok(()));
}

#[test]
fn compiled_programs_are_shared_from_the_cache() {
    let first = compile("object.kind == 'Deployment'").expect("compiles");
    let second = compile("object.kind == 'Deployment'").expect("compiles");
    assert!(Arc::ptr_eq(&first, &second));
    assert!(first.static_cost() > 0.0);
}

#[test]
fn programs_and_bindings_work_across_threads() {
    let program = compile("object.spec.replicas == 3").expect("compiles");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let program = Arc::clone(&program);
            std::thread::spawn(move || Bound::new(&deployment()).eval_bool(&program))
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().expect("thread"), Ok(true));
    }
}

#[test]
fn invalid_constant_patterns_and_unknown_functions_are_refused_when_compiled() {
    let message = check_expression("object.metadata.name.matches('(')").expect_err("invalid").to_string();
    assert!(message.starts_with("matches(): invalid regular expression \"(\""), "{message}");
    // A function the environment lacks: refused with cel-go's message, not failed per object.
    assert_eq!(
        check_expression("object.spec.replicas > 0 &&\n  quantty(object.spec.cpu).sign() > 0"),
        Err(CompileError::Invalid(
            "ERROR: <input>:2:10: undeclared reference to 'quantty' (in container '')".to_owned()
        ))
    );
    // A pattern that is not a constant is compiled when called; an invalid one fails the
    // object, without quoting the pattern (it may come from the object).
    let object = json!({"pattern": "(hunter2", "name": "api"});
    assert_eq!(
        eval("object.name.matches(object.pattern)", object),
        Err(EvalError::Object("'matches' failed on a value of the object (not shown)".to_owned()))
    );
}

#[test]
fn the_issues_abusive_expressions_are_refused_when_compiled() {
    let nested = "lists.range(2000).all(a, lists.range(2000).all(b, lists.range(2000).all(c, true)))";
    let message = check_expression(nested).expect_err("over budget").to_string();
    assert!(message.starts_with("CEL expression's estimated cost "), "{message}");
    assert!(message.ends_with("exceeds the budget 1e7"), "{message}");
    let growth = format!("'a'{}.size() > 0", ".replace('a','aaaaaaaaaa')".repeat(10));
    assert!(matches!(check_expression(&growth), Err(CompileError::Budget(_))));
}

#[test]
fn an_object_too_large_for_an_admitted_expression_is_refused_before_evaluation() {
    // Every port is unique: quadratic in the list.
    let expr = "object.spec.ports.all(p, object.spec.ports.exists_one(q, q.port == p.port))";
    assert!(check_expression(expr).is_ok());
    assert_eq!(eval(expr, json!({"spec": {"ports": [{"port": 80}, {"port": 443}]}})), Ok(true));
    let ports: Vec<Value> = (0..3000).map(|port| json!({ "port": port })).collect();
    let items = json!({ "ports": ports });
    let started = std::time::Instant::now();
    let outcome = eval(expr, json!({ "spec": items }));
    assert!(matches!(&outcome, Err(EvalError::Budget(m)) if m.starts_with("estimated cost ")), "{outcome:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "refused before running");
}

#[test]
fn managed_fields_and_the_last_applied_annotation_are_not_bound() {
    let object = json!({
        "metadata": {"name": "api", "managedFields": [{"manager": "kubectl"}],
                     "annotations": {LAST_APPLIED: "{\"password\":\"hunter2\"}", "team": "a"}},
    });
    assert_eq!(eval("has(object.metadata.managedFields)", object.clone()), Ok(false));
    assert_eq!(eval(&format!("'{LAST_APPLIED}' in object.metadata.annotations"), object.clone()), Ok(false));
    assert_eq!(eval("object.metadata.annotations.team == 'a'", object), Ok(true));
}

#[test]
fn errors_never_quote_a_value_of_the_object() {
    let digest = "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7";
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "auth"},
                        "data": {"password": {"bytes": 7, "sha256": digest}}});
    let env = json!({"spec": {"containers": [{"env": [{"name": "TOKEN", "value": "hunter2"}]}]}});
    for (expr, object) in [
        ("object.data + 1 == 2", &secret),
        ("object.data[object.data.password.sha256] == 'x'", &secret),
        ("object.data.password.sha256 + 1 == 2", &secret),
        ("int(object.data.password.sha256) == 2", &secret),
        ("object.data.password.sha256 > 1", &secret),
        ("{object.data.password.sha256: 1, object.data.password.sha256: 2}.size() == 1", &secret),
        ("object.spec.containers[0].env[0].value + 1 == 2", &env),
        ("object.spec.containers[0].env[0].value.matches(object.spec.containers[0].env[0].value + '(')", &env),
        ("object.spec[object.spec.containers[0].env[0].value] == 1", &env),
        ("object.spec.containers[0].env.all(e, object.spec[e.value] == 1)", &env),
        ("base64.decode(object.spec.containers[0].env[0].value) == b''", &env),
        ("duration(object.spec.containers[0].env[0].value) > duration('1s')", &env),
    ] {
        let outcome = eval(expr, object.clone());
        let message = format!("{outcome:?}");
        assert!(outcome.is_err(), "{expr}: {message}");
        for value in [digest, "hunter2", "aHVudGVyMg"] {
            assert!(!message.contains(value), "{expr}: {message}");
        }
    }
}

#[test]
fn expressions_nested_as_deep_as_the_parser_allows_compile_and_run_on_a_small_stack() {
    let mut expr = "true".to_owned();
    for i in 0..45 {
        expr = format!("[{i}].all(v{i}, {expr})");
    }
    // A 1 MiB thread: less than a tokio worker's. Without a grown stack this aborts the process.
    let outcome = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let program = compile(&expr).expect("within the parser's limit");
            Bound::new(&json!({})).eval_bool(&program)
        })
        .expect("thread")
        .join()
        .expect("no overflow");
    assert_eq!(outcome, Ok(true));
}

/// Runs `f` on its own thread and fails the test if it has not finished within `seconds`: a
/// regression to a runaway evaluation fails instead of hanging the suite.
fn within<T: Send + 'static>(seconds: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(f()));
    receiver.recv_timeout(std::time::Duration::from_secs(seconds)).expect("finished in time")
}

#[test]
fn a_refused_pattern_from_the_object_is_compiled_once_not_per_element() {
    // Before, a pattern over the size limit was compiled (and refused) again for every element.
    let items: Vec<String> = (0..50).map(|i| format!("name-{i}")).collect();
    let object = json!({ "items": items, "pattern": "\\w{1000}{1000}" });
    let outcome = within(30, move || {
        let program = compile("object.items.all(s, s.matches(object.pattern))").expect("compiles");
        Bound::new(&object).eval_bool(&program)
    });
    assert_eq!(outcome, Err(EvalError::Object("'matches' failed on a value of the object (not shown)".to_owned())));
}

#[test]
fn a_constant_pattern_is_compiled_with_the_program() {
    let items: Vec<String> = (0..1000).map(|i| format!("name-{i}")).collect();
    let object = json!({ "items": items });
    let outcome = within(30, move || {
        let program = compile("object.items.all(s, s.matches('^[a-z]+-[0-9]+$'))").expect("compiles");
        Bound::new(&object).eval_bool(&program)
    });
    assert_eq!(outcome, Ok(true));
    assert!(crate::checks::patterns::compiled("^[a-z]+-[0-9]+$", crate::checks::patterns::Match::Search).is_ok());
}

#[test]
fn every_function_registers_without_a_clash() {
    // A clash used to be dropped silently, leaving a function missing; now it refuses every
    // expression with the reason, so the environment must build.
    assert!(super::environment().is_ok(), "{:?}", super::environment().err());
    assert!(compile("'abc'.matches('^a') && [1, 2].distinct().size() == 2").is_ok());
}
