//! CEL execution errors as messages that never carry a value of the object.
//!
//! cel's own messages quote the values involved (`Unsupported binary operator '+': Map({...})`,
//! `No such key: <digest>`), and the message of a `resource` item lands in the checklist's status,
//! its Events and every output format, readable by anyone who may read checklists. So each error
//! is restated from what the *expression* holds: its function and field names and string literals
//! (written by the checklist's author) and the types involved; a key or value that came from the
//! object is never shown.

use std::collections::HashSet;

use cel::common::ast::{EntryExpr, Expr, LiteralValue};
use cel::{ExecutionError, IdedExpr, Value};

/// The names and string literals written in an expression: what a message may quote.
#[derive(Clone, Debug, Default)]
pub struct Written(HashSet<String>);

impl Written {
    pub fn of(expr: &IdedExpr) -> Written {
        let mut written = Written::default();
        written.collect(expr);
        written
    }

    fn contains(&self, text: &str) -> bool {
        self.0.contains(text)
    }

    fn collect(&mut self, expr: &IdedExpr) {
        match &expr.expr {
            Expr::Literal(LiteralValue::String(s)) => {
                self.0.insert(s.inner().to_owned());
            }
            Expr::Ident(name) => {
                self.0.insert(name.clone());
            }
            Expr::Select(select) => {
                self.0.insert(select.field.clone());
            }
            Expr::Call(call) => {
                self.0.insert(call.func_name.clone());
            }
            Expr::Struct(object) => {
                for entry in &object.entries {
                    if let EntryExpr::StructField(field) = &entry.expr {
                        self.0.insert(field.field.clone());
                    }
                }
            }
            _ => {}
        }
        for child in super::ast::children(expr) {
            self.collect(child);
        }
    }
}

/// `error` restated without any value of the object. Keys and names are shown only when the
/// expression wrote them.
pub fn describe(error: &ExecutionError, written: &Written) -> String {
    use ExecutionError as E;
    #[allow(deprecated)]
    match error {
        E::NoSuchKey(key) if written.contains(key) => format!("No such key: {key}"),
        E::NoSuchKey(_) => "No such key (a key that comes from the object, not shown)".to_owned(),
        E::UndeclaredReference(name) if written.contains(name) => format!("Undeclared reference to '{name}'"),
        E::UndeclaredReference(_) => "undeclared reference".to_owned(),
        E::InvalidArgumentCount { .. } | E::NoSuchOverload(_) | E::UnexpectedType { .. } => error.to_string(),
        E::MissingArgumentOrTarget => "missing argument or target".to_owned(),
        E::UnsupportedTargetType { target } => format!("unsupported target of type {}", type_name(target)),
        E::NotSupportedAsMethod { method, target } if written.contains(method) => {
            format!("'{method}' is not a method of {}", type_name(target))
        }
        E::NotSupportedAsMethod { target, .. } => format!("not a method of {}", type_name(target)),
        E::UnsupportedKeyType(key) => format!("a value of type {} cannot be a map key", type_name(key)),
        E::ValuesNotComparable(a, b) => format!("{} cannot be compared to {}", type_name(a), type_name(b)),
        E::UnsupportedUnaryOperator(op, value) => format!("no operator '{op}' for {}", type_name(value)),
        E::UnsupportedBinaryOperator(op, a, b) => {
            format!("no operator '{op}' for {} and {}", type_name(a), type_name(b))
        }
        E::UnsupportedMapIndex(index) | E::UnsupportedListIndex(index) => {
            format!("cannot index with a value of type {}", type_name(index))
        }
        E::UnsupportedIndex(index, target) => {
            format!("cannot index {} with a value of type {}", type_name(target), type_name(index))
        }
        E::UnsupportedFunctionCallIdentifierType(_) => "unsupported function call".to_owned(),
        E::UnsupportedFieldsConstruction(_) => "unsupported field construction".to_owned(),
        // The Kubernetes libraries' messages are readygate's own, written never to quote a value.
        E::FunctionError { function, message }
            if super::kubernetes::FUNCTIONS_WITH_VALUE_FREE_ERRORS.contains(&function.as_str()) =>
        {
            format!("'{function}' failed: {message}")
        }
        // Other function messages quote their arguments (a pattern, a string that is not a
        // number, a base64 character): only the function's name is kept.
        E::FunctionError { function, .. } if written.contains(function) => {
            format!("'{function}' failed on a value of the object (not shown)")
        }
        E::FunctionError { .. } => "a function failed on a value of the object (not shown)".to_owned(),
        E::DivisionByZero(_) => "division by zero".to_owned(),
        E::RemainderByZero(_) => "modulus by zero".to_owned(),
        E::Overflow(op, _, _) => format!("integer overflow in '{op}'"),
        E::IndexOutOfBounds(_) => "index out of bounds".to_owned(),
        E::DuplicateKey(_) => "a map literal repeats a key".to_owned(),
        E::InternalError(_) => "internal error in the CEL interpreter".to_owned(),
        // `ExecutionError` is non-exhaustive: a variant added later is stated by name only.
        _ => "evaluation failed (details not shown: they may quote the object)".to_owned(),
    }
}

fn type_name(value: &Value) -> String {
    format!("{:?}", value.type_of()).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(expr: &str) -> Written {
        Written::of(cel::Env::stdlib().compile(expr).expect("compiles").expression())
    }

    #[test]
    fn keys_written_in_the_expression_are_shown_and_others_are_not() {
        let written = written("object.data.password.sha256 == 'x' && object.data['token'] == 'y'");
        assert_eq!(describe(&ExecutionError::no_such_key("password"), &written), "No such key: password");
        assert_eq!(describe(&ExecutionError::no_such_key("token"), &written), "No such key: token");
        let digest = "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7";
        let message = describe(&ExecutionError::no_such_key(digest), &written);
        assert!(!message.contains(digest), "{message}");
    }

    #[test]
    fn values_are_replaced_by_their_types() {
        let secret = Value::String("hunter2".to_owned().into());
        let written = written("object.a + 1 == 2");
        for error in [
            ExecutionError::UnsupportedBinaryOperator("_+_", secret.clone(), Value::Int(1)),
            ExecutionError::ValuesNotComparable(secret.clone(), Value::Int(1)),
            ExecutionError::UnsupportedIndex(secret.clone(), secret.clone()),
            ExecutionError::unsupported_key_type(secret.clone()),
            ExecutionError::DivisionByZero(secret.clone()),
            ExecutionError::Overflow("_+_", secret.clone(), secret.clone()),
            ExecutionError::IndexOutOfBounds(secret.clone()),
            ExecutionError::function_error("int", "cannot parse hunter2"),
            ExecutionError::not_supported_as_method("hunter2", secret.clone()),
            ExecutionError::InternalError("hunter2".to_owned()),
        ] {
            let message = describe(&error, &written);
            assert!(!message.contains("hunter2"), "{message}");
            assert!(!message.is_empty());
        }
        let message = describe(&ExecutionError::UnsupportedBinaryOperator("_+_", secret, Value::Int(1)), &written);
        assert_eq!(message, "no operator '_+_' for string and int");
    }
}
