//! Naming many objects in one message: the first few, then how many more, so a selector that
//! matches hundreds of objects still gives a short message.

/// `a, b, c and 4 more`: the first `shown` items, then how many were left out.
pub(crate) fn list(items: &[String], shown: usize) -> String {
    let mut text = items.iter().take(shown).map(String::as_str).collect::<Vec<_>>().join(", ");
    if items.len() > shown {
        text.push_str(&format!(" and {} more", items.len() - shown));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("deployment/d{i}")).collect()
    }

    #[test]
    fn lists_everything_up_to_the_limit() {
        assert_eq!(list(&names(2), 3), "deployment/d1, deployment/d2");
        assert_eq!(list(&names(3), 3), "deployment/d1, deployment/d2, deployment/d3");
        assert_eq!(list(&[], 3), "");
    }

    #[test]
    fn counts_what_is_left_out() {
        assert_eq!(list(&names(5), 2), "deployment/d1, deployment/d2 and 3 more");
    }
}
