//! CEL for `resource` checks: compiling (with a bounded cache), validating for the admission
//! webhook, and evaluating a program against one object bound as `object`, within a budget.
//!
//! The environment is CEL's standard library plus the strings, lists and math extensions and
//! Kubernetes' own libraries ([`kubernetes`]: quantity, URL, IP and CIDR, the list functions and
//! regex `find`/`findAll`), what rules in CRDs and ValidatingAdmissionPolicies use; only the
//! authorizer and the format library (`format.dns1123Label()`) are not offered, as a checklist
//! has no request to authorize. A function the environment lacks is refused when the rule is
//! compiled, with cel-go's message (`undeclared reference to 'f'`). Semantics follow Kubernetes:
//! reading an absent field is an error (`no such key`), so optional fields are guarded with
//! `has(object.spec.x)` or read with `object.?spec.?x.orValue(default)`.
//!
//! Budget ([`cost`]): every program's cost is estimated from its AST when it is compiled, on an
//! ordinary large object (refused over [`COST_LIMIT`], so `/validate/checklists` and `readygate
//! check` refuse it with its estimate), and again before every evaluation with the actual sizes
//! of the bound object (an [`EvalError::Budget`] over it). Both bound every value the expression
//! builds by [`CREATED_BYTES_LIMIT`]. A function without a cost model is refused.
//!
//! Messages ([`messages`]): errors never quote a value of the object, only names and literals the
//! expression wrote and types. `metadata.managedFields` and the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation are not bound at all: no rule
//! needs them, and the annotation is a full copy of the object, literal env values included.
//!
//! Cost: compiling is tens of microseconds and is cached (`Program` is `Send + Sync`, so one
//! global cache serves every thread); constant `matches()` patterns are compiled with the
//! program. Binding `object` converts the object's JSON to CEL values without copying strings
//! and measures it in the same walk; measured roughly at ~20 µs for a typical 5 KB Deployment and
//! ~0.25 ms for a 60 KB object in release builds, so only objects actually evaluated are bound,
//! once each for both `all` and `any`. The runtime estimate walks the AST once per evaluation.

mod ast;
mod cost;
pub mod kubernetes;
mod messages;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use cel::common::ast::{Expr, LiteralValue};
use cel::common::types::{CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt};
use cel::common::value::Val;
use cel::{Context, DeclarationError, Env, ExecutionError, IdedExpr, Program, Value as CelValue};
use serde_json::{Map, Value};

pub use cost::{BudgetError, COST_LIMIT, CREATED_BYTES_LIMIT, Sizes, scientific};

/// The most one item's expressions may cost across all the objects they are evaluated on, as the
/// sum of their per-object estimates: Kubernetes' per-validation runtime budget for CRD rules
/// (`RuntimeCELCostBudget`, 1e8). [`COST_LIMIT`] bounds one evaluation; this bounds an item that
/// selects many objects, each within it.
pub const ITEM_COST_LIMIT: f64 = 1e8;
use messages::Written;

const CACHE_LIMIT: usize = 256;
/// Longer expressions are refused: checklist rules are one-liners, and the parser's cost grows
/// with the input.
pub const MAX_EXPRESSION_BYTES: usize = 4096;

/// The stack compiling runs on when the thread has less left than [`COMPILE_RED_ZONE`]: parsing a
/// 4 KiB expression nested as deep as the parser allows (96 levels) takes a few MiB in debug
/// builds, more than a 2 MiB worker thread has. Reserved, not committed, until used.
const COMPILE_STACK: usize = 64 << 20;
const COMPILE_RED_ZONE: usize = 16 << 20;
/// Stack the interpreter needs per AST level, with room to spare: a 2 MiB stack overflowed at 56
/// levels (28 nested macros) in a debug build, about 37 KiB a level.
const STACK_PER_LEVEL: usize = 64 << 10;
/// Stack for each level of a JSON value converted to CEL.
const STACK_RED_ZONE: usize = 64 << 10;
const STACK_SEGMENT: usize = 1 << 20;

/// The annotation `kubectl apply` keeps a full copy of the object in (literal env values too).
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The environment every program compiles and runs against, or why it could not be built.
static ENV: LazyLock<Result<Arc<Env>, DeclarationError>> = LazyLock::new(|| {
    environment().map(Arc::new).inspect_err(|error| {
        tracing::error!(%error, "the CEL environment could not be built; every `resource` rule is refused");
    })
});

