//! Evaluating a checklist: run each item's check, apply sign-offs and waivers, decide Go/NoGo.

pub mod admission;
mod decision;
pub mod governance;
mod interest;
pub mod signoff_rules;
mod signoffs;
mod status;
pub mod validate;

use std::collections::HashMap;

use jiff::Timestamp;

pub use decision::{DEFAULT_MAX_STALENESS, current_decision, decide, summarize};
pub use interest::{Collector, Interest};
pub use status::{
    CONDITION_EVALUATED, CONDITION_READY, HISTORY_LIMIT, REASON_CURRENT, condition, history_after, next_status,
    status_needs_write,
};

use crate::api::{Check, Decision, ItemState, ReadinessChecklist, Severity, SignoffAction, Summary};
use crate::checks::{self, Facts, Scope};
use crate::inventory::Inventory;

/// Longest message kept per item, in bytes; status must stay far below etcd's object limit.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// The result of one item.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemResult {
    pub name: String,
    pub title: String,
    pub section: Option<String>,
    pub severity: Severity,
    /// The `check` key (`workload`, `manual`, ...).
    pub check: &'static str,
    pub state: ItemState,
    pub message: String,
}

/// The result of one checklist.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub namespace: String,
    pub name: String,
    pub decision: Decision,
    pub summary: Summary,
    /// Critical items neither Passed nor Waived, sorted by name.
    pub blocking: Vec<String>,
    /// One per spec item, in spec order.
    pub items: Vec<ItemResult>,
    /// When the items were evaluated; `None` when rebuilt from a status that says not.
    pub evaluated_at: Option<Timestamp>,
    /// The sign-offs that counted (approvals that passed a manual item, waivers that waived
    /// one), in item order, for reports that show who signed what.
    pub signoffs: Vec<SignoffRecord>,
    /// What the gate's windows and soak time say about admission, when the gate sets any and
    /// the caller asked ([`admission::for_evaluation`]); the decision above stays the
    /// checklist's own.
    pub admission: Option<AdmissionNote>,
}

/// Admission as a gate's time rules leave it, for reports and exit codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdmissionNote {
    /// A window or the soak time holds admission back.
    pub held: bool,
    /// `Frozen`, `OutsideAllowedWindows`, `Soaking`, or the decision when nothing holds.
    pub reason: String,
    pub message: String,
}

/// A ReadinessSignoff that counted for an item.
#[derive(Clone, Debug, PartialEq)]
pub struct SignoffRecord {
    /// The ReadinessSignoff's name.
    pub object: String,
    pub item: String,
    pub action: SignoffAction,
    /// `spec.signer.username`.
    pub signer: String,
    pub reason: String,
    /// Its creationTimestamp; offline manifests usually carry none.
    pub signed_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
}

impl Evaluation {
    /// An evaluation of `items`, with decision, summary and blocking list derived from them.
    pub fn from_items(namespace: String, name: String, items: Vec<ItemResult>) -> Self {
        let mut evaluation = Evaluation {
            namespace,
            name,
            decision: Decision::Unknown,
            summary: Summary::default(),
            blocking: Vec::new(),
            items,
            evaluated_at: None,
            signoffs: Vec::new(),
            admission: None,
        };
        evaluation.refresh();
        evaluation
    }

    /// Re-derives decision, summary and blocking after item states changed.
    fn refresh(&mut self) {
        self.summary = summarize(&self.items);
        self.decision = decide(&self.items);
        self.blocking = self
            .items
            .iter()
            .filter(|i| i.severity == Severity::Critical && !i.state.is_satisfied())
            .map(|i| i.name.clone())
            .collect();
        self.blocking.sort();
    }
}

/// Evaluates one checklist against an inventory. Pure: same inputs, same result.
pub fn evaluate(checklist: &ReadinessChecklist, inventory: &Inventory, facts: &Facts, now: Timestamp) -> Evaluation {
    match evaluate_until(checklist, inventory, facts, now, &|| false) {
        Some(evaluation) => evaluation,
        None => unreachable!("an evaluation that is never told to stop finishes"),
    }
}

