//! Kubernetes' list library (`k8s.io/apiserver/pkg/cel/library/lists.go`): `isSorted()`,
//! `sum()`, `min()`, `max()`, `indexOf(x)` and `lastIndexOf(x)` on lists.
//!
//! As in Kubernetes, `sum` adds ints, uints, doubles or durations (an empty list sums to `0`),
//! `min`/`max` of an empty list is an error, comparisons are CEL's (`isSorted` holds when no
//! element is greater than the next), and `indexOf` compares with CEL's `==`.

use cel::common::traits::Iterable;
use cel::common::types::{CelInt, DYN_TYPE, Kind, LIST_TYPE};
use cel::common::value::{CowVal, Val};
use cel::{DeclarationError, Env, ExecutionError};
use std::cmp::Ordering;

fn iterable<'b, 'v>(list: &'b (dyn Val + 'v), function: &str) -> Result<&'b (dyn Iterable + 'v), ExecutionError> {
    list.as_iterable().ok_or_else(|| ExecutionError::function_error(function, "receiver is not a list"))
}

fn take<'b, 'v, const N: usize>(args: Vec<CowVal<'b, 'v>>) -> Result<[CowVal<'b, 'v>; N], ExecutionError> {
    args.try_into().map_err(|args: Vec<_>| ExecutionError::invalid_argument_count(N, args.len()))
}

fn compare(a: &dyn Val, b: &dyn Val, function: &str) -> Result<Ordering, ExecutionError> {
    a.as_comparer()
        .ok_or_else(|| {
            ExecutionError::function_error(
                function,
                format!("elements of type {} are not comparable", a.get_type().name()),
            )
        })?
        .compare(b)
}

fn is_sorted<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [list] = take(args)?;
    let mut items = iterable(list.as_ref(), "isSorted")?.iter();
    let mut previous: Option<&dyn Val> = None;
    while let Some(item) = items.next() {
        if let Some(previous) = previous
            && compare(previous, item, "isSorted")? == Ordering::Greater
        {
            return Ok(CowVal::owned(cel::common::types::CelBool::from(false)));
        }
        previous = Some(item);
    }
    Ok(CowVal::owned(cel::common::types::CelBool::from(true)))
}

/// The element `preferred` by every comparison (`Less` for `min`), as Kubernetes' `cmp`: the
/// first of equal ones.
fn extreme<'b, 'v>(
    args: Vec<CowVal<'b, 'v>>,
    preferred: Ordering,
    function: &str,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [list] = take(args)?;
    let mut items = iterable(list.as_ref(), function)?.iter();
    let mut best: Option<&dyn Val> = None;
    while let Some(item) = items.next() {
        best = match best {
            Some(best) if compare(item, best, function)? != preferred => Some(best),
            _ => Some(item),
        };
    }
    let best =
        best.ok_or_else(|| ExecutionError::function_error(function, format!("{function} called on empty list")))?;
    Ok(CowVal::Owned(best.clone_as_boxed()))
}

fn min<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    extreme(args, Ordering::Less, "min")
}

fn max<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    extreme(args, Ordering::Greater, "max")
}

fn sum<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [list] = take(args)?;
    let mut items = iterable(list.as_ref(), "sum")?.iter();
    let mut total: Option<Box<dyn Val + 'v>> = None;
    while let Some(item) = items.next() {
        if !matches!(item.get_type().kind(), Kind::Int | Kind::UInt | Kind::Double | Kind::Duration) {
            return Err(ExecutionError::function_error(
                "sum",
                format!("cannot sum elements of type {}", item.get_type().name()),
            ));
        }
        total = Some(match total {
            None => item.clone_as_boxed(),
            Some(total) => {
                let adder = total.as_adder().ok_or_else(|| ExecutionError::function_error("sum", "not a number"))?;
                adder.add(item)?.into_owned()
            }
        });
    }
    Ok(match total {
        Some(total) => CowVal::Owned(total),
        None => CowVal::owned(CelInt::from(0)),
    })
}

fn position<'b, 'v>(args: Vec<CowVal<'b, 'v>>, last: bool) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [list, wanted] = take(args)?;
    let mut items = iterable(list.as_ref(), if last { "lastIndexOf" } else { "indexOf" })?.iter();
    let mut found = -1i64;
    let mut index = 0i64;
    while let Some(item) = items.next() {
        if item.equals(wanted.as_ref()) {
            found = index;
            if !last {
                break;
            }
        }
        index += 1;
    }
    Ok(CowVal::owned(CelInt::from(found)))
}

fn index_of<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    position(args, false)
}

fn last_index_of<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    position(args, true)
}

pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_member_overload("isSorted", "list_is_sorted", LIST_TYPE, vec![], is_sorted)?;
    env.add_member_overload("sum", "list_sum", LIST_TYPE, vec![], sum)?;
    env.add_member_overload("min", "list_min", LIST_TYPE, vec![], min)?;
    env.add_member_overload("max", "list_max", LIST_TYPE, vec![], max)?;
    env.add_member_overload("indexOf", "list_index_of", LIST_TYPE, vec![DYN_TYPE], index_of)?;
    env.add_member_overload("lastIndexOf", "list_last_index_of", LIST_TYPE, vec![DYN_TYPE], last_index_of)?;
    Ok(())
}
