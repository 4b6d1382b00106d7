//! Kubernetes' CEL libraries, the functions rules in CRD validation and ValidatingAdmissionPolicies
//! use beyond CEL's standard library and extensions: quantities, URLs, IP addresses and CIDRs,
//! the list functions and the regex `find`/`findAll`. Each follows
//! `k8s.io/apiserver/pkg/cel/library`, its Go semantics and (where they quote no value) its
//! error messages.
//!
//! Every function has a cost in the CEL budget (`cost::call_cost`), modelled on Kubernetes'
//! `library/cost.go`; a function without one is refused when the rule is compiled.

/// CEL's `Val` for a Rust type that rules see as an opaque CEL type (`$type`, a
/// `LazyLock<Type>`): equal by `PartialEq`, copied by `Clone`. Quantities, URLs, IPs and CIDRs
/// are all such values. Declared before the modules so that they see it.
macro_rules! opaque_val {
    ($rust:ty, $type:ident) => {
        impl cel::common::value::Val for $rust {
            fn get_type(&self) -> &cel::common::types::Type {
                &$type
            }

            fn cel_type() -> &'static cel::common::types::Type {
                &$type
            }

            fn equals(&self, other: &dyn cel::common::value::Val) -> bool {
                other.downcast_ref::<$rust>().is_some_and(|other| self == other)
            }

            fn clone_as_boxed<'v>(&self) -> Box<dyn cel::common::value::Val + 'v> {
                Box::new(Clone::clone(self))
            }

            fn as_any(&self) -> Option<&dyn std::any::Any> {
                Some(self)
            }
        }

        impl cel::common::value::StaticVal for $rust {}
    };
}

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

/// Every function the libraries declare (and `format`, `string`, which they extend), as
/// docs/checks.md documents them: a test checks the two agree.
pub const FUNCTIONS: &[&str] = &[
    "quantity",
    "isQuantity",
    "compareTo",
    "isGreaterThan",
    "isLessThan",
    "add",
    "sub",
    "isInteger",
    "asInteger",
    "asApproximateFloat",
    "sign",
    "url",
    "isURL",
    "getScheme",
    "getHost",
    "getHostname",
    "getPort",
    "getEscapedPath",
    "getQuery",
    "ip",
    "isIP",
    "ip.isCanonical",
    "family",
    "isUnspecified",
    "isLoopback",
    "isLinkLocalMulticast",
    "isLinkLocalUnicast",
    "isGlobalUnicast",
    "cidr",
    "isCIDR",
    "containsIP",
    "containsCIDR",
    "masked",
    "prefixLength",
    "string",
    "isSorted",
    "sum",
    "min",
    "max",
    "indexOf",
    "lastIndexOf",
    "find",
    "findAll",
    "format",
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
