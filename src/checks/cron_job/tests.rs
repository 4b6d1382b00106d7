//! `cronJob` scenarios: intervals (time zones, DST, never-firing dates), suspension, last
//! success online and offline, selection, and real manifests from the corpus.

use serde_json::{Value, json};

use super::*;
use crate::api::ItemState;
use crate::checks::Facts;
use crate::checks::fixtures::{World, object, set};

fn now() -> jiff::Timestamp {
    "2026-11-25T10:00:00Z".parse().expect("timestamp")
}

fn cron_job(name: &str, schedule: &str) -> Value {
    json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": "backup"}},
        "spec": {"schedule": schedule, "jobTemplate": {"spec": {}}}
    })
}

fn with(mut value: Value, pointer: &str, field: Value) -> Value {
    set(&mut value, pointer, field);
    value
}

fn check(spec: Value) -> CronJobCheck {
    serde_json::from_value(spec).expect("valid cronJob check")
}

fn run_with(spec: Value, objects: Vec<Value>, facts: &Facts) -> Outcome {
    evaluate(&check(spec), &World::new(objects.into_iter().map(object)).facts(facts.clone()).at(now()).scope())
}

fn run(spec: Value, objects: Vec<Value>) -> Outcome {
    run_with(spec, objects, &Facts::offline())
}

fn has_tzdb() -> bool {
    let present = !jiff::tz::db().is_definitively_empty();
    if !present {
        eprintln!("notice: no time zone database on this host; skipping a time zone case");
    }
    present
}

#[test]
fn passes_when_a_daily_backup_fits_max_interval() {
    let outcome = run(json!({"name": "backup", "maxInterval": "1d"}), vec![cron_job("backup", "0 3 * * *")]);
    assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
    assert_eq!(outcome.message, "cronjob/backup runs at least every 24h (\"0 3 * * *\" UTC, maxInterval 1d)");
}

#[test]
fn fails_when_a_weekday_schedule_leaves_the_weekend_uncovered() {
    let outcome = run(json!({"name": "backup", "maxInterval": "1d"}), vec![cron_job("backup", "0 3 * * MON-FRI")]);
    assert_eq!(outcome.state, ItemState::Failed);
    assert_eq!(
        outcome.message,
        "no CronJob runs at least every 1d: cronjob/backup can wait 3d between runs (\"0 3 * * MON-FRI\" UTC)"
    );
}

#[test]
fn one_frequent_cronjob_among_the_selected_is_enough() {
    let outcome = run(
        json!({"selector": {"matchLabels": {"app": "backup"}}, "maxInterval": "2h"}),
        vec![cron_job("full", "@weekly"), cron_job("incremental", "0 * * * *")],
    );
    assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
    assert!(outcome.message.starts_with("cronjob/incremental runs at least every 1h"));
}

#[test]
fn suspended_cronjob_fails_unless_allowed_and_never_counts_as_running() {
    let suspended = with(cron_job("backup", "0 * * * *"), "/spec/suspend", json!(true));
    let outcome = run(json!({"name": "backup"}), vec![suspended.clone()]);
    assert_eq!(outcome, Outcome::failed("cronjob/backup is suspended (spec.suspend: true)"));

    let allowed = run(json!({"name": "backup", "allowSuspended": true}), vec![suspended.clone()]);
    assert_eq!(allowed.state, ItemState::Passed);
    assert!(allowed.message.contains("suspended (allowed)"));

    let interval = run(json!({"name": "backup", "allowSuspended": true, "maxInterval": "1d"}), vec![suspended]);
    assert_eq!(interval, Outcome::failed("no CronJob runs at least every 1d: cronjob/backup is suspended"));
}

#[test]
fn invalid_schedule_fails_naming_the_cronjob_not_the_spec() {
    let outcome = run(json!({"name": "backup"}), vec![cron_job("backup", "61 * * * *")]);
    assert_eq!(
        outcome,
        Outcome::failed(
            "cronjob/backup has an invalid schedule \"61 * * * *\": end of range (61) above maximum (59): 61"
        )
    );
    let sunday_seven = run(json!({"name": "backup", "maxInterval": "7d"}), vec![cron_job("backup", "0 0 * * 7")]);
    assert_eq!(sunday_seven.state, ItemState::Failed);
    assert!(sunday_seven.message.contains("above maximum (6)"));
}

