//! What a gate's change-freeze windows, allowed windows and soak time (`minGoDuration`) mean for
//! admission at a given instant. Pure: the webhook, `readygate check --at` and the controller's
//! status all call [`gate_admission`] with their own clock, so they cannot disagree.
//!
//! Windows open at each run of their CronJob schedule, computed by the same port of robfig/cron
//! v3 `Next` the `cronJob` check uses (so DST behaves exactly as the CronJob controller's), and
//! stay open for `duration` of elapsed time. Occurrences that overlap or touch are one window.
//!
//! A window that cannot be read (a schedule or zone the validation would refuse, or no time
//! zone database in this process) blocks admission: a gate that opened when its calendar was
//! unreadable would let through exactly what the freeze exists to stop.

use jiff::Timestamp;

use crate::api::{Decision, Gate, HistoryEntry, TimeWindow, WindowKind};
use crate::checks::schedule::{self, ScheduleError};

/// Occurrences followed to find where overlapping occurrences end (`* * * * *` lasting an hour
/// overlaps 60 of its successors). Past this the end is reported as found so far, which is
/// still inside the window.
const MAX_MERGED_OCCURRENCES: usize = 512;

/// One occurrence of a window: `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowSpan {
    pub name: String,
    pub kind: WindowKind,
    pub start: Timestamp,
    pub end: Timestamp,
    pub reason: Option<String>,
}

/// Why admission of a Go (or any) checklist is held back by time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hold {
    /// A freeze window is open.
    Frozen(WindowSpan),
    /// Allowed windows are set and none is open; the next to open, if any ever does.
    OutsideAllowedWindows(Option<WindowSpan>),
    /// Go, but not yet for `minGoDuration`. `go_since` is `None` when the history does not say
    /// since when.
    Soaking { go_since: Option<Timestamp>, soaked_at: Option<Timestamp>, min: crate::api::Duration },
    /// A window's schedule or zone cannot be read.
    UnreadableWindow { name: String, kind: WindowKind, error: String },
}

impl Hold {
    /// The bounded reason label (metrics, audit annotations, `status.admission.reason`).
    pub fn reason(&self) -> &'static str {
        match self {
            Hold::Frozen(_) | Hold::UnreadableWindow { .. } => "Frozen",
            Hold::OutsideAllowedWindows(_) => "OutsideAllowedWindows",
            Hold::Soaking { .. } => "Soaking",
        }
    }

    /// [`Hold::message`] without the time left, which changes at every instant: for status,
    /// which is rewritten only when something in it changes.
    pub fn message_without_clock(&self) -> String {
        match self {
            Hold::Soaking { go_since: Some(since), soaked_at: Some(at), min } => format!(
                "soaking: Go since {since}, admission needs {min} of uninterrupted Go (gate.minGoDuration), until {at}"
            ),
            other => other.message(Timestamp::UNIX_EPOCH),
        }
    }

    /// What the user reads: `blocked by freeze 'black-friday' (peak sales) until
    /// 2026-11-30T06:00:00Z`.
    pub fn message(&self, now: Timestamp) -> String {
        match self {
            Hold::Frozen(span) => {
                format!("blocked by freeze '{}'{} until {}", span.name, describe_reason(span), span.end)
            }
            Hold::OutsideAllowedWindows(Some(next)) => format!(
                "blocked outside the allowed windows until '{}'{} opens at {} (open until {})",
                next.name,
                describe_reason(next),
                next.start,
                next.end
            ),
            Hold::OutsideAllowedWindows(None) => {
                "blocked outside the allowed windows: none of them opens again".to_owned()
            }
            Hold::Soaking { go_since: Some(since), soaked_at: Some(at), min } => format!(
                "soaking: Go since {since}, admission needs {min} of uninterrupted Go (gate.minGoDuration); \
                 {} left, until {at}",
                schedule::format_secs(at.duration_since(now).as_secs().max(1))
            ),
            Hold::Soaking { min, .. } => format!(
                "soaking: the decision history does not show since when the checklist is Go; admission needs \
                 {min} of uninterrupted Go (gate.minGoDuration)"
            ),
            Hold::UnreadableWindow { name, kind, error } => format!(
                "blocked: {} window '{name}' cannot be read ({error}); admission stays closed until it is fixed",
                match kind {
                    WindowKind::Freeze => "freeze",
                    WindowKind::Allowed => "allowed",
                }
            ),
        }
    }
}

