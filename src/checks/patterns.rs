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

/// Failures are kept too: a pattern over the size limit takes milliseconds to refuse, and one
/// matched against every element of a list must not be refused again each time.
type ByPattern = HashMap<String, Result<Arc<Regex>, regex::Error>>;

/// One map per [`Match`] (indexed by it), so a lookup borrows the pattern instead of building a key.
static CACHE: LazyLock<Mutex<[ByPattern; 2]>> = LazyLock::new(Mutex::default);

/// `pattern` compiled, from the cache when it was compiled before. The error is the regex
/// crate's message.
pub(crate) fn compiled(pattern: &str, how: Match) -> Result<Arc<Regex>, regex::Error> {
    if let Some(compiled) = CACHE.lock().unwrap_or_else(|e| e.into_inner())[how as usize].get(pattern) {
        return compiled.clone();
    }
    let source = match how {
        Match::Search => pattern.to_owned(),
        Match::Full => format!("^(?:{pattern})$"),
    };
    let compiled = RegexBuilder::new(&source).size_limit(SIZE_LIMIT).build().map(Arc::new);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let patterns = &mut cache[how as usize];
    if patterns.len() >= CACHE_LIMIT {
        patterns.clear();
    }
    patterns.insert(pattern.to_owned(), compiled.clone());
    compiled
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

    #[test]
    fn a_refused_pattern_is_refused_from_the_cache() {
        let pattern = "x\\w{999}{999}";
        let first = std::time::Instant::now();
        assert!(compiled(pattern, Match::Search).is_err());
        let compiling = first.elapsed();
        let again = std::time::Instant::now();
        for _ in 0..10 {
            assert!(compiled(pattern, Match::Search).is_err());
        }
        // Ten lookups take less time than the one compilation that hit the size limit.
        assert!(again.elapsed() < compiling, "{:?} vs {compiling:?}", again.elapsed());
    }
}
