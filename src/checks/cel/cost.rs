//! A sound upper bound on what evaluating a CEL program can cost, in time and in memory, computed
//! from its AST before it runs: the CEL budget.
//!
//! # Why a wrapper over the `cel` crate, not a fork or a newer release
//!
//! `cel` 0.15 (the newest release) counts nothing while it evaluates: cost tracking is cel-rust
//! issue #56, and the execution budget of PR #309 is not released. A patched fork would put an
//! interpreter we do not maintain on the admission path, to be rebased on every release. A static
//! estimator over the parsed AST, as Kubernetes runs over cel-go's checked AST
//! (`cel-go/checker/cost.go`, `k8s.io/apiserver/pkg/cel/library/cost.go`), needs nothing from
//! the interpreter and runs *before* evaluation, so an expression over budget never starts. It is
//! sound because every construct is accounted for: a function or operator it does not know is
//! refused, not guessed.
//!
//! # The model
//!
//! Costs are Kubernetes' units: reading a variable or a field costs 1, a call 1 plus what it
//! traverses (a tenth of a unit per byte or element, cel-go's `StringTraversalCostFactor`),
//! creating a list 10 and a map 30, and a comprehension its range plus, for every element, its
//! condition and step. `matches` costs the string's tenth times a quarter of the pattern's length
//! (`RegexStringLengthCostFactor`).
//!
//! Sizes are upper bounds carried through the expression as a [`Shape`]: how long a string, list
//! or map can be, how many bytes it can take, how large an int can be, and the shape of its
//! elements. Values from the bound object are bounded by [`Sizes`]: the largest list, string and
//! int anywhere in the object and its total size. A comprehension multiplies by the iterated
//! list's bound, a `replace` grows by its worst case, `lists.range(n)` by `n`'s bound; a value
//! whose bound is unknown (an int parsed from a string, given to `lists.range`) is unbounded and
//! refused.
//!
//! The same estimate is made twice: when a checklist is admitted, with [`Sizes::STATIC`] (an
//! ordinary large object), so that an expression over budget whatever the object is refused with
//! its estimate; and before each evaluation, with the object's actual [`Sizes`], so that no
//! object makes an admitted expression run away. Two limits apply each time: [`COST_LIMIT`] on the
//! cost, and [`CREATED_BYTES_LIMIT`] on any single value the expression builds.

use std::sync::Arc;

use cel::IdedExpr;
use cel::common::ast::{ComprehensionExpr, EntryExpr, Expr, LiteralValue, operators};
use serde_json::Value;

/// Largest cost, per expression and object, before the evaluation is refused: Kubernetes'
/// `StaticEstimatedCostLimit` (and its per-object `RuntimeCELCostBudget`). Ours is an upper bound
/// computed before running, not a count while running, so it is not Kubernetes' `PerCallLimit`
/// (1e6, an actual count). Measured (`cargo bench --bench engine -- cel_budget`, a shared, noisy
/// machine): an expression estimated at 8.3e6 runs in about 0.24 s, some 30 ns per unit, so one
/// evaluation takes at most about a third of a second; bounding a whole checklist is the
/// evaluation deadline's job.
pub const COST_LIMIT: f64 = 1e7;

/// Largest value (string, bytes, list or map, in bytes as this model counts them) an expression
/// may build. Objects are at most 3 MiB (the API server's request limit), so no rule over one needs
/// more; what it stops is `'a'.replace('a', 'aaaaaaaaaa')` chained until gigabytes are asked for.
pub const CREATED_BYTES_LIMIT: f64 = 8.0 * 1024.0 * 1024.0;

/// What each element of a list or map costs in memory beyond its own content (a boxed value).
const ELEMENT_OVERHEAD: f64 = 32.0;
/// A scalar's size in this model's bytes.
const SCALAR_BYTES: f64 = 16.0;
/// cel-go's `StringTraversalCostFactor`: a tenth of a unit per byte traversed.
const TRAVERSAL: f64 = 0.1;
/// cel-go's `RegexStringLengthCostFactor`.
const REGEX_FACTOR: f64 = 0.25;
/// Compiling a pattern that is not a constant, on the call: up to the compiled-size limit
/// (`checks::patterns`), which takes milliseconds to reach; Kubernetes' unit is ~100 ns.
const REGEX_COMPILE: f64 = 50_000.0;
const LIST_CREATE: f64 = 10.0;
const MAP_CREATE: f64 = 30.0;
const STRUCT_CREATE: f64 = 40.0;
/// The most digits `string.format` writes for one clause: a double's 309 integer digits and the
/// extension's largest precision (100), with room for sign and exponent.
const FORMAT_CLAUSE_BYTES: f64 = 420.0;

/// Depths the size of values is recorded for; deeper values count as this deep.
const DEPTHS: usize = 16;

