//! `ingress`: every listed host is routed by an Ingress, with TLS and annotations when required.

use std::sync::Arc;

use regex::Regex;

use super::patterns::{self, Match};
use super::{Outcome, Scope};
use crate::api::IngressCheck;
use crate::inventory::kinds;
use crate::inventory::view::{IngressView, ViewError};

pub fn evaluate(spec: &IngressCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::ingress(spec)) {
        return refused;
    }
    let mut annotations = Vec::new();
    for (name, pattern) in &spec.require_annotations {
        // Full match, as the contract says: anchor the whole alternation, not its first branch.
        match patterns::compiled(pattern, Match::Full) {
            Ok(re) => annotations.push((name.as_str(), pattern.as_str(), re)),
            Err(e) => return Outcome::error(format!("requireAnnotations {name}: invalid regex: {e}")),
        }
    }
    let ingresses: Vec<Arc<IngressView>> =
        match scope.inventory.views_in(kinds::INGRESS, Some(scope.namespace)).collect::<Result<_, ViewError>>() {
            Ok(ingresses) => ingresses,
            Err(e) => return Outcome::error(e.to_string()),
        };

    let mut problems = Vec::new();
    let mut served = Vec::new();
    for host in &spec.hosts {
        let host = host.to_ascii_lowercase();
        let candidates: Vec<(&IngressView, Route)> =
            ingresses.iter().filter_map(|i| routes(i, &host).map(|route| (&**i, route))).collect();
        if candidates.is_empty() {
            problems.push(format!("{host}: no Ingress rule for this host"));
            continue;
        }
        // The host passes when one Ingress routing it meets every requirement; otherwise report
        // what each candidate lacks.
        let verdicts: Vec<(&IngressView, Route, Vec<String>)> = candidates
            .iter()
            .map(|(ingress, route)| (*ingress, *route, shortfalls(ingress, &host, spec.require_tls, &annotations)))
            .collect();
        match verdicts.iter().find(|(_, _, lacks)| lacks.is_empty()) {
            Some((ingress, route, _)) => {
                let via = match route {
                    Route::Host => "",
                    Route::RuleWithoutHost => " (rule without host)",
                    Route::DefaultBackend => " (default backend)",
                };
                let tls = if spec.require_tls { ", TLS" } else { "" };
                served.push(format!("{host} via {}{via}{tls}", ingress.reference()));
            }
            None => {
                let why: Vec<String> = verdicts
                    .iter()
                    .map(|(ingress, _, lacks)| format!("{} {}", ingress.reference(), lacks.join(", ")))
                    .collect();
                problems.push(match why.as_slice() {
                    [one] => format!("{host}: {one}"),
                    many => format!("{host}: no Ingress routing it meets every requirement ({})", many.join("; ")),
                });
            }
        }
    }
    Outcome::from_problems(problems, served.join("; "))
}

/// How an Ingress routes a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// A rule naming the host, or a wildcard covering it.
    Host,
    /// Only a rule without host, which Kubernetes applies to all traffic.
    RuleWithoutHost,
    /// Only `spec.defaultBackend`, which takes every request no rule matches.
    DefaultBackend,
}

/// Whether (and how) the Ingress routes `host`; `None` when it does not.
fn routes(ingress: &IngressView, host: &str) -> Option<Route> {
    let mut catch_all = None;
    for rule in &ingress.spec.rules {
        match rule.host.as_deref().filter(|h| !h.is_empty()) {
            Some(pattern) if host_matches(pattern, host) => return Some(Route::Host),
            Some(_) => {}
            None => catch_all = Some(Route::RuleWithoutHost),
        }
    }
    catch_all.or(ingress.has_default_backend().then_some(Route::DefaultBackend))
}

