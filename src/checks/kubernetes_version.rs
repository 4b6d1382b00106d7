//! `kubernetesVersion`: the server is at least a given version.

use super::{KubeVersion, Mode, Outcome, Scope};
use crate::api::KubernetesVersionCheck;

pub fn evaluate(spec: &KubernetesVersionCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::kubernetes_version(spec)) {
        return refused;
    }
    let wanted: KubeVersion = match spec.at_least.parse() {
        Ok(v) => v,
        Err(e) => return Outcome::error(format!("atLeast: {e}")),
    };
    match scope.facts.server_version {
        None if scope.facts.mode == Mode::Offline => {
            Outcome::skipped("server version unknown offline (pass --kube-version)")
        }
        // Live, the version comes from discovery: not having it means the check could not run.
        None => Outcome::error("server version unknown: discovery has not answered yet"),
        Some(actual) if actual >= wanted => Outcome::passed(format!("server {actual} >= {}", spec.at_least)),
        Some(actual) => Outcome::failed(format!("server {actual} is older than {}", spec.at_least)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ItemState;
    use crate::checks::Facts;
    use crate::checks::fixtures::World;

    fn run(at_least: &str, server: Option<&str>) -> Outcome {
        run_in(Facts::offline(), at_least, server)
    }

    fn run_in(facts: Facts, at_least: &str, server: Option<&str>) -> Outcome {
        let facts = Facts { server_version: server.map(|s| s.parse().expect("version")), ..facts };
        evaluate(&KubernetesVersionCheck { at_least: at_least.to_owned() }, &World::new([]).facts(facts).scope())
    }

    #[test]
    fn passes_when_server_is_new_enough() {
        assert_eq!(run("1.28", Some("v1.31.2")).state, ItemState::Passed);
        assert_eq!(run("1.28", Some("1.28.0")).state, ItemState::Passed);
    }

    #[test]
    fn fails_when_server_is_older() {
        let outcome = run("1.28", Some("v1.27.9"));
        assert_eq!(outcome.state, ItemState::Failed);
        assert!(outcome.message.contains("1.27.9"));
    }

    #[test]
    fn skips_offline_without_a_version_and_errors_on_bad_spec() {
        assert_eq!(run("1.28", None).state, ItemState::Skipped);
        assert_eq!(run("latest", Some("1.30")).state, ItemState::Error);
    }

    #[test]
    fn live_without_a_server_version_is_an_error_not_a_skip() {
        assert_eq!(run_in(Facts::live(), "1.28", None).state, ItemState::Error);
        assert_eq!(run_in(Facts::live(), "1.28", Some("1.30")).state, ItemState::Passed);
    }
}
