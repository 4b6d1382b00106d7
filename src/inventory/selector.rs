//! Kubernetes label selector semantics (`matchLabels` + `matchExpressions`), as `kubectl get -l`,
//! and their validation, as `ValidateLabelSelector` / `LabelSelectorAsSelector` do it.
//!
//! Hand-written rather than `kube::core::Selector`: kube's conversion from a `LabelSelector`
//! checks only the operator and that `In`/`NotIn` have a values list, so it accepts an empty
//! `In` list (which then matches nothing), values on `Exists`, and keys and values the API
//! server refuses. A checklist whose selector the cluster would reject must be refused at
//! admission with the field at fault, not quietly match nothing.

mod syntax;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Why a selector cannot be used: the API server would reject it, so we refuse to guess.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("unknown selector operator {0:?} (expected In, NotIn, Exists, DoesNotExist)")]
    UnknownOperator(String),
    #[error("operator {operator} on key {key:?} needs a non-empty values list")]
    MissingValues { key: String, operator: String },
    #[error("operator {operator} on key {key:?} must not have values")]
    UnexpectedValues { key: String, operator: String },
    #[error("invalid label key {key:?}: {reason}")]
    InvalidKey { key: String, reason: String },
    #[error("invalid label value {value:?}: {reason}")]
    InvalidValue { value: String, reason: String },
}

/// One problem of a selector and the field under the selector it concerns
/// (`matchExpressions[0].values[1]`, `matchLabels[app]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {error}")]
pub struct SelectorProblem {
    pub field: String,
    pub error: SelectorError,
}

/// True when `labels` satisfy `selector`. An empty selector (`{}`) selects everything, as in
/// Kubernetes; all requirements are ANDed.
pub fn matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> Result<bool, SelectorError> {
    if let Some(match_labels) = &selector.match_labels {
        for (key, value) in match_labels {
            if labels.get(key) != Some(value) {
                return check_expressions_valid(selector).map(|()| false);
            }
        }
    }
    for requirement in selector.match_expressions.iter().flatten() {
        let values = requirement.values.as_deref().unwrap_or_default();
        let present = labels.get(&requirement.key);
        let satisfied = match requirement.operator.as_str() {
            "In" => {
                require_values(&requirement.key, "In", values)?;
                present.is_some_and(|v| values.contains(v))
            }
            "NotIn" => {
                require_values(&requirement.key, "NotIn", values)?;
                // NotIn also selects objects that lack the key, as Kubernetes does.
                present.is_none_or(|v| !values.contains(v))
            }
            "Exists" => {
                forbid_values(&requirement.key, "Exists", values)?;
                present.is_some()
            }
            "DoesNotExist" => {
                forbid_values(&requirement.key, "DoesNotExist", values)?;
                present.is_none()
            }
            other => return Err(SelectorError::UnknownOperator(other.to_owned())),
        };
        if !satisfied {
            return check_expressions_valid(selector).map(|()| false);
        }
    }
    Ok(true)
}

/// Same as [`matches`], for callers that already validated the selector (or treat an invalid one
/// as selecting nothing).
pub fn matches_lenient(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    matches(selector, labels).unwrap_or(false)
}

/// The first problem [`problems`] finds, for callers that refuse a selector as a whole.
pub fn validate(selector: &LabelSelector) -> Result<(), SelectorProblem> {
    problems(selector).into_iter().next().map_or(Ok(()), Err)
}

/// Every reason the API server would refuse `selector` (`ValidateLabelSelector`, without
/// `AllowInvalidLabelValueInSelector`): `matchLabels` keys and values, then each expression's
/// operator and values, key and values, in that order. A key or value no label can carry is
/// refused rather than evaluated: `NotIn` on such a value would select everything.
pub fn problems(selector: &LabelSelector) -> Vec<SelectorProblem> {
    let mut found = Vec::new();
    let mut push = |field: String, error: SelectorError| found.push(SelectorProblem { field, error });
    for (key, value) in selector.match_labels.iter().flatten() {
        if let Some(reason) = syntax::key_problem(key) {
            push(format!("matchLabels[{key}]"), SelectorError::InvalidKey { key: key.clone(), reason });
        }
        if let Some(reason) = syntax::value_problem(value) {
            push(format!("matchLabels[{key}]"), SelectorError::InvalidValue { value: value.clone(), reason });
        }
    }
    for (i, r) in selector.match_expressions.iter().flatten().enumerate() {
        let at = format!("matchExpressions[{i}]");
        let values = r.values.as_deref().unwrap_or_default();
        let structure = match r.operator.as_str() {
            "In" | "NotIn" => require_values(&r.key, &r.operator, values).err().map(|e| (".values", e)),
            "Exists" | "DoesNotExist" => forbid_values(&r.key, &r.operator, values).err().map(|e| (".values", e)),
            other => Some((".operator", SelectorError::UnknownOperator(other.to_owned()))),
        };
        if let Some((field, error)) = structure {
            push(format!("{at}{field}"), error);
        }
        if let Some(reason) = syntax::key_problem(&r.key) {
            push(format!("{at}.key"), SelectorError::InvalidKey { key: r.key.clone(), reason });
        }
        for (j, value) in values.iter().enumerate() {
            if let Some(reason) = syntax::value_problem(value) {
                push(format!("{at}.values[{j}]"), SelectorError::InvalidValue { value: value.clone(), reason });
            }
        }
    }
    found
}

/// True for `{}` (and for a selector whose lists are present but empty).
pub fn is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && selector.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