/// CEL's standard library, the strings, lists and math extensions, and our `matches`. A clash
/// between registrations is a bug in this list (or in a cel upgrade): it is reported, never
/// skipped, since a silently missing function would turn valid rules into compile errors.
fn environment() -> Result<Env, DeclarationError> {
    let mut env = Env::stdlib();
    for extension in [cel::extensions::strings, cel::extensions::lists, cel::extensions::math] {
        env.add_extension(extension)?;
    }
    // The cel crate's own `matches` (its `regex` feature, off) compiles the pattern on every call.
    cel::add_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>, id = "matches")?;
    cel::add_member_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>)?;
    // Kubernetes' CEL libraries declare only names of their own (a test registers them on a
    // fresh environment), so a clash here is a bug and is reported like the rest.
    kubernetes::register(&mut env)?;
    Ok(env)
}

/// `string.matches(pattern)`: RE2-style search anywhere in the string, as Kubernetes CEL does.
/// The error names no pattern: one that is not a constant may come from the object.
fn matches(this: &CelString<'_>, pattern: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    match super::patterns::compiled(pattern.inner(), super::patterns::Match::Search) {
        Ok(compiled) => Ok(CelBool::from(compiled.is_match(this.inner()))),
        Err(_) => Err(ExecutionError::function_error("matches", "not a valid regular expression")),
    }
}

/// A program compiled and admitted by the budget, with what its messages may quote.
#[derive(Debug)]
pub struct Compiled {
    program: Program,
    written: Written,
    static_cost: f64,
    /// The AST's depth, for the stack its evaluation needs.
    depth: usize,
}

impl Compiled {
    /// The cost estimated when it was compiled, on [`Sizes::STATIC`].
    pub fn static_cost(&self) -> f64 {
        self.static_cost
    }
}

/// Why an expression cannot be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CompileError {
    /// Not CEL, too long, or an invalid constant regular expression. CEL's message
    /// (`ERROR: <input>:1:5: Syntax error: ...`) has a snippet on the lines after the first.
    #[error("{0}")]
    Invalid(String),
    /// Valid CEL the budget refuses: its estimate is over the limit, or it calls a function the
    /// budget cannot cost.
    #[error("CEL expression's {0}")]
    Budget(BudgetError),
    /// The CEL environment itself could not be built (two registrations clash): no expression
    /// can be compiled until that is fixed.
    #[error("the CEL environment could not be built: {0}")]
    Environment(DeclarationError),
}

static CACHE: LazyLock<Mutex<HashMap<String, Arc<Compiled>>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Compiles `expr`, reusing an earlier compilation of the same text.
pub fn compile(expr: &str) -> Result<Arc<Compiled>, CompileError> {
    if expr.len() > MAX_EXPRESSION_BYTES {
        return Err(CompileError::Invalid(format!(
            "expression is {} bytes, longer than {MAX_EXPRESSION_BYTES}",
            expr.len()
        )));
    }
    if expr.trim().is_empty() {
        return Err(CompileError::Invalid("expression is empty".to_owned()));
    }
    if let Some(compiled) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(expr) {
        return Ok(Arc::clone(compiled));
    }
    let compiled = Arc::new(stacker::maybe_grow(COMPILE_RED_ZONE, COMPILE_STACK, || compile_new(expr))?);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(expr.to_owned(), Arc::clone(&compiled));
    Ok(compiled)
}

fn compile_new(expr: &str) -> Result<Compiled, CompileError> {
    let env = ENV.as_ref().map_err(|e| CompileError::Environment(e.clone()))?;
    let program = env.compile(expr).map_err(|e| CompileError::Invalid(e.to_string()))?;
    let static_cost = cost::check(program.expression(), &Sizes::STATIC).map_err(|e| match e {
        BudgetError::UnknownFunction { name, id } => undeclared(&program, &name, id),
        other => CompileError::Budget(other),
    })?;
    precompile_patterns(program.expression())?;
    let written = Written::of(program.expression());
    let depth = ast::depth(program.expression());
    Ok(Compiled { program, written, static_cost, depth })
}

/// cel-go's checker error for a call to a function the environment does not declare, at the
/// call's position: `ERROR: <input>:1:1: undeclared reference to 'f' (in container '')`.
fn undeclared(program: &Program, name: &str, id: u64) -> CompileError {
    let source = &program.source_info().source;
    let (line, column) = match program.source_info().offset_for(id) {
        Some((start, _)) => {
            let before = source.get(..start as usize).unwrap_or_default();
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (line, column)
        }
        None => (1, 1),
    };
    CompileError::Invalid(format!("ERROR: <input>:{line}:{column}: undeclared reference to '{name}' (in container '')"))
}

/// Compiles every constant `matches()`, `find()` and `findAll()` pattern now, into the shared pattern cache: an invalid
/// one is refused with the checklist instead of failing every object, and evaluation finds them
/// compiled.
fn precompile_patterns(expr: &IdedExpr) -> Result<(), CompileError> {
    let mut found = Vec::new();
    constant_patterns(expr, &mut found);
    for (function, pattern) in found {
        if let Err(e) = super::patterns::compiled(&pattern, super::patterns::Match::Search) {
            let message = e.to_string();
            let reason = message.lines().rfind(|l| l.starts_with("error:")).or_else(|| message.lines().next());
            let reason = reason.unwrap_or_default().trim_start_matches("error: ");
            return Err(CompileError::Invalid(format!(
                "{function}(): invalid regular expression {pattern:?}: {reason}"
            )));
        }
    }
    Ok(())
}