/// Bounds on the values of one bound object: every list or map, string and int read from it is
/// within them, and every value `d` levels down (`object.spec` is 1) is at most `bytes[d]`.
/// Built while the object is bound, one call per value ([`Sizes::of`] for a whole JSON value).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sizes {
    /// Entries of the longest list or map.
    pub entries: f64,
    /// Bytes of the longest string (keys included).
    pub string: f64,
    /// Largest absolute value of an int.
    pub int: f64,
    /// In this model's bytes, the largest value at each depth or deeper: `bytes[0]` is the whole
    /// object. Comparing or copying a value costs its size, and what a comprehension iterates is
    /// a level down from its list, so this bounds it far better than the whole object.
    pub bytes: [f64; DEPTHS],
}

impl Sizes {
    /// The object assumed when a checklist is admitted: an ordinary one, with lists and maps of
    /// 64 entries, 1 KiB strings, ints up to 65535 (ports), 32 KiB in all and half as much at
    /// each level down. It refuses at once what is over budget whatever the object (the issue's
    /// nested ranges, strings grown by `replace`) and leaves what depends on the object's size to
    /// the estimate made with the object's own sizes before each evaluation.
    pub const STATIC: Sizes = Sizes {
        entries: 64.0,
        string: 1024.0,
        int: 65_535.0,
        bytes: [
            32768.0, 16384.0, 8192.0, 4096.0, 2048.0, 1024.0, 512.0, 512.0, 512.0, 512.0, 512.0, 512.0, 512.0, 512.0,
            512.0, 512.0,
        ],
    };

    /// The bounds of `value`, found in one walk.
    pub fn of(value: &Value) -> Sizes {
        let mut sizes = Sizes::default();
        sizes.record(value, 0);
        sizes.finish();
        sizes
    }

    /// Records `value` (at `depth`) and everything in it; returns its size.
    fn record(&mut self, value: &Value, depth: usize) -> f64 {
        stacker::maybe_grow(64 << 10, 1 << 20, || {
            let bytes = match value {
                Value::Null | Value::Bool(_) => self.scalar(),
                Value::Number(n) => self.number(n),
                Value::String(s) => self.string(s.len()),
                Value::Array(items) => {
                    self.list(items.len()) + items.iter().map(|item| self.record(item, depth + 1)).sum::<f64>()
                }
                Value::Object(map) => {
                    self.map(map.keys().map(String::len))
                        + map.values().map(|item| self.record(item, depth + 1)).sum::<f64>()
                }
            };
            self.value(depth, bytes);
            bytes
        })
    }

    /// A scalar's size.
    pub fn scalar(&mut self) -> f64 {
        SCALAR_BYTES
    }

    /// Records a number; returns its size.
    pub fn number(&mut self, n: &serde_json::Number) -> f64 {
        let magnitude = n.as_i64().map(|i| i.unsigned_abs() as f64).or_else(|| n.as_u64().map(|u| u as f64));
        self.int = self.int.max(magnitude.unwrap_or(0.0));
        SCALAR_BYTES
    }

    /// Records a string of `len` bytes; returns its size.
    pub fn string(&mut self, len: usize) -> f64 {
        self.string = self.string.max(len as f64);
        SCALAR_BYTES + len as f64
    }

    /// Records a list of `len` entries; returns its size without the entries'.
    pub fn list(&mut self, len: usize) -> f64 {
        self.entries = self.entries.max(len as f64);
        SCALAR_BYTES + len as f64 * ELEMENT_OVERHEAD
    }

    /// Records a map with keys of these lengths; returns its size without the values'.
    pub fn map(&mut self, key_lengths: impl Iterator<Item = usize>) -> f64 {
        let mut entries = 0.0;
        let mut bytes = SCALAR_BYTES;
        for len in key_lengths {
            entries += 1.0;
            self.string = self.string.max(len as f64);
            bytes += ELEMENT_OVERHEAD + len as f64;
        }
        self.entries = self.entries.max(entries);
        bytes
    }

    /// Records a whole value of `bytes` at `depth`.
    pub fn value(&mut self, depth: usize, bytes: f64) {
        let slot = &mut self.bytes[depth.min(DEPTHS - 1)];
        *slot = slot.max(bytes);
    }

    /// Makes `bytes[d]` the largest value at depth `d` *or deeper*, once everything is recorded.
    pub fn finish(&mut self) {
        for depth in (0..DEPTHS - 1).rev() {
            self.bytes[depth] = self.bytes[depth].max(self.bytes[depth + 1]);
        }
    }

    /// A value `depth` levels down.
    fn bytes_at(&self, depth: usize) -> f64 {
        self.bytes[depth.min(DEPTHS - 1)]
    }
}

/// Upper bounds on one value the expression computes.
#[derive(Clone, Debug, PartialEq)]
struct Shape {
    /// Entries of a list or map.
    entries: f64,
    /// Bytes of a string or bytes.
    chars: f64,
    /// A lower bound on `chars`, known for literals only: `replace` grows least when it replaces
    /// long needles.
    min_chars: f64,
    /// The whole value in this model's bytes.
    bytes: f64,
    /// The largest absolute value, for ints (`lists.range(n)` builds `n` elements).
    int: f64,
    elements: Elements,
}

