use serde_json::json;

use super::*;

fn estimate(expr: &str, sizes: &Sizes) -> Result<f64, BudgetError> {
    // The environment `resource` checks compile with (macros such as `sortBy` included).
    let env = crate::checks::cel::ENV.as_ref().expect("the environment builds");
    let program = env.compile(expr).expect("parses");
    check(program.expression(), sizes)
}

fn static_cost(expr: &str) -> Result<f64, BudgetError> {
    estimate(expr, &Sizes::STATIC)
}

fn replace_chain(times: usize) -> String {
    format!("'a'{}.size() > 0", ".replace('a','aaaaaaaaaa')".repeat(times))
}

#[test]
fn nested_ranges_are_refused_with_their_estimate() {
    let expr = "lists.range(2000).all(a, lists.range(2000).all(b, lists.range(2000).all(c, true)))";
    let error = static_cost(expr).expect_err("over budget");
    let BudgetError::Cost { cost, limit } = error.clone() else { panic!("{error:?}") };
    // 2000^3 iterations, each costing a few units.
    assert!(cost > 8e9 && cost < 1e11, "{cost}");
    assert_eq!(limit, COST_LIMIT);
    let message = error.to_string();
    assert!(message.starts_with("estimated cost ") && message.ends_with("e10 exceeds the budget 1e7"), "{message}");
    // One level is cheap.
    assert!(static_cost("lists.range(2000).all(a, a >= 0)").expect("within") < 2e4);
}

#[test]
fn growing_strings_are_refused_before_they_are_built() {
    // Each replace multiplies the length by ten: 10^10 bytes after ten.
    assert!(matches!(static_cost(&replace_chain(10)), Err(BudgetError::Size { .. } | BudgetError::Cost { .. })));
    // Three are a kilobyte.
    assert!(static_cost(&replace_chain(3)).expect("within") < 1e3);
    // An empty needle matches between every two characters.
    assert!(static_cost(&format!("'{}'.replace('', 'xxxxxxxxxx').size() > 0", "a".repeat(1000))).is_ok());
    assert!(matches!(
        static_cost(
            "lists.range(100000).map(x, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa').join('').size() > 0"
        ),
        Err(BudgetError::Size { .. })
    ));
}

#[test]
fn ranges_need_a_bound() {
    // An int parsed at run time has no bound: refused whatever the object.
    let unbounded = static_cost("lists.range(int(object.metadata.name)).size() > 0").expect_err("unbounded");
    assert!(unbounded.to_string().contains("unbounded"), "{unbounded}");
    // An object's int is bounded by the largest int in it.
    assert!(static_cost("lists.range(object.spec.replicas).size() > 0").is_ok());
    let huge = Sizes::of(&json!({"spec": {"replicas": 1_000_000_000_000i64}}));
    assert!(estimate("lists.range(object.spec.replicas).size() > 0", &huge).is_err());
}

#[test]
fn unknown_functions_are_refused() {
    // `quantity` is a global function; called on a value it is no function at all.
    assert!(matches!(
        static_cost("object.quantity('1Gi') > 0"),
        Err(BudgetError::UnknownFunction { name, .. }) if name == "quantity"
    ));
    assert!(matches!(
        static_cost("object.spec.replicas.frobnicate() > 0"),
        Err(BudgetError::UnknownFunction { name, .. }) if name == "frobnicate"
    ));
    assert!(static_cost("object.metadata.name.upperAscii() == 'API'").is_ok());
    assert!(static_cost("math.greatest([1, 2]) == 2 && lists.range(3).size() == 3").is_ok());
}

#[test]
fn ordinary_rules_are_well_within_budget() {
    for expr in [
        "object.spec.replicas >= 3",
        "object.spec.template.spec.containers.all(c, c.image.contains(':'))",
        "object.spec.template.spec.containers.all(c, has(c.env) && c.env.all(e, e.name != 'DEBUG'))",
        "object.spec.groups.exists(g, g.rules.exists(r, has(r.alert) && r.alert == 'X' && r.expr.contains('y')))",
        "object.metadata.name.matches('^[a-z]+$')",
        "'app' in object.metadata.labels",
        "object.?spec.?paused.orValue(false) == false",
        "object.spec.template.spec.containers.map(c, c.name).sortBy(n, n)[0] != ''",
        "object.spec.template.spec.containers.filter(c, c.name.startsWith('x')).size() == 0",
        "object.spec.template.spec.containers.exists_one(c, c.name == 'api')",
        "has(object.parameters.iops) && int(object.parameters.iops) >= 10000",
    ] {
        let cost = static_cost(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert!(cost < COST_LIMIT / 5.0, "{expr}: {cost}");
    }
}

#[test]
fn the_actual_object_bounds_the_runtime_estimate() {
    let expr = "object.items.all(a, object.items.all(b, object.items.all(c, a != b || b != c)))";
    let small = Sizes::of(&json!({"items": [1, 2, 3]}));
    assert!(estimate(expr, &small).expect("small") < 5e3);
    let items: Vec<i64> = (0..1000).collect();
    let large = Sizes::of(&json!({ "items": items }));
    assert!(matches!(estimate(expr, &large), Err(BudgetError::Cost { .. })));
}

#[test]
fn sizes_record_the_largest_list_string_and_int() {
    let sizes = Sizes::of(&json!({"a": [1, 2, 3, -70000], "b": {"k": "hello"}, "long-key-name": null}));
    assert_eq!(sizes.entries, 4.0);
    assert_eq!(sizes.string, 13.0);
    assert_eq!(sizes.int, 70000.0);
    assert!(sizes.bytes[0] > sizes.bytes[1] && sizes.bytes[1] > sizes.bytes[2] && sizes.bytes[2] > 0.0);
    assert_eq!(sizes.bytes[3], 0.0);
}

#[test]
fn costs_are_stated_as_kubernetes_does() {
    assert_eq!(scientific(8.0e9), "8.0e9");
    assert_eq!(compact(1e7), "1e7");
    assert_eq!(scientific(12_345_678.0), "1.2e7");
    assert_eq!(scientific(42.0), "42");
    assert_eq!(scientific(f64::INFINITY), "unbounded");
}

#[test]
fn deeply_nested_comprehensions_are_estimated_in_linear_time() {
    let mut expr = "true".to_owned();
    for i in 0..40 {
        expr = format!("[].all(v{i}, {expr})");
    }
    // Parsing this deep needs more than a test thread's stack; `cel::compile` grows it.
    let env = cel::Env::stdlib();
    let program = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || env.compile(&expr).expect("parses"))
        .expect("thread")
        .join()
        .expect("joined");
    let started = std::time::Instant::now();
    assert!(check(program.expression(), &Sizes::STATIC).is_ok());
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn splitting_a_long_string_counts_its_bytes_once() {
    let long = Sizes::of(&json!({"text": "x,".repeat(25_000)}));
    assert!(estimate("object.text.split(',').size() > 3", &long).is_ok());
}