fn describe_error(error: &ScheduleError) -> String {
    match error {
        ScheduleError::Invalid(message) | ScheduleError::NoTimeZoneDatabase(message) => message.clone(),
    }
}

fn describe_reason(span: &WindowSpan) -> String {
    span.reason.as_deref().filter(|r| !r.trim().is_empty()).map(|r| format!(" ({r})")).unwrap_or_default()
}

/// The gate's time rules at one instant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GateAdmission {
    /// What holds admission back, if anything does (beyond the decision itself).
    pub hold: Option<Hold>,
    /// The window open now: a freeze, else an allowed window.
    pub active: Option<WindowSpan>,
    /// The next window of either kind to open.
    pub next: Option<WindowSpan>,
    /// Since when the checklist has been Go without interruption.
    pub go_since: Option<Timestamp>,
    /// When `minGoDuration` is served, if it stays Go.
    pub soaked_at: Option<Timestamp>,
    /// The next instant this answer changes by the clock alone (a window opens or closes, the
    /// soak ends): when the controller must look again.
    pub next_change: Option<Timestamp>,
}

/// The admission note for `evaluation` of `checklist` at `now`, as the webhook would answer once
/// the controller stored this evaluation: the decision history is the checklist's stored one
/// (an exported `status`, offline) continued with this evaluation, exactly as the controller's
/// [`super::next_status`] continues it. `None` when the gate sets no time rule.
pub fn for_evaluation(
    checklist: &crate::api::ReadinessChecklist,
    evaluation: &super::Evaluation,
    now: Timestamp,
) -> Option<super::AdmissionNote> {
    let gate = checklist.spec.gate.as_ref().filter(|g| has_time_rules(g))?;
    let status = super::next_status(checklist.status.as_ref(), evaluation, checklist.metadata.generation, now);
    let answer = gate_admission(gate, status.decision, go_since(status.decision, &status.history), now);
    Some(match answer.hold {
        Some(hold) => super::AdmissionNote { held: true, reason: hold.reason().to_owned(), message: hold.message(now) },
        None => super::AdmissionNote {
            held: false,
            reason: status.decision.as_str().to_owned(),
            message: format!(
                "no window or soak time holds admission back; the decision is {}",
                status.decision.as_str()
            ),
        },
    })
}

/// Whether the gate sets any time rule at all (windows or soak).
pub fn has_time_rules(gate: &Gate) -> bool {
    !gate.freeze_windows.is_empty() || !gate.allowed_windows.is_empty() || gate.min_go_duration.is_some()
}

/// What `gate`'s windows and soak time mean at `now` for a checklist whose current decision is
/// `decision`, Go without interruption since `go_since` (see [`go_since`]).
///
/// Order: an open freeze holds whatever the decision; then being outside every allowed window;
/// then, only for a Go, the soak time. A decision other than Go is the checklist's own
/// shortfall and not a hold.
pub fn gate_admission(gate: &Gate, decision: Decision, go_since: Option<Timestamp>, now: Timestamp) -> GateAdmission {
    let mut answer = GateAdmission::default();
    let mut changes: Vec<Timestamp> = Vec::new();
    let mut unreadable = None;
    let mut freeze = None;
    let mut allowed_open = None;
    let mut allowed_next: Option<WindowSpan> = None;
    for (kind, windows) in [(WindowKind::Freeze, &gate.freeze_windows), (WindowKind::Allowed, &gate.allowed_windows)] {
        for window in windows {
            // The next occurrence that opens anything: after the open one ends (occurrences up to
            // its end are part of it).
            let opened = open_at(window, kind, now).and_then(|open| {
                let after = open.as_ref().map_or(now, |o| o.end);
                next_after(window, kind, after).map(|next| (open, next))
            });
            let (open, next) = match opened {
                Ok(pair) => pair,
                Err(error) => {
                    unreadable.get_or_insert(Hold::UnreadableWindow {
                        name: window.name.clone(),
                        kind,
                        error: describe_error(&error),
                    });
                    continue;
                }
            };
            if let Some(open) = open {
                changes.push(open.end);
                let slot = if kind == WindowKind::Freeze { &mut freeze } else { &mut allowed_open };
                // Of two open windows, the one that lasts longer says when admission reopens.
                if slot.as_ref().is_none_or(|s: &WindowSpan| open.end > s.end) {
                    *slot = Some(open);
                }
            }
            if let Some(next) = next {
                changes.push(next.start);
                if kind == WindowKind::Allowed && allowed_next.as_ref().is_none_or(|n| next.start < n.start) {
                    allowed_next = Some(next.clone());
                }
                if answer.next.as_ref().is_none_or(|n| next.start < n.start) {
                    answer.next = Some(next);
                }
            }
        }
    }
    answer.active = freeze.clone().or_else(|| allowed_open.clone());
    answer.go_since = go_since.filter(|_| decision == Decision::Go);
    if let (Some(min), Some(since)) = (&gate.min_go_duration, answer.go_since) {
        answer.soaked_at = since.checked_add(min.as_span()).ok();
        changes.extend(answer.soaked_at.filter(|at| *at > now));
    }
    answer.hold = if let Some(hold) = unreadable {
        Some(hold)
    } else if let Some(span) = freeze {
        Some(Hold::Frozen(span))
    } else if !gate.allowed_windows.is_empty() && allowed_open.is_none() {
        Some(Hold::OutsideAllowedWindows(allowed_next))
    } else if let (Some(min), Decision::Go) = (&gate.min_go_duration, decision) {
        match answer.soaked_at {
            Some(at) if at <= now => None,
            soaked_at => Some(Hold::Soaking { go_since: answer.go_since, soaked_at, min: min.clone() }),
        }
    } else {
        None
    };
    answer.next_change = changes.into_iter().filter(|t| *t > now).min();
    answer
}