#[derive(Clone, Debug, PartialEq)]
enum Elements {
    /// None known: a scalar or a string.
    Scalar,
    /// A value of the bound object, this deep: what it holds is within the object's [`Sizes`].
    Object(usize, Arc<Sizes>),
    Of(Arc<Shape>),
}

impl Shape {
    fn scalar() -> Shape {
        Shape { entries: 0.0, chars: 0.0, min_chars: 0.0, bytes: SCALAR_BYTES, int: 0.0, elements: Elements::Scalar }
    }

    /// An int with no known bound (parsed, converted, or read from a timestamp).
    fn any_int() -> Shape {
        Shape { int: f64::INFINITY, ..Shape::scalar() }
    }

    fn int(value: f64) -> Shape {
        Shape { int: value.abs(), ..Shape::scalar() }
    }

    fn string(len: f64) -> Shape {
        Shape { chars: len, bytes: SCALAR_BYTES + len, ..Shape::scalar() }
    }

    fn list(len: f64, element: Shape) -> Shape {
        let bytes = SCALAR_BYTES + mul(len, ELEMENT_OVERHEAD + element.bytes);
        Shape { entries: len, bytes, elements: Elements::Of(Arc::new(element)), ..Shape::scalar() }
    }

    /// Any value read from an object with these bounds, `depth` levels down.
    fn object(sizes: &Arc<Sizes>, depth: usize) -> Shape {
        Shape {
            entries: sizes.entries,
            chars: sizes.string,
            min_chars: 0.0,
            bytes: sizes.bytes_at(depth),
            int: sizes.int,
            elements: Elements::Object(depth, Arc::clone(sizes)),
        }
    }

    /// The shape of an element, key or field of this value.
    fn element(&self) -> Shape {
        match &self.elements {
            Elements::Scalar => Shape::scalar(),
            Elements::Object(depth, sizes) => Shape::object(sizes, depth + 1),
            Elements::Of(element) => (**element).clone(),
        }
    }

    /// A bound on either of two values (the branches of `?:`, `orValue`).
    fn join(&self, other: &Shape) -> Shape {
        let elements = match (&self.elements, &other.elements) {
            (Elements::Scalar, e) | (e, Elements::Scalar) => e.clone(),
            (Elements::Object(a, sizes), Elements::Object(b, _)) => Elements::Object((*a).min(*b), Arc::clone(sizes)),
            (Elements::Object(depth, sizes), _) | (_, Elements::Object(depth, sizes)) => {
                Elements::Object(*depth, Arc::clone(sizes))
            }
            (Elements::Of(a), Elements::Of(b)) => Elements::Of(Arc::new(a.join(b))),
        };
        Shape {
            entries: self.entries.max(other.entries),
            chars: self.chars.max(other.chars),
            min_chars: self.min_chars.min(other.min_chars),
            bytes: self.bytes.max(other.bytes),
            int: self.int.max(other.int),
            elements,
        }
    }

    /// `a + b`: concatenation of strings or lists, or a sum.
    fn concat(&self, other: &Shape) -> Shape {
        let joined = self.join(other);
        Shape {
            entries: self.entries + other.entries,
            chars: self.chars + other.chars,
            min_chars: 0.0,
            bytes: self.bytes + other.bytes,
            int: self.int + other.int,
            elements: joined.elements,
        }
    }

    /// Every element at any depth, flattened: the join of the element chain.
    fn deep_element(&self) -> Shape {
        let mut joined = self.element();
        let mut current = joined.clone();
        while let Elements::Of(next) = &current.elements {
            let next = (**next).clone();
            joined = joined.join(&next);
            current = next;
        }
        joined
    }
}

/// `a * b` where nothing times an unbounded count is still nothing (`0 * inf` is NaN in f64).
fn mul(a: f64, b: f64) -> f64 {
    if a == 0.0 || b == 0.0 { 0.0 } else { a * b }
}

/// Why an expression is refused by the budget.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BudgetError {
    #[error("estimated cost {} exceeds the budget {}", scientific(*.cost), compact(*.limit))]
    Cost { cost: f64, limit: f64 },
    #[error(
        "`{function}` may build a value of {} bytes, over the limit of {} bytes",
        scientific(*.bytes),
        compact(*.limit)
    )]
    Size { function: String, bytes: f64, limit: f64 },
    /// A function the environment does not declare (every one it declares has a cost): cel-go's
    /// checker message. `id` is the call's node, for its position.
    #[error("undeclared reference to '{name}' (in container '')")]
    UnknownFunction { name: String, id: u64 },
}

/// `8.0e9`: an estimate, readable at any magnitude.
pub fn scientific(value: f64) -> String {
    if !value.is_finite() {
        return "unbounded".to_owned();
    }
    if value < 1000.0 {
        return format!("{value:.0}");
    }
    format!("{value:.1e}")
}

