//! Per-part findings of checks that judge both spec and status, and the rule that turns them into
//! one outcome when some parts cannot be proven here (offline, without a status).

use super::Outcome;

/// What a check found, part by part. Spec-provable parts decide even offline; parts that need a
/// live status are `unprovable` there.
#[derive(Debug, Default)]
pub(super) struct Findings {
    failed: Vec<String>,
    errors: Vec<String>,
    unprovable: Vec<String>,
    verified: Vec<String>,
}

impl Findings {
    pub(super) fn fail(&mut self, message: impl Into<String>) {
        self.failed.push(message.into());
    }

    pub(super) fn error(&mut self, message: impl Into<String>) {
        self.errors.push(message.into());
    }

    pub(super) fn unprovable(&mut self, message: impl Into<String>) {
        self.unprovable.push(message.into());
    }

    pub(super) fn verified(&mut self, message: impl Into<String>) {
        self.verified.push(message.into());
    }

    /// Any failure -> Failed; else any error -> Error; else anything unprovable -> Skipped,
    /// saying what was verified and what needs a live cluster; else Passed.
    pub(super) fn into_outcome(self) -> Outcome {
        if !self.failed.is_empty() {
            return Outcome::failed(self.failed.join("; "));
        }
        if !self.errors.is_empty() {
            return Outcome::error(self.errors.join("; "));
        }
        if !self.unprovable.is_empty() {
            let verified = if self.verified.is_empty() { "nothing".to_owned() } else { self.verified.join("; ") };
            return Outcome::skipped(format!(
                "verified {verified}; needs a live cluster: {}",
                self.unprovable.join("; ")
            ));
        }
        Outcome::passed(self.verified.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ItemState;

    #[test]
    fn a_failure_decides_even_when_other_parts_are_unprovable() {
        let mut f = Findings::default();
        f.unprovable("certificate/api Ready");
        f.fail("certificate/api uses issuer/selfsigned");
        f.error("cannot read Issuer");
        assert_eq!(f.into_outcome(), Outcome::failed("certificate/api uses issuer/selfsigned"));
    }

    #[test]
    fn errors_come_before_unprovable_parts() {
        let mut f = Findings::default();
        f.unprovable("x");
        f.error("cannot read Issuer");
        assert_eq!(f.into_outcome().state, ItemState::Error);
    }

    #[test]
    fn unprovable_parts_skip_and_say_what_was_verified() {
        let mut f = Findings::default();
        f.verified("certificate/api: renewBefore 360h");
        f.unprovable("certificate/api Ready");
        let outcome = f.into_outcome();
        assert_eq!(outcome.state, ItemState::Skipped);
        assert_eq!(
            outcome.message,
            "verified certificate/api: renewBefore 360h; needs a live cluster: certificate/api Ready"
        );
    }

    #[test]
    fn all_verified_passes() {
        let mut f = Findings::default();
        f.verified("a");
        f.verified("b");
        assert_eq!(f.into_outcome(), Outcome::passed("a; b"));
    }
}
