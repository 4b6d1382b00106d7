//! Regular expressions from checklists (annotation and header rules, CEL's `matches`), compiled
//! once and shared: compiling is far costlier than matching, and the same few patterns are
//! matched on every evaluation.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use regex::{Regex, RegexBuilder};

/// Compiled-size cap for user patterns, so a checklist cannot make evaluation expensive.
const SIZE_LIMIT: usize = 1 << 20;
const CACHE_LIMIT: usize = 512;

/// How a pattern must match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Match {
    /// Anywhere in the value, as `grep` (and CEL's `matches`) do.
    Search,
    /// The whole value: the pattern is anchored as a whole, alternations included.
    Full,
}

type ByPattern = HashMap<String, Arc<Regex>>;

/// One map per [`Match`] (indexed by it), so a lookup borrows the pattern instead of building a key.
static CACHE: LazyLock<Mutex<[ByPattern; 2]>> = LazyLock::new(Mutex::default);

/// `pattern` compiled, from the cache when it was compiled before. The error is the regex
/// crate's message.
pub(crate) fn compiled(pattern: &str, how: Match) -> Result<Arc<Regex>, regex::Error> {
    if let Some(regex) = CACHE.lock().unwrap_or_else(|e| e.into_inner())[how as usize].get(pattern) {
        return Ok(Arc::clone(regex));
    }
    let source = match how {
        Match::Search => pattern.to_owned(),
        Match::Full => format!("^(?:{pattern})$"),
    };
    let regex = Arc::new(RegexBuilder::new(&source).size_limit(SIZE_LIMIT).build()?);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let patterns = &mut cache[how as usize];
    if patterns.len() >= CACHE_LIMIT {
        patterns.clear();
    }
    patterns.insert(pattern.to_owned(), Arc::clone(&regex));
    Ok(regex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_matches_anchor_the_whole_alternation() {
        let full = compiled("a|b", Match::Full).expect("compiles");
        assert!(full.is_match("a") && !full.is_match("ab"));
        assert!(compiled("a|b", Match::Search).expect("compiles").is_match("xbx"));
    }

    #[test]
    fn a_pattern_is_compiled_once() {
        let first = compiled("max-age=\\d+", Match::Search).expect("compiles");
        let second = compiled("max-age=\\d+", Match::Search).expect("compiles");
        assert!(Arc::ptr_eq(&first, &second) || first.as_str() == second.as_str());
    }

    #[test]
    fn invalid_and_oversized_patterns_are_errors() {
        assert!(compiled("(unclosed", Match::Search).is_err());
        assert!(compiled("\\w{1000}{1000}", Match::Search).is_err());
    }
}