/// `app=api,tier in (web)`: the selector the way `kubectl -l` spells it, for messages.
pub fn describe(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = selector.match_labels.iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    for r in selector.match_expressions.iter().flatten() {
        let values = r.values.as_deref().unwrap_or_default().join(",");
        parts.push(match r.operator.as_str() {
            "In" => format!("{} in ({values})", r.key),
            "NotIn" => format!("{} notin ({values})", r.key),
            "Exists" => r.key.clone(),
            "DoesNotExist" => format!("!{}", r.key),
            other => format!("{} {other} ({values})", r.key),
        });
    }
    if parts.is_empty() { "<all>".to_owned() } else { parts.join(",") }
}

fn check_expressions_valid(selector: &LabelSelector) -> Result<(), SelectorError> {
    for r in selector.match_expressions.iter().flatten() {
        let values = r.values.as_deref().unwrap_or_default();
        match r.operator.as_str() {
            "In" | "NotIn" => require_values(&r.key, &r.operator, values)?,
            "Exists" | "DoesNotExist" => forbid_values(&r.key, &r.operator, values)?,
            other => return Err(SelectorError::UnknownOperator(other.to_owned())),
        }
    }
    Ok(())
}

fn require_values(key: &str, operator: &str, values: &[String]) -> Result<(), SelectorError> {
    if values.is_empty() {
        return Err(SelectorError::MissingValues { key: key.to_owned(), operator: operator.to_owned() });
    }
    Ok(())
}

fn forbid_values(key: &str, operator: &str, values: &[String]) -> Result<(), SelectorError> {
    if !values.is_empty() {
        return Err(SelectorError::UnexpectedValues { key: key.to_owned(), operator: operator.to_owned() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn expr(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.to_owned(),
            operator: operator.to_owned(),
            values: if values.is_empty() { None } else { Some(values.iter().map(|v| (*v).to_owned()).collect()) },
        }
    }

    fn selector(match_labels: &[(&str, &str)], exprs: Vec<LabelSelectorRequirement>) -> LabelSelector {
        LabelSelector {
            match_labels: if match_labels.is_empty() { None } else { Some(labels(match_labels)) },
            match_expressions: if exprs.is_empty() { None } else { Some(exprs) },
        }
    }

    #[test]
    fn empty_selector_selects_everything() {
        let all = LabelSelector::default();
        assert!(matches(&all, &labels(&[])).expect("valid"));
        assert!(matches(&all, &labels(&[("app", "api")])).expect("valid"));
        assert!(is_empty(&all));
    }

    #[test]
    fn match_labels_are_anded() {
        let s = selector(&[("app", "api"), ("tier", "web")], vec![]);
        assert!(matches(&s, &labels(&[("app", "api"), ("tier", "web"), ("x", "y")])).expect("valid"));
        assert!(!matches(&s, &labels(&[("app", "api")])).expect("valid"));
    }

    #[test]
    fn expressions_follow_kubernetes_semantics() {
        let l = labels(&[("env", "prod"), ("app", "api")]);
        assert!(matches(&selector(&[], vec![expr("env", "In", &["prod", "staging"])]), &l).expect("valid"));
        assert!(!matches(&selector(&[], vec![expr("env", "NotIn", &["prod"])]), &l).expect("valid"));
        // NotIn selects objects without the key.
        assert!(matches(&selector(&[], vec![expr("zone", "NotIn", &["a"])]), &l).expect("valid"));
        assert!(matches(&selector(&[], vec![expr("app", "Exists", &[])]), &l).expect("valid"));
        assert!(!matches(&selector(&[], vec![expr("app", "DoesNotExist", &[])]), &l).expect("valid"));
        assert!(!matches(&selector(&[], vec![expr("zone", "In", &["a"])]), &l).expect("valid"));
    }

    #[test]
    fn invalid_selectors_are_errors_not_guesses() {
        let l = labels(&[("app", "api")]);
        assert!(matches(&selector(&[], vec![expr("app", "Equals", &["api"])]), &l).is_err());
        assert!(matches(&selector(&[], vec![expr("app", "In", &[])]), &l).is_err());
        assert!(matches(&selector(&[], vec![expr("app", "Exists", &["x"])]), &l).is_err());
        // Reported even when matchLabels already failed to match.
        assert!(matches(&selector(&[("app", "web")], vec![expr("app", "In", &[])]), &l).is_err());
    }

    #[test]
    fn validation_names_each_field_kubernetes_would_refuse() {
        let s = selector(
            &[("app", "a b")],
            vec![expr("env", "Matches", &["x y"]), expr("bad key", "Exists", &[]), expr("tier", "In", &["web"])],
        );
        let fields: Vec<String> = problems(&s).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "matchLabels[app]",
                "matchExpressions[0].operator",
                "matchExpressions[0].values[0]",
                "matchExpressions[1].key"
            ]
        );
        let first = validate(&s).expect_err("invalid");
        assert_eq!(first.to_string().split(": ").next(), Some("matchLabels[app]"));
        assert!(first.to_string().contains("invalid label value \"a b\": a valid label must be"), "{first}");
        assert_eq!(validate(&selector(&[("app.kubernetes.io/name", "")], vec![expr("x", "In", &["1"])])), Ok(()));
    }

    #[test]
    fn describes_like_kubectl() {
        let s = selector(&[("app", "api")], vec![expr("env", "In", &["prod"]), expr("canary", "DoesNotExist", &[])]);
        assert_eq!(describe(&s), "app=api,env in (prod),!canary");
        assert_eq!(describe(&LabelSelector::default()), "<all>");
    }
}
