//! Windows and soak time at injected instants: DST in Europe/Berlin and America/New_York, merged
//! occurrences, unreadable windows, and soak restarted by an interruption.

use jiff::Timestamp;

use super::*;
use crate::api::{Gate, ItemState, Severity};
use crate::engine::{Evaluation, ItemResult, next_status};

fn at(text: &str) -> Timestamp {
    text.parse().expect("RFC 3339")
}

fn window(name: &str, schedule: &str, duration: &str, zone: Option<&str>, reason: Option<&str>) -> TimeWindow {
    TimeWindow {
        name: name.to_owned(),
        schedule: schedule.to_owned(),
        duration: duration.parse().expect("duration"),
        time_zone: zone.map(str::to_owned),
        reason: reason.map(str::to_owned),
    }
}

fn gate_with(freeze: Vec<TimeWindow>, allowed: Vec<TimeWindow>, min_go: Option<&str>) -> Gate {
    Gate {
        freeze_windows: freeze,
        allowed_windows: allowed,
        min_go_duration: min_go.map(|d| d.parse().expect("duration")),
        ..Gate::default()
    }
}

fn message(gate: &Gate, decision: Decision, since: Option<Timestamp>, now: Timestamp) -> Option<String> {
    gate_admission(gate, decision, since, now).hold.map(|h| h.message(now))
}

/// Saturday 18:00 in Berlin for 24 h. On 2026-03-29 clocks go from 02:00 CET to 03:00 CEST, so
/// the freeze that starts at 18:00 CET (17:00Z) ends 24 elapsed hours later at 19:00 CEST
/// (17:00Z), and the next Saturday's starts at 18:00 CEST (16:00Z).
#[test]
fn a_freeze_across_the_spring_dst_change_in_berlin() {
    let weekend = window("weekend", "0 18 * * 6", "24h", Some("Europe/Berlin"), Some("no weekend releases"));
    let gate = gate_with(vec![weekend], vec![], None);
    assert_eq!(message(&gate, Decision::Go, None, at("2026-03-28T16:59:59Z")), None);
    let before = gate_admission(&gate, Decision::Go, None, at("2026-03-28T16:59:59Z"));
    assert_eq!(before.next.as_ref().map(|n| n.start), Some(at("2026-03-28T17:00:00Z")));
    assert_eq!(before.next_change, Some(at("2026-03-28T17:00:00Z")));

    for inside in ["2026-03-28T17:00:00Z", "2026-03-29T01:30:00Z", "2026-03-29T16:59:59Z"] {
        assert_eq!(
            message(&gate, Decision::Go, None, at(inside)).as_deref(),
            Some("blocked by freeze 'weekend' (no weekend releases) until 2026-03-29T17:00:00Z"),
            "{inside}"
        );
    }
    // Whatever the items say: a NoGo checklist is frozen too.
    let frozen = gate_admission(&gate, Decision::NoGo, None, at("2026-03-29T12:00:00Z"));
    assert_eq!(frozen.hold.as_ref().map(Hold::reason), Some("Frozen"));
    assert_eq!(frozen.next_change, Some(at("2026-03-29T17:00:00Z")));

    assert_eq!(message(&gate, Decision::Go, None, at("2026-03-29T17:00:00Z")), None);
    let after = gate_admission(&gate, Decision::Go, None, at("2026-03-29T17:00:00Z"));
    assert_eq!(
        after.next.as_ref().map(|n| (n.start, n.end)),
        Some((at("2026-04-04T16:00:00Z"), at("2026-04-05T16:00:00Z")))
    );
}

