//! `resource`: objects of any kind (by `name` or `selector`, in the namespace or cluster-wide for
//! cluster-scoped kinds) exist in the expected number and satisfy CEL rules over `object`.
//!
//! `all` must be true for every matched object (vacuously true for none, so pair it with
//! `count`); `any` must be true for at least one. An object for which the expression fails
//! (typically reading an absent field: guard with `has()`) does not satisfy it and is named with
//! the error. An expression that cannot compile, names anything but `object`, or does not give
//! a bool is an Error: the item cannot be evaluated. `object` is the whole object, live and
//! offline, less `metadata.managedFields` and the last-applied annotation (`inventory::whole`);
//! a Secret's values are digests, as everywhere.
//!
//! Expressions run within the CEL budget (`checks::cel`): one whose estimated cost on an object
//! is over it is not run, nor one that would take the item's total over all its objects past
//! `ITEM_COST_LIMIT`; either way the item is an Error starting `CEL cost budget exceeded`.
//! Messages name objects, never quote their values.

use std::sync::Arc;

use super::cel::{Bound, Compiled, EvalError, ItemBudget, compile};
use super::listing::list;
use super::{Outcome, Scope, describe_target, select};
use crate::api::{IntRange, ResourceCheck};
use crate::inventory::{Kind, Object, selector, whole};

/// Objects named in one message before "and N more".
const MAX_LISTED: usize = 5;
/// Expressions are echoed in messages up to this many characters.
const MAX_ECHOED_EXPRESSION: usize = 80;

pub fn evaluate(spec: &ResourceCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::resource(spec)) {
        return refused;
    }
    let all = match program("all", spec.all.as_deref()) {
        Ok(program) => program,
        Err(e) => return Outcome::error(e),
    };
    let any = match program("any", spec.any.as_deref()) {
        Ok(program) => program,
        Err(e) => return Outcome::error(e),
    };
    // Whole objects, not the catalogue's projection: CEL may read any field.
    let key = whole::key(Kind::of(&spec.api_version, &spec.kind));
    let objects = match select(scope, &key, spec.name.as_deref(), spec.selector.as_ref()) {
        Ok(objects) => objects,
        Err(e) => return Outcome::error(e),
    };
    let count = spec.count.clone().unwrap_or(IntRange { at_least: Some(1), at_most: None });
    let found = objects.len() as i64;
    let mut problems = Vec::new();
    if !count.contains(found) {
        problems.push(count_problem(spec, scope, &key, &objects, &count));
    }
    let mut rules = Rules::new(
        all.as_ref().map(|(p, e)| (p.as_ref(), e.as_str())),
        any.as_ref().map(|(p, e)| (p.as_ref(), e.as_str())),
    );
    for object in &objects {
        if let Err(e) = rules.judge(object) {
            return Outcome::error(e);
        }
        if rules.done() {
            break;
        }
    }
    problems.extend(rules.problems());
    let mut ok = format!("found {found} {} ({})", spec.kind, count.describe());
    if found > 0 {
        ok.push_str(&format!(": {}", references(&objects)));
    }
    ok.extend(rules.verified());
    Outcome::from_problems(problems, ok)
}

fn program(field: &str, expr: Option<&str>) -> Result<Option<(Arc<Compiled>, String)>, String> {
    let Some(expr) = expr else { return Ok(None) };
    // CEL's first line carries the position; the snippet lines after it don't fit a status message.
    let program =
        compile(expr).map_err(|e| format!("{field}: {}", e.to_string().lines().next().unwrap_or_default()))?;
    Ok(Some((program, clip(expr))))
}

fn references(objects: &[&Arc<Object>]) -> String {
    let names: Vec<String> = objects.iter().map(|o| o.reference()).collect();
    list(&names, MAX_LISTED)
}

fn count_problem(
    spec: &ResourceCheck,
    scope: &Scope<'_>,
    key: &Kind,
    objects: &[&Arc<Object>],
    count: &IntRange,
) -> String {
    let found = objects.len();
    let scope_text = if super::select::is_cluster_scoped(scope, key) {
        "in the cluster".to_owned()
    } else {
        format!("in namespace {}", scope.namespace)
    };
    if found == 0 {
        return match (&spec.name, &spec.selector) {
            (Some(name), _) => format!("no {} named {name} {scope_text}", spec.kind),
            (None, Some(s)) => format!("no {} matches {} {scope_text}", spec.kind, selector::describe(s)),
            (None, None) => format!("no {} {scope_text}", spec.kind),
        };
    }
    let target = describe_target(&spec.kind, spec.name.as_deref(), spec.selector.as_ref());
    format!("found {found} ({target} {scope_text}), expected {}: {}", count.describe(), references(objects))
}

