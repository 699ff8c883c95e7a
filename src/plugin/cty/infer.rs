//! The concrete type a dynamic value travels with.
//!
//! A value in a `dynamic` slot is written as `[type JSON, value]`, and our
//! values do not carry types, so the type is read off the value:
//!
//! - bool, number, string, list, set, map, object, tuple as their shape says;
//! - null and unknown as `dynamic` (cty's untyped null and unknown);
//! - a collection's element type is the *unification* of its elements'
//!   types: `dynamic` gives way to anything concrete, objects merge their
//!   attributes (a missing attribute is null), and anything else must be
//!   equal, because cty collections are homogeneous and Terraform would
//!   reject (or crash on) a list whose elements differ in type.
//!
//! The same rule applies to schema collections whose element type contains
//! `dynamic` (`list(dynamic)`): every element must travel with one type.

use std::collections::BTreeMap;

use super::encode::{EncodeError, EncodeErrorKind};
use super::path::{index_step, PathStep};
use super::types::CtyType;
use super::value::Value;
use super::MAX_DEPTH;

type Result<T> = std::result::Result<T, EncodeError>;

/// The type of `value` as it stands in a dynamic slot.
pub(super) fn infer(value: &Value, depth: usize) -> Result<CtyType> {
    guided(&CtyType::Dynamic, value, depth)
}

/// The element type every element of a collection travels with: `start`
/// (the schema's element type, possibly already refined from outside)
/// unified with each element's [`guided`] type under `schema`.
pub(super) fn unify_elements<'v>(
    schema: &CtyType,
    start: &CtyType,
    elements: impl Iterator<Item = (PathStep, &'v Value)>,
    depth: usize,
) -> Result<CtyType> {
    let mut acc = start.clone();
    for (step, element) in elements {
        let ty = guided(schema, element, depth).map_err(|e| e.within(step.clone()))?;
        acc = match unify(&acc, &ty) {
            Some(unified) => unified,
            None => {
                return Err(EncodeError::from(EncodeErrorKind::InconsistentTypes {
                    first: acc.to_string(),
                    other: ty.to_string(),
                })
                .within(step))
            }
        };
    }
    Ok(acc)
}

/// The most concrete type of `value` that conforms to `schema`: the
/// schema's own parts where it has them, the value's shape where it says
/// `dynamic`. Shape mismatches fall back to the schema type; the encoder
/// then reports them with their path.
fn guided(schema: &CtyType, value: &Value, depth: usize) -> Result<CtyType> {
    if !schema.contains_dynamic() {
        return Ok(schema.clone());
    }
    if depth >= MAX_DEPTH {
        return Err(EncodeErrorKind::TooDeep.into());
    }
    let next = depth + 1;
    let any = &CtyType::Dynamic;
    Ok(match (schema, value) {
        (_, Value::Null | Value::Unknown) => schema.clone(),
        (CtyType::Dynamic, Value::Bool(_)) => CtyType::Bool,
        (CtyType::Dynamic, Value::Number(_)) => CtyType::Number,
        (CtyType::Dynamic, Value::String(_)) => CtyType::String,
        (CtyType::Dynamic, Value::List(es)) => {
            CtyType::list(unify_elements(any, any, indexed(es), next)?)
        }
        (CtyType::Dynamic, Value::Set(es)) => {
            CtyType::set(unify_elements(any, any, indexed(es), next)?)
        }
        (CtyType::Dynamic, Value::Map(m)) => {
            CtyType::map(unify_elements(any, any, keyed(m), next)?)
        }
        (CtyType::Dynamic, Value::Object(m)) => CtyType::Object(
            m.iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        guided(any, v, next)
                            .map_err(|e| e.within(PathStep::Attribute(k.clone())))?,
                    ))
                })
                .collect::<Result<_>>()?,
        ),
        (CtyType::Dynamic, Value::Encoded(e)) => e.ty().clone(),
        (CtyType::Dynamic, Value::Tuple(es)) => CtyType::Tuple(
            es.iter()
                .enumerate()
                .map(|(i, v)| guided(any, v, next).map_err(|e| e.within(index_step(i))))
                .collect::<Result<_>>()?,
        ),
        (CtyType::List(et), Value::List(es)) => {
            CtyType::list(unify_elements(et, et, indexed(es), next)?)
        }
        (CtyType::Set(et), Value::Set(es)) => {
            CtyType::set(unify_elements(et, et, indexed(es), next)?)
        }
        (CtyType::Map(et), Value::Map(m)) => CtyType::map(unify_elements(et, et, keyed(m), next)?),
        (CtyType::Object(attrs), Value::Object(m)) => CtyType::Object(
            attrs
                .iter()
                .map(|(k, t)| {
                    let v = m.get(k).unwrap_or(&Value::Null);
                    Ok((
                        k.clone(),
                        guided(t, v, next).map_err(|e| e.within(PathStep::Attribute(k.clone())))?,
                    ))
                })
                .collect::<Result<_>>()?,
        ),
        (CtyType::Tuple(ts), Value::Tuple(es)) if ts.len() == es.len() => CtyType::Tuple(
            ts.iter()
                .zip(es)
                .enumerate()
                .map(|(i, (t, v))| guided(t, v, next).map_err(|e| e.within(index_step(i))))
                .collect::<Result<_>>()?,
        ),
        _ => schema.clone(),
    })
}