/// `1e7`: a limit, a round number.
fn compact(value: f64) -> String {
    scientific(value).replace(".0e", "e")
}

/// The estimated cost of evaluating `expr` once against an object with `sizes`; `Err` when it is
/// over [`COST_LIMIT`], builds a value over [`CREATED_BYTES_LIMIT`], or calls a function the model
/// does not know.
pub fn check(expr: &IdedExpr, sizes: &Sizes) -> Result<f64, BudgetError> {
    let mut estimator = Estimator { sizes: Arc::new(*sizes), scope: Vec::new() };
    let (cost, _) = estimator.estimate(expr)?;
    if cost.is_nan() || cost > COST_LIMIT {
        return Err(BudgetError::Cost { cost, limit: COST_LIMIT });
    }
    Ok(cost)
}

struct Estimator {
    sizes: Arc<Sizes>,
    /// Comprehension variables in scope, innermost last.
    scope: Vec<(String, Shape)>,
}

type Estimate = Result<(f64, Shape), BudgetError>;

impl Estimator {
    fn estimate(&mut self, expr: &IdedExpr) -> Estimate {
        stacker::maybe_grow(64 << 10, 1 << 20, || self.estimate_here(expr))
    }

    fn estimate_here(&mut self, expr: &IdedExpr) -> Estimate {
        match &expr.expr {
            Expr::Unspecified => Ok((0.0, Shape::scalar())),
            Expr::Literal(literal) => Ok((0.0, literal_shape(literal))),
            Expr::Ident(name) => Ok((1.0, self.variable(name))),
            Expr::Select(select) => {
                let (cost, operand) = self.estimate(&select.operand)?;
                let shape = if select.test { Shape::scalar() } else { operand.element() };
                Ok((cost + 1.0, shape))
            }
            Expr::List(list) => {
                let mut cost = LIST_CREATE;
                let mut element: Option<Shape> = None;
                for item in &list.elements {
                    let (c, shape) = self.estimate(item)?;
                    cost += c;
                    element = Some(element.map_or(shape.clone(), |e| e.join(&shape)));
                }
                let shape = Shape::list(list.elements.len() as f64, element.unwrap_or_else(Shape::scalar));
                created("list literal", shape.bytes)?;
                Ok((cost, shape))
            }
            Expr::Map(map) => self.entries(MAP_CREATE, &map.entries),
            Expr::Struct(object) => self.entries(STRUCT_CREATE, &object.entries),
            Expr::Comprehension(comprehension) => self.comprehension(comprehension),
            Expr::Call(call) => {
                let qualified = call.target.as_deref().and_then(|t| qualified_name(&t.expr));
                let global = qualified.map(|q| format!("{q}.{}", call.func_name)).filter(|n| is_global_function(n));
                let mut args = Vec::with_capacity(call.args.len() + 1);
                let mut cost = 0.0;
                if let (None, Some(target)) = (&global, &call.target) {
                    let (c, shape) = self.estimate(target)?;
                    cost += c;
                    args.push(Arg { shape, literal: literal_of(target) });
                }
                let name = global.as_deref().unwrap_or(&call.func_name);
                let member = global.is_none() && call.target.is_some();
                // `accu + [x]` in a map or filter step appends in place (cel's `AppendStep`).
                let appends = call.func_name == operators::ADD
                    && matches!(call.args.first().map(|a| &a.expr), Some(Expr::Ident(n)) if n.starts_with('@'));
                for arg in &call.args {
                    let (c, shape) = self.estimate(arg)?;
                    cost += c;
                    args.push(Arg { shape, literal: literal_of(arg) });
                }
                let (call_cost, shape) = call_cost(name, member, appends, &args).map_err(|e| match e {
                    BudgetError::UnknownFunction { name, .. } => BudgetError::UnknownFunction { name, id: expr.id },
                    other => other,
                })?;
                if builds(name) {
                    created(name, shape.bytes)?;
                }
                Ok((cost + call_cost, shape))
            }
        }
    }

    fn entries(&mut self, base: f64, entries: &[cel::common::ast::IdedEntryExpr]) -> Estimate {
        let mut cost = base;
        let mut element: Option<Shape> = None;
        let mut key_bytes = 0.0;
        for entry in entries {
            let value = match &entry.expr {
                EntryExpr::MapEntry(entry) => {
                    let (c, key) = self.estimate(&entry.key)?;
                    cost += c;
                    key_bytes += key.bytes;
                    &entry.value
                }
                EntryExpr::StructField(field) => {
                    key_bytes += field.field.len() as f64;
                    &field.value
                }
            };
            let (c, shape) = self.estimate(value)?;
            cost += c;
            element = Some(element.map_or(shape.clone(), |e| e.join(&shape)));
        }
        let mut shape = Shape::list(entries.len() as f64, element.unwrap_or_else(Shape::scalar));
        shape.bytes += key_bytes;
        created("map literal", shape.bytes)?;
        Ok((cost, shape))
    }

