//! The Kubernetes documentation's examples for each library (the godoc of
//! `k8s.io/apiserver/pkg/cel/library` and the "CEL in Kubernetes" page), as `resource` rules
//! evaluate them, and the error cases.

use serde_json::{Value, json};

use crate::checks::cel::{Bound, CompileError, EvalError, check_expression, compile};
use crate::checks::fixtures::assert_starts_with;

fn eval_on(expr: &str, object: &Value) -> Result<bool, EvalError> {
    let program = compile(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    Bound::new(object).eval_bool(&program)
}

fn eval(expr: &str) -> Result<bool, EvalError> {
    eval_on(expr, &json!({}))
}

/// Each expression holds.
fn holds(exprs: &[&str]) {
    for expr in exprs {
        assert_eq!(eval(expr), Ok(true), "{expr}");
    }
}

/// Each expression fails on evaluation with an error that says `message`.
fn fails(cases: &[(&str, &str)]) {
    for (expr, message) in cases {
        match eval(expr) {
            Err(EvalError::Object(m)) => assert!(m.contains(message), "{expr}: {m}"),
            other => panic!("{expr}: {other:?}"),
        }
    }
}

#[test]
fn the_libraries_register_on_a_fresh_environment_without_clashes() {
    let mut env = cel::Env::stdlib();
    for extension in [cel::extensions::strings, cel::extensions::lists, cel::extensions::math] {
        env.add_extension(extension).expect("extension");
    }
    assert_eq!(super::register(&mut env), Ok(()));
}

#[test]
fn quantity_documentation_examples() {
    holds(&[
        "isQuantity('1.3G')",
        "isQuantity('1.3Gi')",
        "!isQuantity('1,3G')",
        "isQuantity('10000k')",
        "!isQuantity('200K')",
        "!isQuantity('Three')",
        "!isQuantity('Mi')",
        "quantity('1.5G') == quantity('1500M')",
        "quantity('200k').asInteger() == 200000",
        "quantity('50000000G').isInteger()",
        "quantity('50k').isInteger()",
        "!quantity('9999999999999999999999999999999999999G').isInteger()",
        "quantity('50k').asInteger() == 50000",
        "quantity('50k').sub(20000).asApproximateFloat() == 30000.0",
        "quantity('50k').add(quantity('20k')) == quantity('70k')",
        "quantity('50k').add(20) == quantity('50020')",
        "quantity('50k').sub(quantity('20k')) == quantity('30k')",
        "quantity('50k').sub(20000) == quantity('30k')",
        "quantity('50k').add(20).sub(quantity('100k')).sub(-50000) == quantity('20')",
        "quantity('200M').compareTo(quantity('0.2G')) == 0",
        "quantity('50M').compareTo(quantity('50Mi')) == -1",
        "quantity('50Mi').compareTo(quantity('50M')) == 1",
        "quantity('150Mi').isGreaterThan(quantity('100Mi'))",
        "!quantity('50Mi').isGreaterThan(quantity('100Mi'))",
        "quantity('50M').isLessThan(quantity('100M'))",
        "!quantity('100M').isLessThan(quantity('50M'))",
    ]);
    fails(&[
        ("quantity('200K') == quantity('1')", "unable to parse quantity's suffix"),
        ("quantity('Three') == quantity('1')", "quantities must match the regular expression"),
        ("quantity('Mi') == quantity('1')", "quantities must match the regular expression"),
        ("quantity('9999999999999999999999999999999999999G').asInteger() == 0", "cannot convert value to integer"),
    ]);
}

#[test]
fn quantities_are_exact_rounded_to_nanos_and_capped_like_the_api_servers() {
    holds(&[
        "quantity('-10').sign() == -1 && quantity('0').sign() == 0 && quantity('1m').sign() == 1",
        "quantity('1k') == quantity('1000') && quantity('1Ki') != quantity('1k')",
        "quantity('500m').isLessThan(quantity('1')) && !quantity('500m').isInteger()",
        "quantity('1500m').asApproximateFloat() == 1.5",
        "quantity('1e3').asInteger() == 1000 && quantity('12e-3') == quantity('12m')",
        // Sums are exact where doubles are not.
        "quantity('0.1').add(quantity('0.2')) == quantity('0.3')",
        // Finer than a nano rounds up, away from zero.
        "quantity('0.1n') == quantity('1n') && quantity('-0.1n') == quantity('-1n')",
        // A binary quantity over int64's range is capped to it; a decimal one is not.
        "quantity('9Ei') == quantity('9223372036854775807') && quantity('9E').isInteger()",
        "!quantity('10E').isInteger() && quantity('10E').asApproximateFloat() == 1e19",
    ]);
    // Ours alone: values of 10^1000 and more are refused, to bound what arithmetic costs.
    holds(&["!isQuantity('1e1000') && isQuantity('1e999') && isQuantity('1e-1000000')"]);
    fails(&[("quantity('1e999').add(quantity('9e999')) == quantity('0')", "out of range")]);
}

#[test]
fn quantities_read_from_the_object() {
    let pod = json!({"spec": {"containers": [
        {"name": "a", "resources": {"limits": {"memory": "512Mi", "cpu": "500m"}}},
        {"name": "b", "resources": {"limits": {"memory": "1Gi", "cpu": "2"}}},
    ]}});
    let within = "object.spec.containers.all(c, quantity(c.resources.limits.memory).compareTo(quantity('1Gi')) <= 0)";
    assert_eq!(eval_on(within, &pod), Ok(true));
    let cpu = "object.spec.containers.map(c, quantity(c.resources.limits.cpu).asApproximateFloat()).sum() == 2.5";
    assert_eq!(eval_on(cpu, &pod), Ok(true));
    // A value that is not a quantity fails the object, without quoting it.
    let bad = json!({"spec": {"containers": [{"resources": {"limits": {"memory": "hunter2"}}}]}});
    let outcome = eval_on(within, &bad);
    assert!(matches!(&outcome, Err(EvalError::Object(m)) if !m.contains("hunter2")), "{outcome:?}");
}

#[test]
fn url_documentation_examples() {
    holds(&[
        "isURL('https://user:pass@example.com:80/path?query=val#fragment')",
        "isURL('/absolute-path')",
        "!isURL('https://a:b:c/')",
        "!isURL('../relative-path')",
        "url('/path').getScheme() == ''",
        "url('https://example.com/').getScheme() == 'https'",
        "url('https://example.com:80/').getHost() == 'example.com:80'",
        "url('https://example.com/').getHost() == 'example.com'",
        "url('https://[::1]:80/').getHost() == '[::1]:80'",
        "url('https://[::1]/').getHost() == '[::1]'",
        "url('/path').getHost() == ''",
        "url('https://example.com:80/').getHostname() == 'example.com'",
        "url('https://127.0.0.1:80/').getHostname() == '127.0.0.1'",
        "url('https://[::1]:80/').getHostname() == '::1'",
        "url('/path').getHostname() == ''",
        "url('https://example.com:80/').getPort() == '80'",
        "url('https://example.com/').getPort() == ''",
        "url('/path').getPort() == ''",
        "url('https://example.com/path').getEscapedPath() == '/path'",
        "url('https://example.com/path with spaces/').getEscapedPath() == '/path%20with%20spaces/'",
        "url('https://example.com').getEscapedPath() == ''",
        "url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}",
        "url('https://example.com/path?key with spaces=value with spaces').getQuery() == {'key with spaces': ['value with spaces']}",
        "url('https://example.com/path?').getQuery() == {}",
        "url('https://example.com/path').getQuery() == {}",
    ]);
    fails(&[
        ("url('https://a:b:c/').getHost() == ''", "URL parse error during conversion from string: invalid port"),
        ("url('../relative-path').getHost() == ''", "invalid URI for request"),
    ]);
}

#[test]
fn urls_follow_go_not_whatwg() {
    holds(&[
        // The port is kept even where it is the scheme's default, and the host's case.
        "url('http://Example.COM:80/').getPort() == '80' && url('http://Example.COM:80/').getHost() == 'Example.COM:80'",
        "url('HTTPS://example.com/').getScheme() == 'https'",
        // Dot segments stay, escapes as written stay when valid.
        "url('https://example.com/a/../b').getEscapedPath() == '/a/../b'",
        "url('https://example.com/a%2Fb').getEscapedPath() == '/a%2Fb'",
        // The fragment is not part of the path or the query.
        "url('https://example.com/p?q=1#frag').getQuery() == {'q': ['1']}",
        "url('https://example.com/p#frag').getEscapedPath() == '/p'",
        // Opaque URIs are URLs with no host or path.
        "isURL('mailto:someone@example.com') && url('mailto:someone@example.com').getHost() == ''",
        // Query pairs with `;` or bad escapes are dropped; `+` is a space.
        "url('https://e.com/?a=1;b=2&c=x+y&d=%zz').getQuery() == {'c': ['x y']}",
        "isURL('*') && !isURL('') && !isURL('https://exa mple.com/') && !isURL('http://[::1/')",
    ]);
}

#[test]
fn ip_documentation_examples() {
    holds(&[
        "isIP('127.0.0.1')",
        "isIP('::1')",
        "!isIP('127.0.0.256')",
        "!isIP(':::1')",
        "ip.isCanonical('127.0.0.1')",
        "ip.isCanonical('2001:db8::abcd')",
        "!ip.isCanonical('2001:DB8::ABCD')",
        "!ip.isCanonical('2001:db8::0:0:0:abcd')",
        "ip('127.0.0.1').family() == 4",
        "ip('::1').family() == 6",
        "ip('0.0.0.0').isUnspecified()",
        "!ip('127.0.0.1').isUnspecified()",
        "ip('::').isUnspecified()",
        "!ip('::1').isUnspecified()",
        "ip('127.0.0.1').isLoopback()",
        "!ip('192.168.0.1').isLoopback()",
        "ip('::1').isLoopback()",
        "!ip('2001:db8::abcd').isLoopback()",
        "ip('224.0.0.1').isLinkLocalMulticast()",
        "!ip('224.0.1.1').isLinkLocalMulticast()",
        "ip('ff02::1').isLinkLocalMulticast()",
        "!ip('fd00::1').isLinkLocalMulticast()",
        "ip('169.254.169.254').isLinkLocalUnicast()",
        "!ip('192.168.0.1').isLinkLocalUnicast()",
        "ip('fe80::1').isLinkLocalUnicast()",
        "!ip('fd80::1').isLinkLocalUnicast()",
        "ip('192.168.0.1').isGlobalUnicast()",
        "!ip('255.255.255.255').isGlobalUnicast()",
        "ip('2001:db8::abcd').isGlobalUnicast()",
        "!ip('ff00::1').isGlobalUnicast()",
        "ip('127.0.0.1') == ip('127.0.0.1') && ip('::1') != ip('127.0.0.1')",
        "string(ip('2001:DB8::0:0:0:ABCD')) == '2001:db8::abcd'",
    ]);
    // Refused as Kubernetes refuses them: mapped, zoned, leading zeros.
    holds(&["!isIP('::ffff:1.2.3.4') && !isIP('fe80::1%eth0') && !isIP('01.2.3.4') && !isIP('1.2.3')"]);
    fails(&[
        ("ip('127.0.0.256').family() == 4", "IP Address parse error"),
        ("ip('::ffff:1.2.3.4').family() == 6", "IPv4-mapped IPv6 address is not allowed"),
    ]);
}

#[test]
fn cidr_documentation_examples() {
    holds(&[
        "isCIDR('192.168.0.0/16')",
        "isCIDR('::1/128')",
        "!isCIDR('192.168.0.0/33')",
        "!isCIDR('::1/129')",
        "cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))",
        "!cidr('192.168.0.0/24').containsIP(ip('192.168.1.1'))",
        "cidr('192.168.0.0/24').containsIP('192.168.0.1')",
        "!cidr('192.168.0.0/24').containsIP('192.168.1.1')",
        "cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24'))",
        "!cidr('192.168.1.0/24').containsCIDR(cidr('192.168.2.0/24'))",
        "cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24')",
        "!cidr('192.168.1.0/24').containsCIDR('192.168.2.0/24')",
        "cidr('192.168.0.1/24').ip() == ip('192.168.0.1')",
        "cidr('192.168.0.1/24').ip().family() == 4",
        "cidr('::1/128').ip() == ip('::1')",
        "cidr('::1/128').ip().family() == 6",
        "cidr('192.168.0.0/24').masked() == cidr('192.168.0.0/24')",
        "cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')",
        "cidr('192.168.0.0/24') == cidr('192.168.0.0/24').masked()",
        "cidr('192.168.0.1/24') != cidr('192.168.0.1/24').masked()",
        "cidr('192.168.0.0/16').prefixLength() == 16",
        "cidr('::1/128').prefixLength() == 128",
        "string(cidr('2001:db8::/32')) == '2001:db8::/32'",
        // Families never contain each other; a shorter prefix is not inside a longer one.
        "!cidr('2001:db8::/32').containsIP('192.168.1.1') && !cidr('10.0.0.0/16').containsCIDR('10.0.0.0/8')",
    ]);
    // The godoc says `cidr('192.168.0.1/16')` is an error; the implementation (and its own
    // `.ip()`/`.masked()` examples) accept host bits: we follow the implementation.
    holds(&[
        "isCIDR('192.168.0.1/16')",
        "!isCIDR('::ffff:1.2.3.4/120') && !isCIDR('10.0.0.0/08') && !isCIDR('10.0.0.0')",
    ]);
    fails(&[
        ("cidr('192.168.0.0/33').prefixLength() == 33", "network address parse error"),
        ("cidr('10.0.0.0/8').containsIP('10.0.0.256')", "IP Address parse error"),
    ]);
}

#[test]
fn list_documentation_examples() {
    holds(&[
        "[1, 2, 3].isSorted()",
        "['a', 'b', 'b', 'c'].isSorted()",
        "![2.0, 1.0].isSorted()",
        "[].isSorted()",
        "[1, 2, 3].sum() == 6",
        "[1.0, 2.0, 3.0].sum() == 6.0",
        "[duration('1s'), duration('1m')].sum() == duration('61s')",
        "[].sum() == 0",
        "[1, 2, 3].min() == 1",
        "[1, 2, 3].max() == 3",
        "['b', 'a', 'c'].min() == 'a'",
        "[1, 2, 2, 3].indexOf(2) == 1",
        "['a', 'b', 'b', 'c'].lastIndexOf('b') == 2",
        "[1.0].indexOf(1.1) == -1",
        "[].indexOf('string') == -1",
        // The strings extension's indexOf is still there.
        "'hello'.indexOf('l') == 2 && 'hello'.lastIndexOf('l') == 3",
    ]);
    let object = json!({
        "names": ["a", "should-be-first", "z"],
        "items": [{"weight": 0.25}, {"weight": 0.75}],
        "low": [{"priority": 1}, {"priority": 3}], "high": [{"priority": 5}, {"priority": 9}],
    });
    for expr in [
        "object.names.isSorted()",
        "object.items.map(x, x.weight).sum() == 1.0",
        "object.low.map(x, x.priority).max() < object.high.map(x, x.priority).min()",
        "object.names.indexOf('should-be-first') == 1",
    ] {
        assert_eq!(eval_on(expr, &object), Ok(true), "{expr}");
    }
    fails(&[
        ("[].min() == 0", "min called on empty list"),
        ("[].max() == 0", "max called on empty list"),
        ("['a', 'b'].sum() == 'ab'", "cannot sum elements of type string"),
        ("[9223372036854775807, 1].sum() == 0", "overflow"),
    ]);
}

#[test]
fn regex_documentation_examples() {
    holds(&[
        "'abc 123'.find('[0-9]+') == '123'",
        "'abc 123'.find('xyz') == ''",
        "'123 abc 456'.findAll('[0-9]+') == ['123', '456']",
        "'123 abc 456'.findAll('[0-9]+', 1) == ['123']",
        "'123 abc 456'.findAll('[0-9]+', 0) == []",
        "'123 abc 456'.findAll('[0-9]+', -1) == ['123', '456']",
        "'123 abc 456'.findAll('xyz') == []",
        "'1, 2, 3, 4'.findAll('[0-9]+').map(x, int(x)).sum() < 100",
        // Go's rule for empty matches: none right where the previous match ended.
        "'abc'.findAll('b*') == ['', 'b', '']",
    ]);
    let message = check_expression("'a'.find('(')").expect_err("invalid pattern").to_string();
    assert_starts_with(&message, "find(): invalid regular expression \"(\"");
    let message = check_expression("'a'.findAll('[', 2).size() == 0").expect_err("invalid pattern").to_string();
    assert_starts_with(&message, "findAll(): invalid regular expression");
    // A pattern from the object that does not compile fails the object, unquoted.
    let object = json!({"name": "api", "pattern": "(hunter2"});
    assert_eq!(
        eval_on("object.name.find(object.pattern) == ''", &object),
        Err(EvalError::Object("'find' failed: not a valid regular expression".to_owned()))
    );
}

#[test]
fn string_format_documentation_examples() {
    holds(&[
        "'this is a string: %s\\nand an integer: %d'.format(['str', 42]) == 'this is a string: str\\nand an integer: 42'",
        "'%.2f'.format([3.14159]) == '3.14'",
        "'%e'.format([1234.5678]) == '1.234568e+03'",
        "'%b'.format([5]) == '101' && '%o'.format([8]) == '10' && '%x'.format([255]) == 'ff' && '%X'.format([255]) == 'FF'",
        "'%s and %s'.format([[1, 2], {'a': true}]) == '[1, 2] and {a: true}'",
        "'%d%%'.format([50]) == '50%'",
    ]);
    fails(&[("'%d %d'.format([1]) == ''", "failed")]);
}

#[test]
fn unknown_functions_are_refused_with_cels_message() {
    // At the call's parenthesis, as cel-go places it.
    assert_eq!(
        check_expression("object.spec.ports.all(p, isPort(p))"),
        Err(CompileError::Invalid(
            "ERROR: <input>:1:32: undeclared reference to 'isPort' (in container '')".to_owned()
        ))
    );
    // Kubernetes' format library and authorizer are not offered.
    assert!(
        matches!(check_expression("!format.dns1123Label().validate(object.metadata.name).hasValue()"), Err(CompileError::Invalid(m)) if m.contains("undeclared reference"))
    );
}

/// docs/checks.md's "Kubernetes CEL libraries" tables: one row per function, each with an
/// example.
const CHECKS_MD: &str = include_str!("../../../../docs/checks.md");

fn documented_rows() -> Vec<(String, String)> {
    let start = CHECKS_MD.find("#### Kubernetes CEL libraries").expect("docs/checks.md has the libraries section");
    let section = &CHECKS_MD[start..];
    let section = &section[..section.find("\n### ").unwrap_or(section.len())];
    section
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| function") && !line.starts_with("| ---"))
        .map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let example =
                cells.get(1).and_then(|c| c.split('`').nth(1)).unwrap_or_else(|| panic!("no example: {line}"));
            (cells[0].trim_start_matches("| ").to_owned(), example.to_owned())
        })
        .collect()
}

#[test]
fn every_documented_example_holds() {
    let rows = documented_rows();
    assert!(rows.len() > 30, "{rows:?}");
    for (function, example) in rows {
        assert_eq!(eval(&example), Ok(true), "docs/checks.md, {function}: {example}");
    }
}

#[test]
fn the_documentation_names_every_function_and_no_other() {
    let mut documented = std::collections::BTreeSet::new();
    for (functions, _) in documented_rows() {
        // `q.add(q or int), q.sub(q or int)`: the names before each `(`, receivers dropped.
        for part in functions.split("), ") {
            let call = part.split('(').next().unwrap_or_default();
            let name = match call.split_once('.') {
                Some((receiver, name)) if receiver.len() == 1 => name,
                _ => call,
            };
            documented.insert(name.to_owned());
        }
    }
    let declared: std::collections::BTreeSet<String> = super::FUNCTIONS.iter().map(|f| (*f).to_owned()).collect();
    assert_eq!(documented, declared);
}