/// The least type both `a` and `b` conform to, if any (see module docs).
fn unify(a: &CtyType, b: &CtyType) -> Option<CtyType> {
    Some(match (a, b) {
        (CtyType::Dynamic, other) | (other, CtyType::Dynamic) => other.clone(),
        (CtyType::List(x), CtyType::List(y)) => CtyType::list(unify(x, y)?),
        (CtyType::Set(x), CtyType::Set(y)) => CtyType::set(unify(x, y)?),
        (CtyType::Map(x), CtyType::Map(y)) => CtyType::map(unify(x, y)?),
        (CtyType::Object(x), CtyType::Object(y)) => {
            let mut merged: BTreeMap<String, CtyType> = x.clone();
            for (k, ty) in y {
                let unified = match merged.get(k) {
                    Some(existing) => unify(existing, ty)?,
                    None => ty.clone(),
                };
                merged.insert(k.clone(), unified);
            }
            CtyType::Object(merged)
        }
        (CtyType::Tuple(x), CtyType::Tuple(y)) if x.len() == y.len() => CtyType::Tuple(
            x.iter()
                .zip(y)
                .map(|(a, b)| unify(a, b))
                .collect::<Option<_>>()?,
        ),
        (x, y) if x == y => x.clone(),
        _ => return None,
    })
}

fn indexed(es: &[Value]) -> impl Iterator<Item = (PathStep, &Value)> {
    es.iter().enumerate().map(|(i, e)| (index_step(i), e))
}

fn keyed(m: &BTreeMap<String, Value>) -> impl Iterator<Item = (PathStep, &Value)> {
    m.iter().map(|(k, v)| (PathStep::Key(k.clone()), v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s() -> CtyType {
        CtyType::String
    }

    #[test]
    fn infer_table() {
        let cases = [
            (Value::from(true), CtyType::Bool),
            (Value::from(1i64), CtyType::Number),
            (Value::from("x"), s()),
            (
                Value::list(Vec::<Value>::new()),
                CtyType::list(CtyType::Dynamic),
            ),
            (
                Value::list([Value::Null, Value::from("a")]),
                CtyType::list(s()),
            ),
            (Value::set([Value::Unknown]), CtyType::set(CtyType::Dynamic)),
            (Value::map([("k", 1i64)]), CtyType::map(CtyType::Number)),
            (
                Value::tuple([Value::from("a"), Value::from(1i64), Value::Null]),
                CtyType::tuple([s(), CtyType::Number, CtyType::Dynamic]),
            ),
            (
                Value::object([("a", Value::from("x")), ("b", Value::Null)]),
                CtyType::object([("a", s()), ("b", CtyType::Dynamic)]),
            ),
            // Objects in a list merge: b is a string wherever it is known,
            // c only appears in one element.
            (
                Value::list([
                    Value::object([("a", Value::from(1i64)), ("b", Value::Null)]),
                    Value::object([("b", Value::from("x")), ("c", Value::from(true))]),
                ]),
                CtyType::list(CtyType::object([
                    ("a", CtyType::Number),
                    ("b", s()),
                    ("c", CtyType::Bool),
                ])),
            ),
            (
                Value::list([Value::list(Vec::<Value>::new()), Value::list(["x"])]),
                CtyType::list(CtyType::list(s())),
            ),
        ];
        for (value, want) in cases {
            assert_eq!(infer(&value, 0).unwrap(), want, "{value}");
        }
    }

    #[test]
    fn conflicts_name_the_element() {
        let value = Value::object([("xs", Value::list([Value::from("a"), Value::from(1i64)]))]);
        let err = infer(&value, 0).unwrap_err().finished();
        assert_eq!(
            err.to_string(),
            "xs[1]: elements of a collection must all have one type, found string and number"
        );
    }

    #[test]
    fn guided_keeps_schema_parts() {
        let schema = CtyType::object([("a", s()), ("d", CtyType::Dynamic)]);
        let value = Value::object([("a", Value::Null), ("d", Value::list([1i64]))]);
        assert_eq!(
            guided(&schema, &value, 0).unwrap(),
            CtyType::object([("a", s()), ("d", CtyType::list(CtyType::Number))])
        );
    }
}