/// [`evaluate`], asking `stop` before each item: `None` once it says so. The controller's
/// deadline hook; one check costs an atomic load, so it is asked between items only (an item
/// itself is bounded by the CEL budget, not by this).
pub fn evaluate_until(
    checklist: &ReadinessChecklist,
    inventory: &Inventory,
    facts: &Facts,
    now: Timestamp,
    stop: &dyn Fn() -> bool,
) -> Option<Evaluation> {
    let namespace = checklist.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned());
    let name = checklist.metadata.name.clone().unwrap_or_default();
    let scope = Scope { namespace: &namespace, inventory, facts, now };
    let signoffs = signoff_set(checklist, inventory, &namespace, &name, now);

    let mut counted = Vec::new();
    let items: Vec<ItemResult> = checklist
        .spec
        .items
        .iter()
        .map(|item| {
            if stop() {
                return None;
            }
            let (outcome, approval) = match &item.check {
                Check::Manual(manual) => signoffs.approval(item, manual),
                check => (checks::evaluate(check, &scope), None),
            };
            counted.extend(approval);
            let outcome = if outcome.state.is_satisfied() {
                outcome
            } else {
                match signoffs.waiver(item) {
                    signoffs::WaiverOutcome::Counted(waived, waiver) => {
                        counted.push(waiver);
                        waived
                    }
                    // Say why, as manual items do for approvals: a plain failure next to a
                    // waiver someone believes in reads as a bug.
                    signoffs::WaiverOutcome::Ignored(rejected) => checks::Outcome::new(
                        outcome.state,
                        format!("{}; waiver not counted: {}", outcome.message, rejected.join(", ")),
                    ),
                    signoffs::WaiverOutcome::None => outcome,
                }
            };
            Some(ItemResult {
                name: item.name.clone(),
                title: item.display_title().to_owned(),
                section: item.section.clone(),
                severity: item.severity,
                check: item.check.key(),
                state: outcome.state,
                message: bound_message(outcome.message),
            })
        })
        .collect::<Option<_>>()?;

    let mut evaluation = Evaluation::from_items(namespace, name, items);
    evaluation.evaluated_at = Some(now);
    evaluation.signoffs = counted;
    Some(evaluation)
}

/// The ReadinessSignoffs of `checklist` (in `inventory`) that count at `now`, as [`evaluate`]
/// records them in [`Evaluation::signoffs`], for a reader that has the item states already (the
/// board, from status) and must not run the checks again: `check_passed(item)` says whether the
/// item's own check passed, since a waiver only counts for an item that did not.
pub fn signoff_records(
    checklist: &ReadinessChecklist,
    inventory: &Inventory,
    now: Timestamp,
    check_passed: &dyn Fn(&str) -> bool,
) -> Vec<SignoffRecord> {
    let namespace = checklist.metadata.namespace.as_deref().unwrap_or("default");
    let name = checklist.metadata.name.as_deref().unwrap_or_default();
    let signoffs = signoff_set(checklist, inventory, namespace, name, now);
    let mut records = Vec::new();
    for item in &checklist.spec.items {
        if let Check::Manual(manual) = &item.check {
            records.extend(signoffs.approval(item, manual).1);
        } else if !check_passed(&item.name)
            && let signoffs::WaiverOutcome::Counted(_, waiver) = signoffs.waiver(item)
        {
            records.push(waiver);
        }
    }
    records
}

/// The sign-offs `evaluate` weighs for `checklist`: none when no item can use one.
fn signoff_set(
    checklist: &ReadinessChecklist,
    inventory: &Inventory,
    namespace: &str,
    name: &str,
    now: Timestamp,
) -> signoffs::SignoffSet {
    if checks::signoffs_count(checklist) {
        signoffs::SignoffSet::collect(inventory, namespace, name, checklist.spec.release.as_deref(), now)
    } else {
        signoffs::SignoffSet::empty(now)
    }
}