/// The state of the `all` and `any` rules while objects are judged one by one.
struct Rules<'a> {
    all: Option<(&'a Compiled, &'a str)>,
    any: Option<(&'a Compiled, &'a str)>,
    all_false: Vec<String>,
    any_holder: Option<String>,
    any_failed: Vec<String>,
    /// Both rules' estimates, summed over the objects evaluated.
    budget: ItemBudget,
}

impl<'a> Rules<'a> {
    fn new(all: Option<(&'a Compiled, &'a str)>, any: Option<(&'a Compiled, &'a str)>) -> Self {
        Rules {
            all,
            any,
            all_false: Vec::new(),
            any_holder: None,
            any_failed: Vec::new(),
            budget: ItemBudget::default(),
        }
    }

    /// Evaluates the rules still open for `object`; `Err` when an expression is broken.
    fn judge(&mut self, object: &Object) -> Result<(), String> {
        if self.all.is_none() && (self.any.is_none() || self.any_holder.is_some()) {
            return Ok(());
        }
        // Binding converts the whole object: do it once, only for objects actually evaluated.
        let bound = Bound::new(&object.data);
        let reference = object.reference();
        if let Some((program, _)) = self.all {
            match bound.eval_bool_within(program, &mut self.budget) {
                Ok(true) => {}
                Ok(false) => self.all_false.push(reference.clone()),
                Err(EvalError::Object(e)) => self.all_false.push(format!("{reference} ({e})")),
                Err(EvalError::Expression(e)) => return Err(format!("all: {e} (for {reference})")),
                Err(EvalError::Budget(e)) => return Err(over_budget("all", &e, &reference)),
            }
        }
        if let Some((program, _)) = self.any
            && self.any_holder.is_none()
        {
            match bound.eval_bool_within(program, &mut self.budget) {
                Ok(true) => self.any_holder = Some(reference),
                Ok(false) => {}
                Err(EvalError::Object(e)) => self.any_failed.push(format!("{reference} ({e})")),
                Err(EvalError::Expression(e)) => return Err(format!("any: {e} (for {reference})")),
                Err(EvalError::Budget(e)) => return Err(over_budget("any", &e, &reference)),
            }
        }
        Ok(())
    }

    /// Nothing more to learn: only `any` is asked and it already holds.
    fn done(&self) -> bool {
        self.all.is_none() && self.any_holder.is_some()
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some((_, expr)) = self.all
            && !self.all_false.is_empty()
        {
            problems.push(format!("all `{expr}` is false for {}", list(&self.all_false, MAX_LISTED)));
        }
        if let Some((_, expr)) = self.any
            && self.any_holder.is_none()
        {
            let mut problem = format!("any `{expr}` holds for no object");
            if !self.any_failed.is_empty() {
                problem.push_str(&format!(" (failed for {})", list(&self.any_failed, MAX_LISTED)));
            }
            problems.push(problem);
        }
        problems
    }

    fn verified(&self) -> Vec<String> {
        let mut parts = Vec::new();
        if let Some((_, expr)) = self.all {
            parts.push(format!("; all `{expr}` holds"));
        }
        if let (Some((_, expr)), Some(holder)) = (self.any, &self.any_holder) {
            parts.push(format!("; any `{expr}` holds for {holder}"));
        }
        parts
    }
}

/// The message of an item whose expression the budget refused for one object.
fn over_budget(field: &str, reason: &str, reference: &str) -> String {
    format!("CEL cost budget exceeded: {field}: {reason} for {reference}")
}

/// The expression as messages show it: one line, cut at [`MAX_ECHOED_EXPRESSION`] characters.
fn clip(expr: &str) -> String {
    super::listing::one_line(expr, MAX_ECHOED_EXPRESSION)
}

#[cfg(test)]
mod tests;