#[test]
fn a_date_that_never_comes_fails_max_interval() {
    let outcome = run(json!({"name": "backup", "maxInterval": "400d"}), vec![cron_job("backup", "0 0 30 2 *")]);
    assert_eq!(
        outcome,
        Outcome::failed(
            "no CronJob runs at least every 400d: cronjob/backup never runs (\"0 0 30 2 *\" UTC matches no date)"
        )
    );
}

#[test]
fn time_zone_and_dst_lengthen_the_gap() {
    if !has_tzdb() {
        return;
    }
    let nightly = with(cron_job("backup", "30 2 * * *"), "/spec/timeZone", json!("America/New_York"));
    let outcome = run(json!({"name": "backup", "maxInterval": "1d"}), vec![nightly.clone()]);
    assert_eq!(outcome.state, ItemState::Failed);
    assert!(
        outcome.message.contains("can wait 47h between runs (\"30 2 * * *\" America/New_York)"),
        "{}",
        outcome.message
    );
    assert_eq!(run(json!({"name": "backup", "maxInterval": "48h"}), vec![nightly]).state, ItemState::Passed);
}

/// Issue 14: zones whose DST change is not a whole hour, judged as the CronJob controller
/// (robfig/cron v3 `Next`) runs them.
#[test]
fn half_hour_dst_zones_are_judged_as_the_controller_runs_them() {
    let lord_howe = with(cron_job("backup", "0 12 * * *"), "/spec/timeZone", json!("Australia/Lord_Howe"));
    let outcome = run(json!({"name": "backup", "maxInterval": "25h"}), vec![lord_howe]);
    assert_eq!(outcome.state, ItemState::Failed, "{}", outcome.message);
    assert!(outcome.message.contains("can wait 2d30m between runs"), "{}", outcome.message);
    let chatham = with(cron_job("backup", "45 2 * * *"), "/spec/timeZone", json!("Pacific/Chatham"));
    let outcome = run(json!({"name": "backup", "maxInterval": "25h"}), vec![chatham]);
    assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
    assert!(outcome.message.contains("runs at least every 25h"), "{}", outcome.message);
}

#[test]
fn unknown_time_zone_fails_naming_the_cronjob() {
    let outcome = run(
        json!({"name": "backup"}),
        vec![with(cron_job("backup", "0 3 * * *"), "/spec/timeZone", json!("Mars/Olympus_Mons"))],
    );
    assert_eq!(outcome.state, ItemState::Failed);
    assert!(outcome.message.starts_with("cronjob/backup has an invalid schedule \"0 3 * * *\""), "{}", outcome.message);
}

#[test]
fn legacy_tz_prefix_is_honoured_and_flagged() {
    let outcome =
        run(json!({"name": "backup", "maxInterval": "1d"}), vec![cron_job("backup", "CRON_TZ=UTC 0 3 * * *")]);
    assert_eq!(outcome.state, ItemState::Passed);
    assert!(outcome.message.contains("TZ in schedule is not officially supported"));
    let both = with(cron_job("backup", "CRON_TZ=UTC 0 3 * * *"), "/spec/timeZone", json!("UTC"));
    assert_eq!(run(json!({"name": "backup"}), vec![both]).state, ItemState::Failed);
}

#[test]
fn recent_success_passes_and_stale_success_fails() {
    let recent = with(cron_job("backup", "0 3 * * *"), "/status/lastSuccessfulTime", json!("2026-11-25T03:00:40Z"));
    let outcome = run(json!({"name": "backup", "lastSuccessWithin": "1d"}), vec![recent]);
    assert_eq!(outcome, Outcome::passed("cronjob/backup last succeeded 6h59m ago (within 1d)"));

    let stale = with(cron_job("backup", "0 3 * * *"), "/status/lastSuccessfulTime", json!("2026-11-20T03:00:00Z"));
    let outcome = run(json!({"name": "backup", "lastSuccessWithin": "1d"}), vec![stale]);
    assert_eq!(
        outcome,
        Outcome::failed("cronjob/backup last succeeded 5d7h ago (2026-11-20T03:00:00Z), needs within 1d")
    );
}