    fn variable(&self, name: &str) -> Shape {
        if let Some((_, shape)) = self.scope.iter().rev().find(|(n, _)| n == name) {
            return shape.clone();
        }
        if name == "object" { Shape::object(&self.sizes, 0) } else { Shape::scalar() }
    }

    /// Range, then per element the condition and the step, then the result. Only macros build
    /// comprehensions (CEL source cannot name the accumulator: its name starts with `@`), and
    /// their steps cost the same whatever the accumulator holds: `all`/`exists` fold a bool,
    /// `exists_one` counts, `map`/`filter` append in place (cel's `AppendStep`) and `sortBy`'s
    /// loop never runs. So the step is estimated once, with the initial accumulator, and the
    /// accumulator grows by what one step adds, once per element. Estimating each node once keeps
    /// the estimate linear in the expression, however deep comprehensions nest.
    fn comprehension(&mut self, c: &ComprehensionExpr) -> Estimate {
        let (range_cost, range) = self.estimate(&c.iter_range)?;
        let (init_cost, init) = self.estimate(&c.accu_init)?;
        let count = range.entries;
        let element = range.element();
        let depth = self.scope.len();
        self.scope.push((c.iter_var.clone(), element.clone()));
        if let Some(second) = &c.iter_var2 {
            self.scope.push((second.clone(), element));
        }
        self.scope.push((c.accu_var.clone(), init.clone()));
        let outcome = self.loop_and_result(c, count, &init, depth);
        self.scope.truncate(depth);
        let (loop_cost, result_cost, result) = outcome?;
        Ok((range_cost + init_cost + loop_cost + result_cost, result))
    }

    fn loop_and_result(
        &mut self,
        c: &ComprehensionExpr,
        count: f64,
        init: &Shape,
        depth: usize,
    ) -> Result<(f64, f64, Shape), BudgetError> {
        let (cond_cost, _) = self.estimate(&c.loop_cond)?;
        let (step_cost, once) = self.estimate(&c.loop_step)?;
        let grown = Shape {
            entries: init.entries + mul(count, (once.entries - init.entries).max(0.0)),
            chars: init.chars + mul(count, (once.chars - init.chars).max(0.0)),
            min_chars: 0.0,
            bytes: init.bytes + mul(count, (once.bytes - init.bytes).max(0.0)),
            int: init.int + mul(count, (once.int - init.int).max(0.0)),
            elements: init.join(&once).elements,
        };
        created("comprehension", grown.bytes)?;
        // The iteration variables are out of scope in the result; only the accumulator is.
        self.scope.truncate(depth);
        self.scope.push((c.accu_var.clone(), grown));
        let (result_cost, result) = self.estimate(&c.result)?;
        Ok((mul(count, cond_cost + step_cost), result_cost, result))
    }
}

/// One evaluated argument of a call, the target first for member calls.
struct Arg {
    shape: Shape,
    literal: Option<LiteralValue>,
}

fn literal_of(expr: &IdedExpr) -> Option<LiteralValue> {
    match &expr.expr {
        Expr::Literal(literal) => Some(literal.clone()),
        _ => None,
    }
}

fn literal_shape(literal: &LiteralValue) -> Shape {
    match literal {
        LiteralValue::String(s) => {
            let len = s.inner().len() as f64;
            Shape { min_chars: len, ..Shape::string(len) }
        }
        LiteralValue::Bytes(b) => {
            let len = b.inner().len() as f64;
            Shape { min_chars: len, ..Shape::string(len) }
        }
        LiteralValue::Int(i) => Shape::int(*i.inner() as f64),
        LiteralValue::UInt(u) => Shape::int(*u.inner() as f64),
        LiteralValue::Boolean(_) | LiteralValue::Double(_) | LiteralValue::Null => Shape::scalar(),
    }
}

/// `a.b.c` as a dotted name, for qualified function calls (`lists.range(3)`).
fn qualified_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Ident(name) => Some(name.clone()),
        Expr::Select(select) if !select.test => {
            qualified_name(&select.operand.expr).map(|prefix| format!("{prefix}.{}", select.field))
        }
        _ => None,
    }
}

fn is_global_function(name: &str) -> bool {
    matches!(
        name,
        "lists.range"
            | "strings.quote"
            | "base64.encode"
            | "base64.decode"
            | "optional.of"
            | "optional.ofNonZeroValue"
            | "optional.none"
            | "ip.isCanonical"
    ) || name.starts_with("math.")
}

fn created(function: &str, bytes: f64) -> Result<(), BudgetError> {
    if bytes.is_nan() || bytes > CREATED_BYTES_LIMIT {
        return Err(BudgetError::Size { function: function.to_owned(), bytes, limit: CREATED_BYTES_LIMIT });
    }
    Ok(())
}

/// A traversal of `bytes`: a tenth of a unit each, rounded up as cel-go does.
fn traverse(bytes: f64) -> f64 {
    (bytes * TRAVERSAL).ceil()
}

