//! CEL programs for `resource` checks (being implemented).