/// The autumn change (2026-10-25, 03:00 CEST back to 02:00 CET): a freeze from Saturday 18:00
/// CEST (16:00Z) lasts 24 h, to 17:00 CET (16:00Z).
#[test]
fn a_freeze_across_the_autumn_dst_change_in_berlin() {
    let gate = gate_with(vec![window("weekend", "0 18 * * 6", "24h", Some("Europe/Berlin"), None)], vec![], None);
    assert_eq!(
        message(&gate, Decision::Go, None, at("2026-10-25T01:30:00Z")).as_deref(),
        Some("blocked by freeze 'weekend' until 2026-10-25T16:00:00Z")
    );
    assert_eq!(message(&gate, Decision::Go, None, at("2026-10-24T15:59:59Z")), None);
    assert_eq!(message(&gate, Decision::Go, None, at("2026-10-25T16:00:00Z")), None);
}

/// Business hours in New York, 09:00-17:00 on weekdays. DST starts on 2026-03-08: Friday's
/// window is 14:00Z-22:00Z (EST), Monday's 13:00Z-21:00Z (EDT).
#[test]
fn an_allowed_window_in_new_york() {
    let hours = window("business-hours", "0 9 * * 1-5", "8h", Some("America/New_York"), Some("staffed"));
    let gate = gate_with(vec![], vec![hours], None);
    assert_eq!(
        message(&gate, Decision::Go, None, at("2026-03-06T13:59:59Z")).as_deref(),
        Some(
            "blocked outside the allowed windows until 'business-hours' (staffed) opens at 2026-03-06T14:00:00Z \
             (open until 2026-03-06T22:00:00Z)"
        )
    );
    let open = gate_admission(&gate, Decision::Go, None, at("2026-03-06T14:00:00Z"));
    assert_eq!(open.hold, None);
    assert_eq!(open.active.as_ref().map(|a| (a.kind, a.end)), Some((WindowKind::Allowed, at("2026-03-06T22:00:00Z"))));
    assert_eq!(message(&gate, Decision::Go, None, at("2026-03-06T21:59:59Z")), None);
    assert_eq!(
        message(&gate, Decision::Go, None, at("2026-03-06T22:00:00Z")).as_deref(),
        Some(
            "blocked outside the allowed windows until 'business-hours' (staffed) opens at 2026-03-09T13:00:00Z \
             (open until 2026-03-09T21:00:00Z)"
        )
    );
    assert_eq!(message(&gate, Decision::Go, None, at("2026-03-09T13:00:00Z")), None);
    // A freeze inside an allowed window wins.
    let both = gate_with(
        vec![window("all-hands", "0 10 9 3 *", "2h", Some("America/New_York"), None)],
        gate.allowed_windows.clone(),
        None,
    );
    assert_eq!(
        message(&both, Decision::Go, None, at("2026-03-09T15:00:00Z")).as_deref(),
        Some("blocked by freeze 'all-hands' until 2026-03-09T16:00:00Z")
    );
}

#[test]
fn overlapping_occurrences_are_one_window() {
    // 00:00, 01:00 and 02:00, 90 minutes each: one window from 00:00 to 03:30, whenever asked.
    let gate = gate_with(vec![window("nightly", "0 0-2 * * *", "90m", None, None)], vec![], None);
    for now in ["2026-01-01T00:00:00Z", "2026-01-01T01:45:00Z", "2026-01-01T03:29:59Z"] {
        let answer = gate_admission(&gate, Decision::Go, None, at(now));
        let Some(Hold::Frozen(span)) = &answer.hold else { panic!("frozen at {now}: {answer:?}") };
        assert_eq!((span.start, span.end), (at("2026-01-01T00:00:00Z"), at("2026-01-01T03:30:00Z")), "{now}");
        // The next window is tomorrow's, not the occurrences inside this one.
        assert_eq!(answer.next.as_ref().map(|n| n.start), Some(at("2026-01-02T00:00:00Z")), "{now}");
        assert_eq!(answer.next_change, Some(at("2026-01-01T03:30:00Z")), "{now}");
    }
    assert_eq!(message(&gate, Decision::Go, None, at("2026-01-01T03:30:00Z")), None);
}