/// Functions that build a value from their arguments, checked against [`CREATED_BYTES_LIMIT`];
/// the others return (part of) an argument or a scalar.
fn builds(name: &str) -> bool {
    matches!(
        name,
        operators::ADD
            | "replace"
            | "split"
            | "join"
            | "format"
            | "strings.quote"
            | "base64.encode"
            | "base64.decode"
            | "string"
            | "bytes"
            | "lists.range"
            | "flatten"
            | "findAll"
            | "getQuery"
    )
}

/// The cost of one call of `name` on `args` (the target first for member calls) and the shape of
/// its result. Every function the environment offers is listed; anything else is refused.
fn call_cost(name: &str, member: bool, appends: bool, args: &[Arg]) -> Result<(f64, Shape), BudgetError> {
    let shape = |i: usize| args.get(i).map(|a| a.shape.clone()).unwrap_or_else(Shape::scalar);
    let (a, b) = (shape(0), shape(1));
    Ok(match name {
        operators::LOGICAL_AND | operators::LOGICAL_OR | operators::LOGICAL_NOT | operators::NOT_STRICTLY_FALSE => {
            (1.0, Shape::scalar())
        }
        operators::CONDITIONAL => (1.0, b.join(&shape(2))),
        operators::EQUALS | operators::NOT_EQUALS => (1.0 + traverse(a.bytes.min(b.bytes)), Shape::scalar()),
        operators::LESS | operators::LESS_EQUALS | operators::GREATER | operators::GREATER_EQUALS => {
            (1.0 + traverse(a.chars.min(b.chars)), Shape::scalar())
        }
        operators::ADD if appends => (1.0 + traverse(b.bytes), a.concat(&b)),
        operators::ADD => (1.0 + traverse(a.bytes + b.bytes), a.concat(&b)),
        operators::SUBSTRACT => (1.0, Shape { int: a.int + b.int, ..Shape::scalar() }),
        operators::MULTIPLY => (1.0, Shape { int: mul(a.int, b.int), ..Shape::scalar() }),
        operators::DIVIDE => (1.0, Shape { int: a.int, ..Shape::scalar() }),
        operators::MODULO => (1.0, Shape { int: a.int.min(b.int), ..Shape::scalar() }),
        operators::NEGATE => (1.0, a),
        operators::INDEX | operators::OPT_INDEX | operators::OPT_SELECT => (1.0 + traverse(b.chars), a.element()),
        operators::IN => (1.0 + mul(b.entries, 1.0 + traverse(a.bytes)), Shape::scalar()),
        "size" => (1.0, Shape::int(a.entries.max(a.chars))),
        "contains" | "startsWith" | "endsWith" => (1.0 + traverse(a.chars + b.chars), Shape::scalar()),
        "matches" => {
            // A constant pattern is compiled with the program; another is compiled on the call.
            let compile = if args.get(1).is_some_and(|p| p.literal.is_some()) { 0.0 } else { REGEX_COMPILE };
            (1.0 + compile + (traverse(a.chars) * REGEX_FACTOR * b.chars.max(1.0)).ceil(), Shape::scalar())
        }
        "lowerAscii" | "upperAscii" | "trim" => (1.0 + traverse(a.chars), Shape::string(a.chars)),
        // A string's or a list's: the same length either way.
        "reverse" if member => (1.0 + a.entries + traverse(a.chars), a),
        "strings.quote" => {
            // The longest escape (`\u{10ffff}`-like) is at most 10 bytes per input byte.
            let len = 2.0 + a.chars * 10.0;
            (1.0 + traverse(len), Shape::string(len))
        }
        "replace" if member => {
            let (old, new) = (b, shape(2));
            // Each replacement consumes at least `old.min_chars` bytes; an empty `old` matches
            // between every two characters.
            let matches = if old.min_chars > 0.0 { (a.chars / old.min_chars).floor() } else { a.chars + 1.0 };
            let matches = match args.get(3) {
                Some(limit) => matches.min(limit.shape.int),
                None => matches,
            };
            let len = a.chars + mul(matches, new.chars);
            (1.0 + traverse(a.chars + len), Shape::string(len))
        }
        "split" if member => {
            let pieces = a.chars + 1.0;
            let pieces = args.get(2).map_or(pieces, |n| pieces.min(n.shape.int.max(1.0)));
            // The pieces hold the string's bytes once between them, not each.
            let bytes = SCALAR_BYTES + mul(pieces, ELEMENT_OVERHEAD + SCALAR_BYTES) + a.chars;
            (1.0 + traverse(a.chars), Shape { bytes, ..Shape::list(pieces, Shape::string(a.chars)) })
        }
        "join" if member => {
            let separator = if args.len() > 1 { b.chars } else { 0.0 };
            let len = a.bytes + mul(a.entries, separator);
            (1.0 + traverse(len), Shape::string(len))
        }
        "substring" | "charAt" if member => (1.0 + traverse(a.chars), Shape::string(a.chars)),
        // On a string (the strings extension) or a list (Kubernetes' list library): which one is
        // not known before evaluation, so the larger of the two.
        "indexOf" | "lastIndexOf" if member => {
            let on_string = traverse(a.chars + b.chars);
            let on_list = mul(a.entries, 1.0 + traverse(a.element().bytes.min(b.bytes)));
            (1.0 + on_string.max(on_list), Shape::int(a.chars.max(a.entries)))
        }
        "format" if member => {
            let clauses = (a.chars / 2.0).ceil();
            let len = a.chars + mul(clauses, FORMAT_CLAUSE_BYTES) + 4.0 * b.bytes;
            (1.0 + traverse(len), Shape::string(len))
        }
        "base64.encode" => {
            let len = (a.chars / 3.0).ceil() * 4.0 + 4.0;
            (1.0 + traverse(len), Shape::string(len))
        }
        "base64.decode" => (1.0 + traverse(a.chars), Shape::string(a.chars)),
        "slice" if member => (1.0 + a.entries, a),
        "flatten" if member => {
            // Every element of the result is an element, at some depth, of the list.
            let len = a.bytes / ELEMENT_OVERHEAD;
            (1.0 + len, Shape::list(len, a.deep_element()))
        }
        "distinct" if member => (1.0 + mul(mul(a.entries, a.entries), 1.0 + traverse(a.element().bytes)), a),
        "sort" | "@sortByAssociatedKeys" if member => {
            let comparisons = mul(a.entries, 1.0 + a.entries.max(1.0).log2());
            (1.0 + mul(comparisons, 1.0 + traverse(a.element().bytes)), a)
        }
        "lists.range" => (1.0 + a.int, Shape::list(a.int, Shape::int(a.int))),
        "math.@max" | "math.@min" => {
            let compared = if args.len() == 1 { a.entries } else { args.len() as f64 };
            (1.0 + compared, Shape::any_int())
        }
        n if is_math_function(n) => (1.0, Shape::any_int()),
        "optional.of" | "optional.ofNonZeroValue" => (1.0, a),
        "optional.none" => (1.0, Shape::scalar()),
        "hasValue" if member => (1.0, Shape::scalar()),
        "value" if member => (1.0, a),
        "orValue" | "or" if member => (1.0, a.join(&b)),
        "dyn" => (1.0, a),
        "type" | "bool" => (1.0 + traverse(a.chars), Shape::scalar()),
        "int" | "uint" | "double" | "duration" | "timestamp" => (1.0 + traverse(a.chars), Shape::any_int()),
        "string" | "bytes" => {
            // Invalid UTF-8 bytes become U+FFFD (3 bytes each); a number takes at most 32.
            let len = (a.chars * 3.0).max(32.0);
            (1.0 + traverse(len), Shape::string(len))
        }
        "getDate" | "getDayOfMonth" | "getDayOfWeek" | "getDayOfYear" | "getFullYear" | "getHours"
        | "getMilliseconds" | "getMinutes" | "getMonth" | "getSeconds"
            if member =>
        {
            (1.0 + traverse(b.chars), Shape::any_int())
        }
        other => return kubernetes_call_cost(other, member, &args).ok_or_else(|| unknown(other)),
    })
}

