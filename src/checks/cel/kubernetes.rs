//! Kubernetes' CEL libraries, the functions rules in CRD validation and ValidatingAdmissionPolicies
//! use beyond CEL's standard library and extensions: quantities, URLs, IP addresses and CIDRs,
//! the list functions and the regex `find`/`findAll`. Each follows
//! `k8s.io/apiserver/pkg/cel/library`, its Go semantics and (where they quote no value) its
//! error messages.
//!
//! Every function has a cost in the CEL budget (`cost::call_cost`), modelled on Kubernetes'
//! `library/cost.go`; a function without one is refused when the rule is compiled.

mod lists;
pub mod net;
pub mod quantity;
mod regex;
pub mod url;

use cel::{DeclarationError, Env};

/// Functions whose error messages are readygate's own and never quote a value: the message may
/// show them whole (`cannot convert value to integer`), where others are reduced to the
/// function's name.
pub const FUNCTIONS_WITH_VALUE_FREE_ERRORS: &[&str] = &[
    "quantity",
    "asInteger",
    "add",
    "sub",
    "ip",
    "ip.isCanonical",
    "cidr",
    "containsIP",
    "containsCIDR",
    "url",
    "isSorted",
    "sum",
    "min",
    "max",
    "find",
    "findAll",
];

/// Registers every library on `env`.
pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    quantity::register(env)?;
    net::register(env)?;
    url::register(env)?;
    lists::register(env)?;
    regex::register(env)?;
    Ok(())
}

#[cfg(test)]
mod tests;