#[test]
fn success_stamped_in_the_future_counts_as_recent() {
    let skewed = with(cron_job("backup", "0 3 * * *"), "/status/lastSuccessfulTime", json!("2026-11-25T10:05:00Z"));
    assert_eq!(run(json!({"name": "backup", "lastSuccessWithin": "1h"}), vec![skewed]).state, ItemState::Passed);
}

#[test]
fn offline_without_status_skips_only_the_last_success() {
    let outcome = run(
        json!({"name": "backup", "maxInterval": "1d", "lastSuccessWithin": "1d"}),
        vec![cron_job("backup", "0 3 * * *")],
    );
    assert_eq!(outcome.state, ItemState::Skipped);
    assert_eq!(
        outcome.message,
        "verified cronjob/backup runs at least every 24h (\"0 3 * * *\" UTC, maxInterval 1d); \
         needs a live cluster: cronjob/backup last success (no status in the manifests)"
    );
}

#[test]
fn offline_without_status_still_fails_on_the_schedule() {
    let outcome = run(
        json!({"name": "backup", "maxInterval": "1h", "lastSuccessWithin": "1d"}),
        vec![cron_job("backup", "0 3 * * *")],
    );
    assert_eq!(outcome.state, ItemState::Failed);
    assert!(outcome.message.starts_with("no CronJob runs at least every 1h"));
}

#[test]
fn live_without_a_success_has_never_succeeded() {
    let outcome = run_with(
        json!({"name": "backup", "lastSuccessWithin": "1d"}),
        vec![cron_job("backup", "0 3 * * *")],
        &Facts::live(),
    );
    assert_eq!(outcome, Outcome::failed("cronjob/backup never succeeded (no status.lastSuccessfulTime)"));
    // Offline, a status without lastSuccessfulTime proves the same.
    let ran_but_failed =
        with(cron_job("backup", "0 3 * * *"), "/status/lastScheduleTime", json!("2026-11-25T03:00:00Z"));
    assert_eq!(
        run(json!({"name": "backup", "lastSuccessWithin": "1d"}), vec![ran_but_failed]).state,
        ItemState::Failed
    );
}

#[test]
fn nothing_selected_fails_and_says_what_was_looked_for() {
    assert_eq!(run(json!({"name": "backup"}), vec![]), Outcome::failed("no CronJob named backup in namespace shop"));
    assert_eq!(
        run(json!({"selector": {"matchLabels": {"app": "report"}}}), vec![cron_job("backup", "@daily")]),
        Outcome::failed("no CronJob matches app=report in namespace shop")
    );
    assert_eq!(run(json!({}), vec![]), Outcome::failed("no CronJob in namespace shop"));
    let other_namespace = with(cron_job("backup", "@daily"), "/metadata/namespace", json!("billing"));
    assert_eq!(run(json!({}), vec![other_namespace]).state, ItemState::Failed);
}

#[test]
fn name_and_selector_together_is_a_spec_error() {
    let outcome = run(json!({"name": "backup", "selector": {}}), vec![cron_job("backup", "@daily")]);
    assert_eq!(outcome.state, ItemState::Error);
}

#[test]
fn every_cronjob_of_the_namespace_must_be_healthy_when_none_is_named() {
    let ok = with(cron_job("a", "@daily"), "/status/lastSuccessfulTime", json!("2026-11-25T00:00:00Z"));
    let old = with(cron_job("b", "@daily"), "/status/lastSuccessfulTime", json!("2026-10-01T00:00:00Z"));
    let outcome = run(json!({"lastSuccessWithin": "2d"}), vec![ok, old]);
    assert_eq!(outcome.state, ItemState::Failed);
    assert!(outcome.message.starts_with("cronjob/b last succeeded 55d10h ago"), "{}", outcome.message);
}

fn corpus(path: &str) -> Option<Vec<Value>> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus").join(path);
    let Ok(text) = std::fs::read_to_string(&full) else {
        eprintln!("notice: corpus file {} is absent; skipping this test", full.display());
        return None;
    };
    let documents: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap_or_default();
    Some(documents.into_iter().filter(|v| v.is_object()).collect())
}