fn unknown(name: &str) -> BudgetError {
    BudgetError::UnknownFunction { name: name.to_owned(), id: 0 }
}

/// What one comparison or sum of two quantities, or one conversion, may cost. Kubernetes charges
/// 1; ours is bounded by the values' range instead (`kubernetes::quantity`: below `10^1000`):
/// aligning two of them multiplies a number of at most 56 digits by up to `10^1009`, some
/// hundreds of word operations, about what traversing 2 KB of string is charged.
const QUANTITY_OPERATION: f64 = 200.0;
/// A parsed quantity in memory: up to ~1,060 decimal digits as a big integer.
const QUANTITY_BYTES: f64 = 512.0;
/// An address or prefix in memory, and its longest text (`ffff:...:ffff/128`, 43 bytes).
const NET_BYTES: f64 = 32.0;
const NET_CHARS: f64 = 43.0;
/// Cost of comparing two addresses (16 bytes each), as Kubernetes' `containsIP` estimate.
const NET_COMPARE: f64 = 4.0;

/// A value of one of the Kubernetes libraries' own types, with its text's bound.
fn opaque(chars: f64, bytes: f64) -> Shape {
    Shape { chars, bytes, ..Shape::scalar() }
}

/// The Kubernetes libraries (`checks::cel::kubernetes`), modelled on Kubernetes'
/// `library/cost.go`: parsing is a traversal of the string, accessors are nominal, the list
/// functions traverse the list once (and each string element), `find`/`findAll` cost as
/// `matches`. `None` for a name none of them declares.
fn kubernetes_call_cost(name: &str, member: bool, args: &[Arg]) -> Option<(f64, Shape)> {
    let shape = |i: usize| args.get(i).map(|a| a.shape.clone()).unwrap_or_else(Shape::scalar);
    let (a, b) = (shape(0), shape(1));
    Some(match name {
        "quantity" if !member => (1.0 + traverse(a.chars), opaque(0.0, QUANTITY_BYTES)),
        "isQuantity" if !member => (1.0 + traverse(a.chars), Shape::scalar()),
        "sign" if member => (1.0, Shape::int(1.0)),
        "isInteger" | "isGreaterThan" | "isLessThan" if member => (QUANTITY_OPERATION, Shape::scalar()),
        "compareTo" if member => (QUANTITY_OPERATION, Shape::int(1.0)),
        "asInteger" | "asApproximateFloat" if member => (QUANTITY_OPERATION, Shape::any_int()),
        "add" | "sub" if member => (QUANTITY_OPERATION, opaque(0.0, QUANTITY_BYTES)),
        "ip" if member => (1.0, opaque(NET_CHARS, NET_BYTES)),
        "ip" | "cidr" if !member => (1.0 + traverse(a.chars), opaque(NET_CHARS, NET_BYTES)),
        "isIP" | "isCIDR" if !member => (1.0 + traverse(a.chars), Shape::scalar()),
        "ip.isCanonical" => (1.0 + traverse(2.0 * a.chars), Shape::scalar()),
        "family" if member => (1.0, Shape::int(6.0)),
        "prefixLength" if member => (1.0, Shape::int(128.0)),
        "isUnspecified" | "isLoopback" | "isLinkLocalMulticast" | "isLinkLocalUnicast" | "isGlobalUnicast"
            if member =>
        {
            (1.0, Shape::scalar())
        }
        "masked" if member => (1.0, opaque(NET_CHARS, NET_BYTES)),
        // The argument is an address or prefix, or a string parsed first.
        "containsIP" | "containsCIDR" if member => (1.0 + NET_COMPARE + traverse(b.chars), Shape::scalar()),
        // A URL keeps the input's parts, and its escaped path may be three times as long.
        "url" if !member => (1.0 + traverse(a.chars), opaque(3.0 * a.chars, SCALAR_BYTES + 4.0 * a.chars)),
        "isURL" if !member => (1.0 + traverse(a.chars), Shape::scalar()),
        "getScheme" | "getHost" | "getHostname" | "getPort" if member => {
            (1.0 + traverse(a.chars), Shape::string(a.chars))
        }
        "getEscapedPath" if member => (1.0 + traverse(a.chars), Shape::string(a.chars)),
        "getQuery" if member => {
            // At most one entry per two bytes of the query, whose keys and values hold its bytes
            // once between them.
            let entries = (a.chars / 2.0).ceil() + 1.0;
            let values = Shape::list(a.chars, Shape::string(a.chars));
            let bytes = SCALAR_BYTES + mul(entries, 3.0 * ELEMENT_OVERHEAD + 3.0 * SCALAR_BYTES) + a.chars;
            (1.0 + traverse(2.0 * a.chars), Shape { entries, bytes, ..Shape::list(entries, values) })
        }
        "isSorted" | "sum" | "min" | "max" if member => {
            let element = a.element();
            let cost = 1.0 + mul(a.entries, 1.0 + traverse(element.chars));
            let result = match name {
                "isSorted" => Shape::scalar(),
                "sum" => Shape { int: mul(a.entries, element.int), ..Shape::scalar() },
                _ => element,
            };
            (cost, result)
        }
        "find" | "findAll" if member => {
            // A constant pattern is compiled with the program; another is compiled on the call.
            let compile = if args.get(1).is_some_and(|p| p.literal.is_some()) { 0.0 } else { REGEX_COMPILE };
            let cost = 1.0 + compile + (traverse(a.chars + 1.0) * REGEX_FACTOR * b.chars.max(1.0)).ceil();
            if name == "find" {
                return Some((cost, Shape::string(a.chars)));
            }
            // Every match a piece of the string, and at most one more (empty) match than bytes;
            // Go skips an empty match where the previous one ended, so they hold the string's
            // bytes at most once between them.
            let pieces = a.chars + 1.0;
            let pieces = args.get(2).map_or(pieces, |n| pieces.min(n.shape.int.max(0.0)));
            let bytes = SCALAR_BYTES + mul(pieces, ELEMENT_OVERHEAD + SCALAR_BYTES) + a.chars;
            (cost, Shape { bytes, ..Shape::list(pieces, Shape::string(a.chars)) })
        }
        _ => return None,
    })
}

fn is_math_function(name: &str) -> bool {
    matches!(
        name,
        "math.ceil"
            | "math.floor"
            | "math.round"
            | "math.trunc"
            | "math.isInf"
            | "math.isNaN"
            | "math.isFinite"
            | "math.abs"
            | "math.sign"
            | "math.bitAnd"
            | "math.bitOr"
            | "math.bitXor"
            | "math.bitNot"
            | "math.bitShiftLeft"
            | "math.bitShiftRight"
            | "math.sqrt"
    )
}

#[cfg(test)]
mod tests;
