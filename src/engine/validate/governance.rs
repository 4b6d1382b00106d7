//! Validation of the gate's time rules and the items' waiver rules: what the CRD's CEL cannot
//! say (a schedule robfig/cron accepts, a zone that exists) and what it says, repeated here so
//! `readygate check` refuses the same offline.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::api::{Check, ChecklistItem, Duration, Gate, TimeWindow};
use crate::checks::schedule::{self, ScheduleError};

/// `(field path, problem)` for each broken rule of `gate`.
pub(crate) fn gate_problems(gate: &Gate) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut first: HashMap<&str, String> = HashMap::new();
    for (list, windows) in [("freezeWindows", &gate.freeze_windows), ("allowedWindows", &gate.allowed_windows)] {
        if windows.len() > crate::api::MAX_WINDOWS {
            problems.push((
                format!("gate.{list}"),
                format!("{} windows, at most {} allowed", windows.len(), crate::api::MAX_WINDOWS),
            ));
        }
        for (index, window) in windows.iter().enumerate() {
            let at = format!("gate.{list}[{index}] ({})", window.name);
            if let Some(earlier) = first.insert(&window.name, format!("gate.{list}[{index}]")) {
                problems.push((format!("{at}.name"), format!("duplicate of {earlier}: window names must be unique")));
            }
            problems.extend(window_problems(window).into_iter().map(|(field, p)| (format!("{at}.{field}"), p)));
        }
    }
    if let Some(min) = &gate.min_go_duration {
        problems.extend(positive(min).map(|p| ("gate.minGoDuration".to_owned(), p)));
    }
    problems
}

fn window_problems(window: &TimeWindow) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    problems.extend(positive(&window.duration).map(|p| ("duration".to_owned(), p)));
    // Any instant works to ask whether the schedule parses and ever fires.
    match schedule::next_run(&window.schedule, window.time_zone.as_deref(), Timestamp::UNIX_EPOCH) {
        Ok(Some(_)) => {}
        Ok(None) => problems.push(("schedule".to_owned(), format!("{:?} never fires", window.schedule))),
        Err(ScheduleError::Invalid(message)) => {
            let field =
                if message.contains("time zone") || message.contains("timeZone") { "timeZone" } else { "schedule" };
            problems.push((field.to_owned(), message));
        }
        // A zone this process cannot look up may well exist; the webhook keeps such a window
        // closed rather than refuse the checklist.
        Err(ScheduleError::NoTimeZoneDatabase(_)) => {}
    }
    problems
}

fn positive(duration: &Duration) -> Option<String> {
    duration.as_std().is_zero().then(|| format!("{duration} is not positive"))
}

/// `(field, problem)` for an item's waiver rules, relative to the item.
pub(crate) fn item_problems(item: &ChecklistItem) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if item.waivable_by.is_some() && matches!(item.check, Check::Manual(_)) {
        problems.push((
            "waivableBy".to_owned(),
            "a manual item cannot be waived: approvals are personal (remove waivableBy)".to_owned(),
        ));
    }
    if let Some(waiver) = &item.waiver {
        if item.waivable_by.is_none() {
            problems.push(("waiver".to_owned(), "waiver rules need waivableBy: nobody may waive this item".to_owned()));
        }
        if let Some(max) = &waiver.max_validity {
            problems.extend(positive(max).map(|p| ("waiver.maxValidity".to_owned(), p)));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::api::ReadinessChecklist;
    use crate::engine::validate::validate_checklist;

    fn problems(gate: serde_json::Value, items: serde_json::Value) -> Vec<String> {
        let checklist: ReadinessChecklist = serde_json::from_value(json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
            "metadata": {"name": "c", "namespace": "n"},
            "spec": {"gate": gate, "items": items}
        }))
        .expect("checklist");
        validate_checklist(&checklist)
    }

    fn plain_item() -> serde_json::Value {
        json!([{"name": "v", "check": {"kubernetesVersion": {"atLeast": "1.28"}}}])
    }

    #[test]
    fn windows_must_parse_fire_last_and_be_named_uniquely() {
        let gate = json!({"selector": {}, "minGoDuration": "0s",
            "freezeWindows": [
                {"name": "a", "schedule": "61 * * * *", "duration": "1h"},
                {"name": "b", "schedule": "0 0 30 2 *", "duration": "0s"},
                {"name": "c", "schedule": "0 9 * * *", "duration": "1h", "timeZone": "Mars/Olympus"}],
            "allowedWindows": [{"name": "a", "schedule": "@daily", "duration": "8h"}]});
        let found = problems(gate, plain_item());
        let expected = [
            "gate.freezeWindows[0] (a).schedule: ",
            "gate.freezeWindows[1] (b).duration: 0s is not positive",
            "gate.freezeWindows[1] (b).schedule: \"0 0 30 2 *\" never fires",
            "gate.freezeWindows[2] (c).timeZone: unknown time zone Mars/Olympus",
            "gate.allowedWindows[0] (a).name: duplicate of gate.freezeWindows[0]: window names must be unique",
            "gate.minGoDuration: 0s is not positive",
        ];
        for wanted in expected {
            assert!(found.iter().any(|p| p.starts_with(wanted)), "missing {wanted:?} in {found:#?}");
        }
        assert_eq!(found.len(), expected.len(), "{found:#?}");
    }

    #[test]
    fn valid_windows_pass() {
        let gate = json!({"selector": {}, "minGoDuration": "30m",
            "freezeWindows": [{"name": "weekend", "schedule": "0 18 * * 5", "duration": "60h",
                               "timeZone": "Europe/Berlin", "reason": "weekend"}],
            "allowedWindows": [{"name": "hours", "schedule": "0 9 * * 1-5", "duration": "8h",
                                "timeZone": "America/New_York"}]});
        assert_eq!(problems(gate, plain_item()), Vec::<String>::new());
    }

    #[test]
    fn manual_items_cannot_be_waived_and_waiver_rules_need_waivable_by() {
        let items = json!([
            {"name": "cto", "waivableBy": {"groups": ["leads"]},
             "check": {"manual": {"approvers": {"users": ["alice"]}}}},
            {"name": "v", "waiver": {"maxValidity": "0s"}, "check": {"kubernetesVersion": {"atLeast": "1.28"}}}]);
        assert_eq!(
            problems(json!({"selector": {}}), items),
            [
                "items[0] (cto).waivableBy: a manual item cannot be waived: approvals are personal (remove waivableBy)",
                "items[1] (v).waiver: waiver rules need waivableBy: nobody may waive this item",
                "items[1] (v).waiver.maxValidity: 0s is not positive",
            ]
        );
    }
}
