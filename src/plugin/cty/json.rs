//! cty values from JSON, the form Terraform stores resource states in.
//!
//! Only UpgradeResourceState sends JSON: the stored state, which the
//! provider must turn back into a value of its schema's type. The JSON has
//! no type of its own, so decoding is type-directed like the msgpack one.

use super::number::Number;
use super::path::{Path, PathError};
use super::types::CtyType;
use super::value::Value;
use super::MAX_DEPTH;

/// Why some JSON does not fit a type, and where.
pub type JsonDecodeError = PathError<String>;

/// Decodes `bytes` (JSON) as a value of `ty`. Object attributes missing
/// from the JSON are null and ones the type lacks are dropped, since a
/// stored state may predate the attributes a schema gained or lost.
/// Dynamic values are `{"value": ..., "type": ...}`, as Terraform stores them.
pub fn decode_json(bytes: &[u8], ty: &CtyType) -> Result<Value, JsonDecodeError> {
    let json: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| JsonDecodeError::from(format!("not JSON: {e}")))?;
    from_json(&json, ty, Path::root(), 0)
}

fn from_json(
    json: &serde_json::Value,
    ty: &CtyType,
    path: Path,
    depth: usize,
) -> Result<Value, JsonDecodeError> {
    use serde_json::Value as J;
    let fail = |path: Path, message: String| Err(JsonDecodeError::at(path, message));
    if depth > MAX_DEPTH {
        return fail(path, format!("nested deeper than {MAX_DEPTH} levels"));
    }
    if json.is_null() {
        return Ok(Value::Null);
    }
    match (ty, json) {
        (CtyType::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        (CtyType::Number, J::Number(n)) => parse_number(&n.to_string(), path),
        // cty writes numbers too large for JSON's doubles as strings.
        (CtyType::Number, J::String(s)) => parse_number(s, path),
        (CtyType::String, J::String(s)) => Ok(Value::String(s.clone())),
        (CtyType::List(element) | CtyType::Set(element), J::Array(items)) => {
            let values = items
                .iter()
                .enumerate()
                .map(|(i, item)| from_json(item, element, path.clone().index(i as i64), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, CtyType::List(_)) {
                Value::List(values)
            } else {
                Value::Set(values)
            })
        }
        (CtyType::Tuple(types), J::Array(items)) if types.len() == items.len() => {
            let values = items
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (item, t))| from_json(item, t, path.clone().index(i as i64), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(values))
        }
        (CtyType::Map(element), J::Object(entries)) => {
            let values = entries
                .iter()
                .map(|(k, v)| {
                    from_json(v, element, path.clone().key(k.clone()), depth + 1)
                        .map(|v| (k.clone(), v))
                })
                .collect::<Result<_, _>>()?;
            Ok(Value::Map(values))
        }
        (CtyType::Object(attributes), J::Object(entries)) => {
            let values = attributes
                .iter()
                .map(|(name, t)| {
                    let value = match entries.get(name) {
                        Some(v) => {
                            from_json(v, t, path.clone().attribute(name.clone()), depth + 1)?
                        }
                        None => Value::Null,
                    };
                    Ok((name.clone(), value))
                })
                .collect::<Result<_, JsonDecodeError>>()?;
            Ok(Value::Object(values))
        }
        (CtyType::Dynamic, J::Object(wrapper)) => {
            let (Some(value), Some(type_json)) = (wrapper.get("value"), wrapper.get("type")) else {
                return fail(path, "a dynamic value needs \"value\" and \"type\"".into());
            };
            let concrete = CtyType::from_json(type_json).map_err(|e| {
                JsonDecodeError::at(
                    path.clone(),
                    format!("invalid type of a dynamic value: {e}"),
                )
            })?;
            from_json(value, &concrete, path, depth + 1)
        }
        (_, other) => fail(path, format!("expected {ty}, found {}", json_kind(other))),
    }
}

fn parse_number(text: &str, path: Path) -> Result<Value, JsonDecodeError> {
    text.parse::<Number>().map(Value::Number).map_err(|e| {
        JsonDecodeError::at(path, format!("invalid number {}: {e}", super::clip(text)))
    })
}

fn json_kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a bool",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_state_decodes_against_the_current_type() {
        let ty = CtyType::object([
            ("id", CtyType::String),
            ("size", CtyType::Number),
            ("tags", CtyType::map(CtyType::String)),
            (
                "items",
                CtyType::list(CtyType::object([("on", CtyType::Bool)])),
            ),
            ("added_later", CtyType::String),
            ("anything", CtyType::Dynamic),
        ]);
        let json = br#"{"id":"a","size":12345678901234567,"tags":{"k":"v"},
            "items":[{"on":true},{"on":null}],"removed":"x",
            "anything":{"value":["x"],"type":["list","string"]}}"#;
        let value = decode_json(json, &ty).unwrap();
        assert_eq!(value.attr("id"), &Value::String("a".into()));
        assert_eq!(value.attr("size").as_i64(), Some(12345678901234567));
        assert_eq!(value.attr("tags"), &Value::map([("k", "v")]));
        assert_eq!(
            value.attr("items"),
            &Value::list([
                Value::object([("on", Value::Bool(true))]),
                Value::object([("on", Value::Null)]),
            ])
        );
        assert!(value.attr("added_later").is_null());
        assert_eq!(value.attr("anything"), &Value::list(["x"]));
        let Value::Object(attributes) = &value else {
            panic!("an object")
        };
        assert!(!attributes.contains_key("removed"));
    }

    #[test]
    fn mismatches_name_the_attribute() {
        let ty = CtyType::object([("tags", CtyType::map(CtyType::Number))]);
        let err = decode_json(br#"{"tags":{"k":true}}"#, &ty).unwrap_err();
        assert_eq!(err.path(), &Path::root().attribute("tags").key("k"));
        assert!(err.to_string().contains("expected number"), "{err}");
        assert!(decode_json(b"{", &ty).is_err());
    }
}