/// Evaluates several checklists, those referenced by `checklist` items first, so a reference to
/// a checklist in the same set sees its fresh decision. Reference cycles make the items involved
/// `Error` instead of recursing. Results come back in input order.
///
/// The order is a depth-first walk kept on an explicit stack rather than the call stack: a
/// chain of checklists each requiring the next is as long as its author makes it, and 17,500
/// links overflowed the main thread's stack.
pub fn evaluate_all(
    checklists: &[ReadinessChecklist],
    inventory: &Inventory,
    facts: &Facts,
    now: Timestamp,
) -> Vec<Evaluation> {
    let namespaces: Vec<String> =
        checklists.iter().map(|c| c.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned())).collect();
    let index: HashMap<(&str, &str), usize> = checklists
        .iter()
        .zip(&namespaces)
        .enumerate()
        .map(|(i, (c, ns))| ((ns.as_str(), c.metadata.name.as_deref().unwrap_or_default()), i))
        .collect();
    // The checklist each item refers to, when it is one of `checklists`.
    let dependencies: Vec<Vec<Option<usize>>> = checklists
        .iter()
        .zip(&namespaces)
        .map(|(checklist, ns)| {
            checklist
                .spec
                .items
                .iter()
                .map(|item| match &item.check {
                    Check::Checklist(reference) => index.get(&(ns.as_str(), reference.name.as_str())).copied(),
                    _ => None,
                })
                .collect()
        })
        .collect();

    let mut facts = facts.clone();
    let mut results: Vec<Option<Evaluation>> = vec![None; checklists.len()];
    // On the walk's stack (entered, not yet evaluated): a reference to one of these is a cycle.
    let mut visiting = vec![false; checklists.len()];
    // Each entry: a checklist and the next of its items whose reference to follow.
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..checklists.len() {
        if results[root].is_some() {
            continue;
        }
        visiting[root] = true;
        stack.push((root, 0));
        while let Some((node, next_item)) = stack.last_mut() {
            let node = *node;
            let unvisited = dependencies[node][*next_item..]
                .iter()
                .position(|dep| dep.is_some_and(|dep| results[dep].is_none() && !visiting[dep]));
            if let Some(offset) = unvisited {
                *next_item += offset + 1;
                if let Some(dep) = dependencies[node][*next_item - 1] {
                    visiting[dep] = true;
                    stack.push((dep, 0));
                }
                continue;
            }
            stack.pop();
            let mut evaluation = evaluate(&checklists[node], inventory, &facts, now);
            // A dependency still being visited is a cycle: say so instead of reporting "not found".
            for ((item, result), dep) in
                checklists[node].spec.items.iter().zip(evaluation.items.iter_mut()).zip(&dependencies[node])
            {
                if let (Check::Checklist(reference), Some(dep)) = (&item.check, *dep)
                    && visiting[dep]
                {
                    result.state = ItemState::Error;
                    result.message = format!("checklist reference cycle through readinesschecklist/{}", reference.name);
                } else if let (Check::Checklist(reference), Some(Some(referenced))) =
                    (&item.check, dep.map(|dep| results[dep].as_ref()))
                    && referenced.decision == Decision::Unknown
                    && result.state == ItemState::Error
                {
                    // Evaluated in this run: say why it is Unknown rather than guess at staleness.
                    result.message = bound_message(format!(
                        "readinesschecklist/{} is Unknown: {}",
                        reference.name,
                        why_unknown(referenced)
                    ));
                }
            }
            evaluation.refresh();
            facts.checklists.insert((evaluation.namespace.clone(), evaluation.name.clone()), evaluation.decision);
            visiting[node] = false;
            results[node] = Some(evaluation);
        }
    }
    results.into_iter().flatten().collect()
}

/// `item a is Error (message); item b is Skipped (message)`: the Critical items that make an
/// evaluation Unknown.
fn why_unknown(evaluation: &Evaluation) -> String {
    let undecided: Vec<String> = evaluation
        .items
        .iter()
        .filter(|i| i.severity == Severity::Critical && matches!(i.state, ItemState::Error | ItemState::Skipped))
        .map(|i| format!("item {} is {} ({})", i.name, i.state.as_str(), i.message))
        .collect();
    if undecided.is_empty() { "no critical item decided it".to_owned() } else { undecided.join("; ") }
}

/// Cuts a message to [`MAX_MESSAGE_BYTES`] on a character boundary, marking the cut.
pub fn bound_message(message: String) -> String {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message;
    }
    let mut end = MAX_MESSAGE_BYTES - '…'.len_utf8();
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    let mut bounded = message[..end].to_owned();
    bounded.push('…');
    bounded
}

#[cfg(test)]
mod tests;