/// What this Ingress lacks for `host`: a TLS entry listing it, and the required annotations.
fn shortfalls(
    ingress: &IngressView,
    host: &str,
    require_tls: bool,
    annotations: &[(&str, &str, Arc<Regex>)],
) -> Vec<String> {
    let mut lacks = Vec::new();
    if require_tls && !tls_covers(ingress, host) {
        lacks.push("has no TLS entry for this host".to_owned());
    }
    for (name, pattern, re) in annotations {
        match ingress.metadata.annotations.get(*name) {
            Some(value) if re.is_match(value) => {}
            // The value is shown: annotations are public configuration, unlike secrets.
            Some(value) => lacks.push(format!("annotation {name}={value:?} does not match {pattern:?}")),
            None => lacks.push(format!("lacks annotation {name}")),
        }
    }
    lacks
}

fn tls_covers(ingress: &IngressView, host: &str) -> bool {
    ingress.spec.tls.iter().flat_map(|tls| &tls.hosts).any(|pattern| host_matches(pattern, host))
}

/// Kubernetes host matching: exact (DNS names are case-insensitive), or a `*.` wildcard that
/// stands for exactly one leading label (`*.foo.com` matches `bar.foo.com`, not `foo.com` nor
/// `baz.bar.foo.com`). A wanted host that is itself a wildcard matches only the same wildcard.
fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    if pattern == host {
        return true;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .and_then(|head| head.strip_suffix('.'))
            .is_some_and(|label| !label.is_empty() && !label.contains('.') && label != "*"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::*;
    use crate::api::ItemState;
    use crate::checks::corpus;
    use crate::checks::fixtures::{World, object};
    use crate::inventory::Object;

    fn ingress(name: &str, rule_hosts: &[&str], tls_hosts: &[&str], annotations: Value) -> Object {
        let rules: Vec<Value> = rule_hosts
            .iter()
            .map(|h| {
                let mut rule = json!({"http": {"paths": [{"path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}});
                if !h.is_empty() {
                    rule["host"] = json!(h);
                }
                rule
            })
            .collect();
        let mut spec = json!({"rules": rules});
        if !tls_hosts.is_empty() {
            spec["tls"] = json!([{"hosts": tls_hosts, "secretName": format!("{name}-tls")}]);
        }
        object(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                      "metadata": {"name": name, "annotations": annotations}, "spec": spec}))
    }

    fn check(hosts: &[&str], require_tls: bool, annotations: &[(&str, &str)]) -> IngressCheck {
        IngressCheck {
            hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            require_tls,
            require_annotations: annotations
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    fn run(spec: &IngressCheck, objects: Vec<Object>) -> Outcome {
        evaluate(spec, &World::new(objects).scope())
    }

    #[test]
    fn passes_when_every_host_has_a_rule_with_tls() {
        let web =
            ingress("web", &["api.novacron.io", "app.novacron.io"], &["api.novacron.io", "app.novacron.io"], json!({}));
        let outcome = run(&check(&["api.novacron.io", "app.novacron.io"], true, &[]), vec![web]);
        assert_eq!(outcome.state, ItemState::Passed);
        assert_eq!(outcome.message, "api.novacron.io via ingress/web, TLS; app.novacron.io via ingress/web, TLS");
    }

    #[test]
    fn fails_per_host_without_a_rule() {
        let web = ingress("web", &["api.novacron.io"], &[], json!({}));
        let outcome = run(&check(&["api.novacron.io", "app.novacron.io"], false, &[]), vec![web]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert_eq!(outcome.message, "app.novacron.io: no Ingress rule for this host");
    }

    #[test]
    fn fails_when_tls_is_required_but_the_host_is_not_in_tls() {
        let web = ingress("web", &["api.novacron.io"], &["www.novacron.io"], json!({}));
        let outcome = run(&check(&["api.novacron.io"], true, &[]), vec![web]);
        assert_eq!(outcome.message, "api.novacron.io: ingress/web has no TLS entry for this host");
    }

    #[test]
    fn tls_must_be_on_the_same_ingress_that_routes_the_host() {
        let plain = ingress("web", &["api.novacron.io"], &[], json!({}));
        let other = ingress("tls-only", &["www.novacron.io"], &["api.novacron.io"], json!({}));
        assert_eq!(run(&check(&["api.novacron.io"], true, &[]), vec![plain, other]).state, ItemState::Failed);
    }

    #[test]
    fn wildcard_rules_and_tls_cover_exactly_one_label() {
        let wild = ingress("wild", &["*.novacron.io"], &["*.novacron.io"], json!({}));
        assert_eq!(run(&check(&["api.novacron.io"], true, &[]), vec![wild.clone()]).state, ItemState::Passed);
        assert_eq!(run(&check(&["novacron.io"], false, &[]), vec![wild.clone()]).state, ItemState::Failed);
        assert_eq!(run(&check(&["a.b.novacron.io"], false, &[]), vec![wild.clone()]).state, ItemState::Failed);
        assert_eq!(run(&check(&["*.novacron.io"], true, &[]), vec![wild]).state, ItemState::Passed);
    }

    #[test]
    fn a_wildcard_tls_entry_covers_a_concrete_rule_host() {
        let web = ingress("web", &["api.novacron.io"], &["*.novacron.io"], json!({}));
        assert_eq!(run(&check(&["api.novacron.io"], true, &[]), vec![web]).state, ItemState::Passed);
    }

    #[test]
    fn hosts_compare_case_insensitively() {
        let web = ingress("web", &["api.novacron.io"], &["api.novacron.io"], json!({}));
        assert_eq!(run(&check(&["API.Novacron.io"], true, &[]), vec![web]).state, ItemState::Passed);
    }

    #[test]
    fn a_rule_without_host_routes_every_host_but_gives_no_tls() {
        let catch_all = ingress("default", &[""], &[], json!({}));
        let outcome = run(&check(&["api.novacron.io"], false, &[]), vec![catch_all.clone()]);
        assert_eq!(outcome.state, ItemState::Passed);
        assert_eq!(outcome.message, "api.novacron.io via ingress/default (rule without host)");
        assert_eq!(run(&check(&["api.novacron.io"], true, &[]), vec![catch_all]).state, ItemState::Failed);
    }

    #[test]
    fn a_default_backend_serves_every_host_no_rule_matches() {
        let mut fallback = ingress("fallback", &[], &["api.novacron.io"], json!({}));
        fallback.data["spec"]["defaultBackend"] = json!({"service": {"name": "web", "port": {"number": 80}}});
        let outcome = run(&check(&["api.novacron.io"], true, &[]), vec![fallback]);
        assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
        assert_eq!(outcome.message, "api.novacron.io via ingress/fallback (default backend), TLS");
    }

    #[test]
    fn annotations_must_fully_match_their_regex() {
        let spec =
            check(&["api.novacron.io"], false, &[("cert-manager.io/cluster-issuer", "letsencrypt-(prod|staging)")]);
        let good =
            ingress("web", &["api.novacron.io"], &[], json!({"cert-manager.io/cluster-issuer": "letsencrypt-prod"}));
        assert_eq!(run(&spec, vec![good]).state, ItemState::Passed);
        let partial = ingress(
            "web",
            &["api.novacron.io"],
            &[],
            json!({"cert-manager.io/cluster-issuer": "letsencrypt-prod-old"}),
        );
        let outcome = run(&spec, vec![partial]);
        assert_eq!(outcome.state, ItemState::Failed);
        assert!(outcome.message.contains("does not match"), "{}", outcome.message);
        let missing = ingress("web", &["api.novacron.io"], &[], json!({}));
        assert_eq!(
            run(&spec, vec![missing]).message,
            "api.novacron.io: ingress/web lacks annotation cert-manager.io/cluster-issuer"
        );
    }

    #[test]
    fn the_last_applied_copy_and_non_string_annotations_are_never_read() {
        // Live, the projection never kept the last-applied copy; offline now reads alike.
        let last_applied = crate::inventory::whole::LAST_APPLIED;
        let spec = check(&["api.novacron.io"], false, &[(last_applied, ".*"), ("team", "[0-9]+")]);
        let web = ingress("web", &["api.novacron.io"], &[], json!({last_applied: "{}", "team": 7}));
        assert_eq!(
            run(&spec, vec![web]).message,
            format!("api.novacron.io: ingress/web lacks annotation {last_applied}, lacks annotation team")
        );
    }

    #[test]
    fn a_rule_without_a_string_host_is_a_rule_without_host() {
        let mut odd = ingress("odd", &[], &[], json!({}));
        odd.data["spec"]["rules"] = json!(["api.novacron.io", {"host": 7}]);
        let outcome = run(&check(&["api.novacron.io"], false, &[]), vec![odd]);
        assert_eq!(outcome.message, "api.novacron.io via ingress/odd (rule without host)");
    }

    #[test]
    fn alternations_are_anchored_as_a_whole() {
        let spec = check(&["api.novacron.io"], false, &[("tier", "a|b")]);
        let web = ingress("web", &["api.novacron.io"], &[], json!({"tier": "ab"}));
        assert_eq!(run(&spec, vec![web]).state, ItemState::Failed);
    }

    #[test]
    fn passes_when_any_ingress_routing_the_host_meets_every_requirement() {
        let spec = check(&["api.novacron.io"], true, &[("kubernetes.io/ingress.class", "nginx")]);
        let old = ingress("old", &["api.novacron.io"], &[], json!({}));
        let new =
            ingress("new", &["api.novacron.io"], &["api.novacron.io"], json!({"kubernetes.io/ingress.class": "nginx"}));
        let outcome = run(&spec, vec![old.clone(), new]);
        assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
        let outcome = run(&spec, vec![old]);
        assert_eq!(
            outcome.message,
            "api.novacron.io: ingress/old has no TLS entry for this host, lacks annotation kubernetes.io/ingress.class"
        );
    }

    #[test]
    fn names_what_each_routing_ingress_lacks() {
        let plain = ingress("plain", &["api.novacron.io"], &[], json!({}));
        let catch_all = ingress("default", &[""], &[], json!({}));
        let outcome = run(&check(&["api.novacron.io"], true, &[]), vec![plain, catch_all]);
        assert_eq!(
            outcome.message,
            "api.novacron.io: no Ingress routing it meets every requirement \
             (ingress/default has no TLS entry for this host; ingress/plain has no TLS entry for this host)"
        );
    }

    #[test]
    fn ignores_ingresses_of_other_namespaces() {
        let mut web = ingress("web", &["api.novacron.io"], &[], json!({}));
        web.namespace = Some("other".to_owned());
        assert_eq!(run(&check(&["api.novacron.io"], false, &[]), vec![web]).state, ItemState::Failed);
    }

    #[test]
    fn a_bad_regex_or_empty_host_list_is_an_error_naming_the_annotation() {
        let outcome = run(&check(&["api.novacron.io"], false, &[("team", "(unclosed")]), vec![]);
        assert_eq!(outcome.state, ItemState::Error);
        assert!(
            outcome.message.starts_with("requireAnnotations[team]: invalid regular expression"),
            "{}",
            outcome.message
        );
        assert_eq!(run(&check(&[], false, &[]), vec![]).state, ItemState::Error);
    }

    #[test]
    fn kubernetes_docs_tls_example_serves_its_host_over_tls() {
        let Some(objects) =
            corpus::objects("kubernetes-docs-examples/service__networking__tls-example-ingress.yaml", "shop")
        else {
            return;
        };
        let outcome = run(&check(&["https-example.foo.com"], true, &[]), objects.clone());
        assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
        assert_eq!(outcome.message, "https-example.foo.com via ingress/tls-example-ingress, TLS");
        assert_eq!(run(&check(&["www.foo.com"], false, &[]), objects).state, ItemState::Failed);
    }

    #[test]
    fn kubernetes_docs_minimal_ingress_is_a_catch_all_without_tls() {
        let Some(objects) =
            corpus::objects("kubernetes-docs-examples/service__networking__minimal-ingress.yaml", "shop")
        else {
            return;
        };
        assert_eq!(run(&check(&["api.novacron.io"], false, &[]), objects.clone()).state, ItemState::Passed);
        let outcome = run(&check(&["api.novacron.io"], true, &[]), objects);
        assert_eq!(outcome.message, "api.novacron.io: ingress/minimal-ingress has no TLS entry for this host");
    }
}