#[test]
fn an_unreadable_window_keeps_admission_closed() {
    let gate = gate_with(vec![window("broken", "61 * * * *", "1h", None, None)], vec![], None);
    let answer = gate_admission(&gate, Decision::Go, None, at("2026-01-01T00:00:00Z"));
    let text = answer.hold.map(|h| h.message(at("2026-01-01T00:00:00Z"))).unwrap_or_default();
    assert!(text.starts_with("blocked: freeze window 'broken' cannot be read ("), "{text}");
    let zone = gate_with(vec![], vec![window("hours", "0 9 * * *", "8h", Some("Mars/Olympus"), None)], None);
    let text = message(&zone, Decision::Go, None, at("2026-01-01T00:00:00Z")).unwrap_or_default();
    assert!(text.contains("allowed window 'hours' cannot be read (unknown time zone Mars/Olympus)"), "{text}");
}

fn evaluation(state: ItemState) -> Evaluation {
    Evaluation::from_items(
        "shop".to_owned(),
        "release".to_owned(),
        vec![ItemResult {
            name: "smoke".to_owned(),
            title: "smoke".to_owned(),
            section: None,
            severity: Severity::Critical,
            check: "manual",
            state,
            message: String::new(),
        }],
    )
}

/// The controller's history: Go at 10:00, NoGo at 10:40, Go again at 10:50. With one hour of
/// soak, admission opens at 11:50, not 11:00.
#[test]
fn soak_interrupted_by_a_nogo_restarts() {
    let gate = gate_with(vec![], vec![], Some("1h"));
    let mut status = None;
    for (time, state) in [
        ("2026-05-04T10:00:00Z", ItemState::Passed),
        ("2026-05-04T10:20:00Z", ItemState::Passed),
        ("2026-05-04T10:40:00Z", ItemState::Failed),
        ("2026-05-04T10:50:00Z", ItemState::Passed),
        ("2026-05-04T11:10:00Z", ItemState::Passed),
    ] {
        status = Some(next_status(status.as_ref(), &evaluation(state), Some(1), at(time)));
        let s = status.as_ref().expect("status");
        if time == "2026-05-04T10:20:00Z" {
            let since = go_since(s.decision, &s.history);
            assert_eq!(since, Some(at("2026-05-04T10:00:00Z")));
            assert_eq!(
                message(&gate, s.decision, since, at(time)).as_deref(),
                Some(
                    "soaking: Go since 2026-05-04T10:00:00Z, admission needs 1h of uninterrupted Go \
                     (gate.minGoDuration); 40m left, until 2026-05-04T11:00:00Z"
                )
            );
        }
        if time == "2026-05-04T10:40:00Z" {
            // NoGo is the checklist's own shortfall, not a hold.
            assert_eq!(message(&gate, s.decision, go_since(s.decision, &s.history), at(time)), None);
        }
    }
    let s = status.expect("status");
    let since = go_since(s.decision, &s.history);
    assert_eq!(since, Some(at("2026-05-04T10:50:00Z")));
    let answer = gate_admission(&gate, s.decision, since, at("2026-05-04T11:10:00Z"));
    assert_eq!(answer.soaked_at, Some(at("2026-05-04T11:50:00Z")));
    assert_eq!(answer.next_change, Some(at("2026-05-04T11:50:00Z")));
    assert_eq!(answer.hold.as_ref().map(Hold::reason), Some("Soaking"));
    assert!(gate_admission(&gate, s.decision, since, at("2026-05-04T11:49:59Z")).hold.is_some());
    assert_eq!(gate_admission(&gate, s.decision, since, at("2026-05-04T11:50:00Z")).hold, None);
}

#[test]
fn soak_without_history_holds_and_says_why() {
    let gate = gate_with(vec![], vec![], Some("30m"));
    assert_eq!(
        message(&gate, Decision::Go, None, at("2026-05-04T10:00:00Z")).as_deref(),
        Some(
            "soaking: the decision history does not show since when the checklist is Go; admission needs 30m of \
             uninterrupted Go (gate.minGoDuration)"
        )
    );
}
