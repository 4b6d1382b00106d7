//! The syntax of label keys and values, as `k8s.io/apimachinery/pkg/util/validation` checks
//! them (`IsQualifiedName`, `IsDNS1123Subdomain`, `IsValidLabelValue`), with its messages.
//!
//! Hand-written rather than regex-based: the rules are three character classes and two lengths,
//! and a byte scan states them as plainly as the Go regular expressions do, without compiling
//! a pattern per call.

/// `name part` and label values: at most 63 characters.
const NAME_MAX: usize = 63;
/// The DNS subdomain prefix of a key: at most 253 characters.
const PREFIX_MAX: usize = 253;

const NAME_CHARSET: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with \
                            an alphanumeric character";
const SUBDOMAIN_CHARSET: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \
                                 '-' or '.', and must start and end with an alphanumeric character";
const VALUE_CHARSET: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' \
                             or '.', and must start and end with an alphanumeric character";

/// Why `key` is not a qualified name (`[prefix/]name`), or `None` when it is one.
pub(super) fn key_problem(key: &str) -> Option<String> {
    let mut problems = Vec::new();
    let name = match key.split('/').collect::<Vec<_>>().as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                problems.push("prefix part must be non-empty".to_owned());
            } else {
                problems.extend(subdomain_problems(prefix).into_iter().map(|p| format!("prefix part {p}")));
            }
            *name
        }
        _ => {
            return Some(format!(
                "a qualified name {NAME_CHARSET} with an optional DNS subdomain prefix and '/' (e.g. \
                 'example.com/MyName')"
            ));
        }
    };
    if name.is_empty() {
        problems.push("name part must be non-empty".to_owned());
    } else {
        if name.len() > NAME_MAX {
            problems.push(format!("name part must be no more than {NAME_MAX} characters"));
        }
        if !is_name(name) {
            problems.push(format!("name part {NAME_CHARSET}"));
        }
    }
    joined(problems)
}

/// Why `value` cannot be a label value, or `None` when it can (the empty value can).
pub(super) fn value_problem(value: &str) -> Option<String> {
    let mut problems = Vec::new();
    if value.len() > NAME_MAX {
        problems.push(format!("must be no more than {NAME_MAX} characters"));
    }
    if !value.is_empty() && !is_name(value) {
        problems.push(VALUE_CHARSET.to_owned());
    }
    joined(problems)
}

fn subdomain_problems(prefix: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if prefix.len() > PREFIX_MAX {
        problems.push(format!("must be no more than {PREFIX_MAX} characters"));
    }
    let lower_alphanumeric = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    // `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`: labels split on '.'.
    let valid = prefix.split('.').all(|label| {
        let bytes = label.as_bytes();
        bytes.first().is_some_and(|b| lower_alphanumeric(*b))
            && bytes.last().is_some_and(|b| lower_alphanumeric(*b))
            && bytes.iter().all(|b| lower_alphanumeric(*b) || *b == b'-')
    });
    if !valid {
        problems.push(SUBDOMAIN_CHARSET.to_owned());
    }
    problems
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, the shape of a key's name part and of a value.
fn is_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn joined(problems: Vec<String>) -> Option<String> {
    (!problems.is_empty()).then(|| problems.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_take_an_optional_subdomain_prefix() {
        for good in ["app", "app.kubernetes.io/name", "a", "A_b-c.D9", "k8s.io/x", &"n".repeat(63)] {
            assert_eq!(key_problem(good), None, "{good}");
        }
        let cases = [
            ("", "name part must be non-empty"),
            ("/app", "prefix part must be non-empty"),
            ("Example.com/app", "prefix part a lowercase RFC 1123 subdomain"),
            ("a/b/c", "a qualified name must consist of"),
            ("-app", "name part must consist of"),
            ("app.", "name part must consist of"),
            ("a b", "name part must consist of"),
            ("k8s.io/", "name part must be non-empty"),
        ];
        for (bad, reason) in cases {
            let problem = key_problem(bad).unwrap_or_default();
            assert!(problem.starts_with(reason), "{bad:?}: {problem}");
        }
        let long_name = key_problem(&"n".repeat(64)).unwrap_or_default();
        assert_eq!(long_name, "name part must be no more than 63 characters");
        let long_prefix = key_problem(&format!("{}/app", "p".repeat(254))).unwrap_or_default();
        assert_eq!(long_prefix, "prefix part must be no more than 253 characters");
        assert_eq!(key_problem(&format!("{}/app", "p".repeat(253))), None);
    }

    #[test]
    fn label_values_may_be_empty_but_not_long_or_odd() {
        for good in ["", "a", "v1.0.0", "A-b_c.9", &"v".repeat(63)] {
            assert_eq!(value_problem(good), None, "{good:?}");
        }
        assert_eq!(value_problem(&"v".repeat(64)).unwrap_or_default(), "must be no more than 63 characters");
        for bad in ["a b", "-a", "a-", ".a", "é", "a/b"] {
            assert!(value_problem(bad).unwrap_or_default().starts_with("a valid label must be"), "{bad:?}");
        }
    }
}