fn constant_patterns(expr: &IdedExpr, found: &mut Vec<(String, String)>) {
    if let Expr::Call(call) = &expr.expr
        && matches!(call.func_name.as_str(), "matches" | "find" | "findAll")
        // `s.f(pattern, ...)` or `matches(s, pattern)`.
        && let Some(IdedExpr { expr: Expr::Literal(LiteralValue::String(pattern)), .. }) =
            if call.target.is_some() { call.args.first() } else { call.args.get(1) }
    {
        found.push((call.func_name.clone(), pattern.inner().to_owned()));
    }
    for child in ast::children(expr) {
        constant_patterns(child, found);
    }
}

/// Compile-only validation, for the admission webhook and `readygate check`.
pub fn check_expression(expr: &str) -> Result<(), CompileError> {
    compile(expr).map(|_| ())
}

/// Why an evaluation gave no boolean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// The expression is wrong whatever the object (an unknown variable, a result that is not a
    /// bool): the item cannot be evaluated.
    Expression(String),
    /// This object made the expression fail (an absent field, an unexpected type): the object
    /// does not satisfy it. The message quotes no value of the object.
    Object(String),
    /// Evaluating the expression on this object could cost more than the budget allows; it was
    /// not run.
    Budget(String),
}

/// One object bound as `object`, ready to evaluate any number of programs against.
pub struct Bound<'v> {
    context: Context<'v, 'v>,
    sizes: Sizes,
}

impl<'v> Bound<'v> {
    /// Binds `object` without its `managedFields` and last-applied annotation, and measures it.
    pub fn new(object: &'v Value) -> Self {
        // Without an environment nothing compiles, so no program is ever evaluated against
        // this stand-in; it only keeps binding infallible.
        let env = ENV.as_ref().map_or_else(|_| Arc::new(Env::stdlib()), Arc::clone);
        let mut context = Context::with_env(env);
        let mut sizes = Sizes::default();
        let (value, _) = match object {
            Value::Object(map) => root_to_cel(map, &mut sizes),
            other => to_cel(other, &mut sizes, 0),
        };
        sizes.finish();
        context.add_variable_as_val("object", value);
        Bound { context, sizes }
    }

    /// The bounds the runtime estimate uses for this object.
    pub fn sizes(&self) -> &Sizes {
        &self.sizes
    }

    pub fn eval_bool(&self, compiled: &Compiled) -> Result<bool, EvalError> {
        self.eval_bool_within(compiled, &mut ItemBudget::default())
    }

    /// The estimated cost of evaluating `compiled` on this object, or why it is over budget.
    pub fn estimated_cost(&self, compiled: &Compiled) -> Result<f64, EvalError> {
        cost::check(compiled.program.expression(), &self.sizes).map_err(|e| EvalError::Budget(e.to_string()))
    }

    /// As [`Bound::eval_bool`], charging the estimate to `budget` first: an evaluation that would
    /// take the item over [`ITEM_COST_LIMIT`] is not run.
    pub fn eval_bool_within(&self, compiled: &Compiled, budget: &mut ItemBudget) -> Result<bool, EvalError> {
        let cost = self.estimated_cost(compiled)?;
        budget.charge(cost)?;
        // The interpreter recurses once per AST level: run it where the stack is deep enough.
        let needed = STACK_PER_LEVEL * (compiled.depth + 8);
        stacker::maybe_grow(needed, needed * 2, || self.eval_bool_here(compiled))
    }

    fn eval_bool_here(&self, compiled: &Compiled) -> Result<bool, EvalError> {
        match compiled.program.execute(&self.context) {
            Ok(CelValue::Bool(b)) => Ok(b),
            Ok(other) => Err(EvalError::Expression(format!("returned {}, expected bool", other.type_of()))),
            Err(e @ (ExecutionError::UndeclaredReference(_) | ExecutionError::InvalidArgumentCount { .. })) => {
                Err(EvalError::Expression(format!(
                    "{} (the object is bound to `object`)",
                    messages::describe(&e, &compiled.written)
                )))
            }
            Err(e) => Err(EvalError::Object(messages::describe(&e, &compiled.written))),
        }
    }
}

/// What one item's evaluations have cost so far, across objects, against [`ITEM_COST_LIMIT`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemBudget {
    spent: f64,
    evaluations: usize,
}