/// Since when the stored decision has been Go without interruption: the time of the newest
/// history entry when that entry and the decision are Go. Every change of decision (NoGo,
/// Unknown, an unfinished evaluation) adds an entry, so a Go after any interruption starts
/// afresh.
pub fn go_since(decision: Decision, history: &[HistoryEntry]) -> Option<Timestamp> {
    let newest = history.first()?;
    (decision == Decision::Go && newest.decision == Decision::Go).then_some(newest.time.0)
}

/// The occurrence of `window` open at `now`, merged with the occurrences it overlaps or touches.
pub fn open_at(window: &TimeWindow, kind: WindowKind, now: Timestamp) -> Result<Option<WindowSpan>, ScheduleError> {
    let length = window.duration.as_span();
    let Ok(earliest) = now.checked_sub(length) else { return Ok(None) };
    // The first start after `now - duration` is the earliest one whose occurrence still covers
    // `now` (occurrences are half-open: one ending exactly now is over).
    let Some(start) = schedule::next_run(&window.schedule, window.time_zone.as_deref(), earliest)? else {
        return Ok(None);
    };
    if start > now {
        return Ok(None);
    }
    let Ok(mut end) = start.checked_add(length) else { return Ok(None) };
    if end <= now {
        // `next_run` works in whole seconds; a sub-second duration can fall between them.
        return Ok(None);
    }
    // Earlier occurrences that overlap or touch this one belong to the same window: its start
    // must not move with `now`, or a long window would seem to start anew at every look.
    let mut start = start;
    for _ in 0..MAX_MERGED_OCCURRENCES {
        let Ok(from) = start.checked_sub(length + jiff::SignedDuration::from_secs(1)) else { break };
        match schedule::next_run(&window.schedule, window.time_zone.as_deref(), from)? {
            Some(earlier) if earlier < start => start = earlier,
            _ => break,
        }
    }
    let mut last = end.checked_sub(length).unwrap_or(start);
    for _ in 0..MAX_MERGED_OCCURRENCES {
        match schedule::next_run(&window.schedule, window.time_zone.as_deref(), last)? {
            Some(following) if following <= end => {
                end = end.max(following.checked_add(length).unwrap_or(end));
                last = following;
            }
            _ => break,
        }
    }
    Ok(Some(span(window, kind, start, end)))
}

/// The first occurrence of `window` that starts after `now`.
pub fn next_after(window: &TimeWindow, kind: WindowKind, now: Timestamp) -> Result<Option<WindowSpan>, ScheduleError> {
    let Some(start) = schedule::next_run(&window.schedule, window.time_zone.as_deref(), now)? else {
        return Ok(None);
    };
    Ok(start.checked_add(window.duration.as_span()).ok().map(|end| span(window, kind, start, end)))
}

fn span(window: &TimeWindow, kind: WindowKind, start: Timestamp, end: Timestamp) -> WindowSpan {
    WindowSpan { name: window.name.clone(), kind, start, end, reason: window.reason.clone() }
}

#[cfg(test)]
#[path = "admission_tests.rs"]
mod tests;
