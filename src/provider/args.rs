//! Reading typed arguments out of a configuration object.
//!
//! Validation runs on configs that may hold unknown values, reads on wholly
//! known ones; [`Arg`] keeps "not set", "not known yet" and "set" apart so
//! each rule can skip what it cannot judge yet.

use crate::plugin::cty::Value;
use crate::plugin::{AttributePath, Diagnostic};

/// One argument's state.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<T> {
    /// Null: the configuration did not set it.
    Null,
    /// Set, but only known after apply.
    Unknown,
    /// Set and known.
    Known(T),
}

impl<T> Arg<T> {
    /// The value, when known.
    pub fn known(self) -> Option<T> {
        match self {
            Arg::Known(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the configuration set it (known or not).
    pub fn is_set(&self) -> bool {
        !matches!(self, Arg::Null)
    }

    /// Converts a known value; null and unknown stay what they are.
    fn try_map<U, E>(self, convert: impl FnOnce(T) -> Result<U, E>) -> Result<Arg<U>, E> {
        match self {
            Arg::Null => Ok(Arg::Null),
            Arg::Unknown => Ok(Arg::Unknown),
            Arg::Known(v) => convert(v).map(Arg::Known),
        }
    }
}

fn classify(v: &Value) -> Arg<&Value> {
    if v.is_null() {
        Arg::Null
    } else if v.is_unknown() {
        Arg::Unknown
    } else {
        Arg::Known(v)
    }
}

fn wrong_type(name: &str, expected: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Invalid {name}"),
        format!("`{name}` must be {expected}."),
    )
    .at(AttributePath::to(name))
}

/// A string argument.
pub fn string(config: &Value, name: &str) -> Result<Arg<String>, Diagnostic> {
    classify(config.attr(name)).try_map(|v| {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| wrong_type(name, "a string"))
    })
}

/// A whole-number argument; fractions and out-of-range values are errors
/// pointing at the attribute.
pub fn integer(config: &Value, name: &str) -> Result<Arg<i64>, Diagnostic> {
    classify(config.attr(name)).try_map(|v| {
        v.as_number()
            .and_then(|n| n.as_i64())
            .ok_or_else(|| wrong_type(name, "a whole number within the 64-bit range"))
    })
}

/// A list of strings; elements may individually be unknown (or null).
pub fn string_list(config: &Value, name: &str) -> Result<Arg<Vec<Arg<String>>>, Diagnostic> {
    classify(config.attr(name)).try_map(|v| {
        let elements = v
            .as_elements()
            .ok_or_else(|| wrong_type(name, "a list of strings"))?;
        elements
            .iter()
            .enumerate()
            .map(|(i, element)| {
                classify(element).try_map(|e| {
                    e.as_str().map(str::to_owned).ok_or_else(|| {
                        Diagnostic::error(
                            format!("Invalid {name}"),
                            format!("Every element of `{name}` must be a string."),
                        )
                        .at(AttributePath::to(name).index(i as i64))
                    })
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn object(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn null_unknown_known() {
        let c = object(vec![
            ("a", Value::Null),
            ("b", Value::Unknown),
            ("c", Value::String("x".into())),
            ("n", Value::Number(7.into())),
            ("f", Value::Number(1.5.into())),
        ]);
        assert_eq!(string(&c, "a").unwrap(), Arg::Null);
        assert_eq!(string(&c, "b").unwrap(), Arg::Unknown);
        assert_eq!(string(&c, "c").unwrap(), Arg::Known("x".into()));
        assert_eq!(string(&c, "missing").unwrap(), Arg::Null);
        assert_eq!(integer(&c, "n").unwrap(), Arg::Known(7));
        let err = integer(&c, "f").unwrap_err();
        assert_eq!(err.attribute, Some(AttributePath::to("f")));
        assert!(string(&c, "n").is_err());
    }

    #[test]
    fn lists_keep_element_state() {
        let c = object(vec![(
            "ids",
            Value::List(vec![Value::String("a".into()), Value::Unknown, Value::Null]),
        )]);
        assert_eq!(
            string_list(&c, "ids").unwrap(),
            Arg::Known(vec![Arg::Known("a".into()), Arg::Unknown, Arg::Null])
        );
        let bad = object(vec![("ids", Value::List(vec![Value::Bool(true)]))]);
        let err = string_list(&bad, "ids").unwrap_err();
        assert_eq!(err.attribute, Some(AttributePath::to("ids").index(0)));
    }
}