impl ItemBudget {
    /// Adds one evaluation's estimate; `Err` (and nothing added) when it would pass the limit.
    fn charge(&mut self, cost: f64) -> Result<(), EvalError> {
        let total = self.spent + cost;
        if total > ITEM_COST_LIMIT {
            return Err(EvalError::Budget(format!(
                "estimated cost {} over {} evaluations exceeds the item's budget {} across objects",
                scientific(total),
                self.evaluations + 1,
                scientific(ITEM_COST_LIMIT).replace(".0e", "e"),
            )));
        }
        self.spent = total;
        self.evaluations += 1;
        Ok(())
    }

    /// The estimated cost charged so far.
    pub fn spent(&self) -> f64 {
        self.spent
    }
}

/// A value converted to CEL, with its size as [`Sizes`] counts it.
type Converted<'v> = (Box<dyn Val + 'v>, f64);

/// The object's top level: as [`to_cel`], with `metadata` trimmed.
fn root_to_cel<'v>(map: &'v Map<String, Value>, sizes: &mut Sizes) -> Converted<'v> {
    let entries = map.iter().map(|(key, value)| match (key.as_str(), value) {
        ("metadata", Value::Object(metadata)) => (key.as_str(), metadata_to_cel(metadata, sizes)),
        _ => (key.as_str(), to_cel(value, sizes, 1)),
    });
    map_to_cel(entries.collect::<Vec<_>>(), sizes, 0)
}

/// `metadata` without `managedFields` and the last-applied annotation.
fn metadata_to_cel<'v>(metadata: &'v Map<String, Value>, sizes: &mut Sizes) -> Converted<'v> {
    let entries = metadata.iter().filter(|(key, _)| key.as_str() != "managedFields").map(|(key, value)| {
        match (key.as_str(), value) {
            ("annotations", Value::Object(annotations)) => {
                let kept = annotations.iter().filter(|(name, _)| name.as_str() != LAST_APPLIED);
                let kept = kept.map(|(name, v)| (name.as_str(), to_cel(v, sizes, 3))).collect::<Vec<_>>();
                (key.as_str(), map_to_cel(kept, sizes, 2))
            }
            _ => (key.as_str(), to_cel(value, sizes, 2)),
        }
    });
    map_to_cel(entries.collect::<Vec<_>>(), sizes, 1)
}

/// A map at `depth` of already converted values.
fn map_to_cel<'v>(entries: Vec<(&'v str, Converted<'v>)>, sizes: &mut Sizes, depth: usize) -> Converted<'v> {
    let bytes = sizes.map(entries.iter().map(|(key, _)| key.len())) + entries.iter().map(|(_, (_, b))| b).sum::<f64>();
    sizes.value(depth, bytes);
    let map = entries.into_iter().map(|(k, (v, _))| (CelMapKey::from(k), v)).collect::<HashMap<_, _>>();
    (Box::new(CelMap::from(map)), bytes)
}

/// JSON to CEL as Kubernetes types it: whole numbers are `int` (`uint` only beyond `int`'s
/// range), others `double`; strings are borrowed, not copied. Records the value, `depth` levels
/// down the object, in `sizes`.
fn to_cel<'v>(value: &'v Value, sizes: &mut Sizes, depth: usize) -> Converted<'v> {
    stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || to_cel_here(value, sizes, depth))
}

fn to_cel_here<'v>(value: &'v Value, sizes: &mut Sizes, depth: usize) -> Converted<'v> {
    let (converted, bytes): Converted<'v> = match value {
        Value::Null => (Box::new(CelNull), sizes.scalar()),
        Value::Bool(b) => (Box::new(CelBool::from(*b)), sizes.scalar()),
        Value::Number(n) => {
            let bytes = sizes.number(n);
            let converted: Box<dyn Val> = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Box::new(CelInt::from(i)),
                (None, Some(u), _) => Box::new(CelUInt::from(u)),
                (_, _, f) => Box::new(CelDouble::from(f.unwrap_or(f64::NAN))),
            };
            (converted, bytes)
        }
        Value::String(s) => (Box::new(CelString::from(s.as_str())), sizes.string(s.len())),
        Value::Array(items) => {
            let mut bytes = sizes.list(items.len());
            let mut list = Vec::with_capacity(items.len());
            for item in items {
                let (converted, size) = to_cel(item, sizes, depth + 1);
                bytes += size;
                list.push(converted);
            }
            (Box::new(CelList::from(list)), bytes)
        }
        Value::Object(map) => {
            let entries = map.iter().map(|(k, v)| (k.as_str(), to_cel(v, sizes, depth + 1))).collect::<Vec<_>>();
            return map_to_cel(entries, sizes, depth);
        }
    };
    sizes.value(depth, bytes);
    (converted, bytes)
}

#[cfg(test)]
mod tests;
