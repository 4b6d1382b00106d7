//! What every ported case carries, and the tally that proves none was silently dropped.

use std::fmt::Debug;

/// One ported case: its name (upstream file, test and case), its verdict, and, when it could be
/// put to readygate, (Kubernetes' answer, readygate's answer).
pub type Case<T> = (String, Verdict, Option<(T, T)>);

/// How a ported case relates to Kubernetes.
#[derive(Clone, Copy, Debug)]
pub enum Verdict {
    /// readygate answers as Kubernetes does.
    Agree,
    /// readygate answers otherwise on purpose; the reason (docs/checks.md says the same).
    Differs(&'static str),
    /// The case cannot be put to readygate's API; why.
    NotExpressible(&'static str),
}

/// Runs the cases of one area: an `Agree` case must match Kubernetes, a `Differs` case must
/// still differ (a silent change of behaviour fails here), and a `NotExpressible` case is
/// counted, never run. Returns (agree, differ, not expressible) and panics listing every case
/// that broke its verdict.
pub fn judge<T: PartialEq + Debug>(area: &str, cases: impl IntoIterator<Item = Case<T>>) -> (usize, usize, usize) {
    let (mut agree, mut differ, mut skipped) = (0, 0, 0);
    let mut broken = Vec::new();
    for (name, verdict, outcome) in cases {
        match (verdict, outcome) {
            (Verdict::NotExpressible(reason), _) => {
                assert!(!reason.is_empty(), "{name}: a case left out needs its reason");
                skipped += 1;
            }
            (Verdict::Agree, Some((kubernetes, readygate))) => {
                agree += 1;
                if kubernetes != readygate {
                    broken.push(format!("{name}: Kubernetes {kubernetes:?}, readygate {readygate:?}"));
                }
            }
            (Verdict::Differs(reason), Some((kubernetes, readygate))) => {
                assert!(!reason.is_empty(), "{name}: a difference needs its reason");
                differ += 1;
                if kubernetes == readygate {
                    broken.push(format!("{name}: marked as a deliberate difference, but now agrees ({readygate:?})"));
                }
            }
            (_, None) => broken.push(format!("{name}: expressible case produced no outcome")),
        }
    }
    println!("{area}: {agree} agree, {differ} differ deliberately, {skipped} not expressible");
    assert!(broken.is_empty(), "{area}: {} case(s) broke their verdict:\n{}", broken.len(), broken.join("\n"));
    (agree, differ, skipped)
}
