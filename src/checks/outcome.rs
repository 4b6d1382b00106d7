//! What a check concludes about one item: a state and a message naming the objects judged.

use crate::api::ItemState;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub state: ItemState,
    pub message: String,
}

impl Outcome {
    pub fn new(state: ItemState, message: impl Into<String>) -> Self {
        Outcome { state, message: message.into() }
    }

    pub fn passed(message: impl Into<String>) -> Self {
        Self::new(ItemState::Passed, message)
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ItemState::Failed, message)
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self::new(ItemState::Error, message)
    }

    pub fn skipped(message: impl Into<String>) -> Self {
        Self::new(ItemState::Skipped, message)
    }

    pub fn pending(message: impl Into<String>) -> Self {
        Self::new(ItemState::Pending, message)
    }

    /// Passed when `problems` is empty (with `ok` as message), else Failed listing them.
    pub fn from_problems(problems: Vec<String>, ok: impl Into<String>) -> Self {
        if problems.is_empty() { Self::passed(ok) } else { Self::failed(problems.join("; ")) }
    }
}