#[test]
fn kubernetes_docs_cronjob_on_batch_v1beta1_no_longer_applies() {
    let Some(objects) = corpus("manifests/kubernetes-docs-examples/application__job__cronjob.yaml") else { return };
    let outcome = run(json!({"name": "hello", "maxInterval": "1m"}), objects.clone());
    assert_eq!(
        outcome,
        Outcome::failed(
            "cronjob/hello uses batch/v1beta1, which Kubernetes no longer serves since 1.25 (use batch/v1)"
        )
    );
    let old_server = Facts { server_version: Some("1.24.3".parse().expect("version")), ..Facts::offline() };
    let outcome = run_with(json!({"name": "hello", "maxInterval": "1m"}), objects, &old_server);
    assert_eq!(outcome, Outcome::passed("cronjob/hello runs at least every 1m (\"* * * * *\" UTC, maxInterval 1m)"));
}

#[test]
fn api_round_trip_fixture_has_a_broken_schedule_and_is_suspended() {
    let Some(objects) = corpus("manifests/kubernetes-api-testdata/batch.v1.CronJob.yaml") else { return };
    let objects = objects.into_iter().map(|o| with(o, "/metadata/namespace", json!("shop"))).collect();
    let outcome = run(json!({"name": "nameValue", "lastSuccessWithin": "1d"}), objects);
    assert_eq!(outcome.state, ItemState::Failed);
    assert!(outcome.message.contains("cronjob/nameValue is suspended"), "{}", outcome.message);
    assert!(outcome.message.contains("last succeeded"), "{}", outcome.message);
    assert!(outcome.message.contains("has an invalid schedule \"scheduleValue\""), "{}", outcome.message);
}

/// Malformed fields read as the JSON pointers read them: scalars of another type are unset.
#[test]
fn scalars_of_the_wrong_type_read_as_unset() {
    let quoted = with(cron_job("backup", "@daily"), "/spec/suspend", json!("true"));
    assert_eq!(run(json!({"name": "backup"}), vec![quoted]).state, ItemState::Passed, "only `true` suspends");
    let numeric = with(cron_job("backup", "@daily"), "/spec/schedule", json!(5));
    assert_eq!(run(json!({"name": "backup"}), vec![numeric]), Outcome::failed("cronjob/backup has no spec.schedule"));
    let zone = with(cron_job("backup", "0 3 * * *"), "/spec/timeZone", json!(["UTC"]));
    assert_eq!(run(json!({"name": "backup", "maxInterval": "1d"}), vec![zone]).state, ItemState::Passed);
}

/// A status that reports anything proves the CronJob came from a cluster, so a missing (or
/// unreadable) `lastSuccessfulTime` is "never succeeded", offline too; an empty one proves
/// nothing.
#[test]
fn a_status_without_a_readable_success_has_never_succeeded() {
    let spec = json!({"name": "backup", "lastSuccessWithin": "1d"});
    let never = Outcome::failed("cronjob/backup never succeeded (no status.lastSuccessfulTime)");
    for status in
        [json!({"lastSuccessfulTime": 1_764_039_640}), json!({"lastSuccessfulTime": null}), json!({"active": []})]
    {
        let object = with(cron_job("backup", "0 3 * * *"), "/status", status.clone());
        assert_eq!(run(spec.clone(), vec![object]), never, "{status}");
    }
    for status in [json!({}), json!("Active")] {
        let object = with(cron_job("backup", "0 3 * * *"), "/status", status.clone());
        assert_eq!(run(spec.clone(), vec![object]).state, ItemState::Skipped, "{status}");
    }
    let unreadable = with(cron_job("backup", "0 3 * * *"), "/status/lastSuccessfulTime", json!("yesterday"));
    assert_eq!(
        run(spec, vec![unreadable]),
        Outcome::failed("cronjob/backup has an unreadable status.lastSuccessfulTime \"yesterday\"")
    );
}

/// A `spec` that is not a mapping cannot be judged at all: an error naming the CronJob and the
/// field (where the JSON pointers found no schedule in it), as every typed view reports it.
#[test]
fn a_spec_that_is_not_a_mapping_is_an_error_naming_the_cronjob() {
    let broken = with(cron_job("backup", "@daily"), "/spec", json!("0 3 * * *"));
    let outcome = run(json!({}), vec![cron_job("nightly", "@daily"), broken]);
    assert_eq!(outcome.state, ItemState::Error);
    assert!(outcome.message.starts_with("cronjob/backup: spec: invalid type: string"), "{}", outcome.message);
}
