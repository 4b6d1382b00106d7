//! Kubernetes' regex library (`k8s.io/apiserver/pkg/cel/library/regex.go`): `find(pattern)`, the
//! first match or `''`, and `findAll(pattern[, limit])`, every match (at most `limit` when it is
//! not negative), as Go's `FindString` and `FindAllString`.
//!
//! Patterns come from the shared cache (`checks::patterns`), as `matches` does: a constant one is
//! compiled with the program, another once however many elements it is matched against.

use cel::common::types::{CelInt, CelList, CelString};
use cel::common::value::Val;
use cel::{DeclarationError, Env, ExecutionError};

use crate::checks::patterns::{Match, compiled};

fn pattern(function: &str, pattern: &CelString<'_>) -> Result<std::sync::Arc<regex::Regex>, ExecutionError> {
    // The error names no pattern: one that is not a constant may come from the object.
    compiled(pattern.inner(), Match::Search)
        .map_err(|_| ExecutionError::function_error(function, "not a valid regular expression"))
}

fn find(this: &CelString<'_>, regex: &CelString<'_>) -> Result<CelString<'static>, ExecutionError> {
    let regex = pattern("find", regex)?;
    Ok(CelString::from(regex.find(this.inner()).map(|m| m.as_str().to_owned()).unwrap_or_default()))
}

/// The matches in order, at most `limit` of them when it is not negative. As Go, an empty match
/// right where the previous match ended is skipped (`"abc".findAll('b*')` is `['', 'b', '']`).
fn matches_of(text: &str, regex: &regex::Regex, limit: i64) -> Vec<String> {
    let mut found = Vec::new();
    let mut previous_end = None;
    for m in regex.find_iter(text) {
        if usize::try_from(limit).is_ok_and(|limit| found.len() >= limit) {
            break;
        }
        if m.is_empty() && previous_end == Some(m.start()) {
            continue;
        }
        previous_end = Some(m.end());
        found.push(m.as_str().to_owned());
    }
    found
}

fn to_list(found: Vec<String>) -> CelList<'static> {
    let items: Vec<Box<dyn Val>> = found.into_iter().map(|s| Box::new(CelString::from(s)) as Box<dyn Val>).collect();
    CelList::from(items)
}

fn find_all(this: &CelString<'_>, regex: &CelString<'_>) -> Result<CelList<'static>, ExecutionError> {
    let regex = pattern("findAll", regex)?;
    Ok(to_list(matches_of(this.inner(), &regex, -1)))
}

fn find_all_limit(
    this: &CelString<'_>,
    regex: &CelString<'_>,
    limit: &CelInt,
) -> Result<CelList<'static>, ExecutionError> {
    let regex = pattern("findAll", regex)?;
    Ok(to_list(matches_of(this.inner(), &regex, *limit.inner())))
}

pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    cel::add_member_overload!(env, fn find: (CelString, CelString) -> Result<CelString>, id = "string_find_string")?;
    cel::add_member_overload!(env, fn find_all: (CelString, CelString) -> Result<CelList>, id = "string_find_all_string")?;
    cel::add_member_overload!(env, fn find_all_limit: (CelString, CelString, CelInt) -> Result<CelList>, name = "findAll", id = "string_find_all_string_int")?;
    Ok(())
}
