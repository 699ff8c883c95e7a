//! Reading the API's loosely typed values.
//!
//! The API is not strict about types: numbers arrive as JSON numbers or as numeric strings,
//! empty values as `""`, `null` or `"NULL"`, and new fields appear without notice. Models read
//! their fields through the deserializers here (`deserialize_with = "lenient::string"`) and
//! ignore unknown fields; only what truly cannot be read is an error, and it names its field.

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Reads one item of a page, naming the field that cannot be read: serde's message for a
/// field's own deserializer does not say which field it was, and a user with 36 fields per job
/// needs to know.
pub(crate) fn item_from_value<T: DeserializeOwned>(raw: &Value) -> Result<T, String> {
    T::deserialize(raw).map_err(|e| match failing_field::<T>(raw) {
        Some(field) => format!("`{field}`: {e}"),
        None => e.to_string(),
    })
}

/// The field of `raw` that cannot be read, found by reading each field alone (every field of a
/// lenient model is optional). Only runs on the error path.
fn failing_field<T: DeserializeOwned>(raw: &Value) -> Option<String> {
    let Value::Object(fields) = raw else {
        return None;
    };
    fields.iter().find_map(|(key, value)| {
        let alone = Value::Object(Map::from_iter([(key.clone(), value.clone())]));
        T::deserialize(&alone)
            .is_err()
            .then(|| key.chars().take(64).collect())
    })
}

/// A scalar as text: ids and RequestIds arrive as strings, sometimes as numbers.
pub(crate) fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads an integer from a JSON number or a numeric string. `Ok(None)` for null, empty and
/// `"NULL"`; an error for anything that is clearly not a number.
pub(crate) fn value_to_i64(v: &Value) -> Result<Option<i64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => number_to_i64(n).map(Some),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() || t.eq_ignore_ascii_case("null") {
                return Ok(None);
            }
            let t = t.strip_suffix('%').unwrap_or(t).trim();
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Some(i));
            }
            match t.parse::<f64>() {
                Ok(f) => float_to_i64(f).map(Some),
                Err(_) => Err(format!("{s:?} is not a number")),
            }
        }
        Value::Bool(_) => Err("a boolean is not a number".to_owned()),
        Value::Array(_) | Value::Object(_) => Err("a list or object is not a number".to_owned()),
    }
}

fn number_to_i64(n: &serde_json::Number) -> Result<i64, String> {
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) => float_to_i64(f),
        None => Err(format!("{n} does not fit a 64-bit integer")),
    }
}

/// Progress percentages sometimes carry a fraction; the contract is whole numbers, so truncate.
fn float_to_i64(f: f64) -> Result<i64, String> {
    // i64::MAX as f64 rounds up to 2^63, so the upper bound must be exclusive.
    if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        // Truncation toward zero is intended; the range check above makes the cast exact enough.
        #[allow(clippy::cast_possible_truncation)]
        Ok(f.trunc() as i64)
    } else {
        Err(format!("{f} does not fit a 64-bit integer"))
    }
}

/// Percentages keep their fraction: a job at 99.5 % is not at 99 %.
pub(crate) fn float<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = Value::deserialize(d)?;
    let parsed = match &v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_f64()
            .map(Some)
            .ok_or_else(|| format!("{n} is not a number")),
        Value::String(s) => {
            let t = s.trim();
            let t = t.strip_suffix('%').unwrap_or(t).trim();
            if t.is_empty() {
                Ok(None)
            } else {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Some)
                    .ok_or_else(|| format!("{s:?} is not a number"))
            }
        }
        Value::Bool(_) => Err("a boolean is not a number".to_owned()),
        Value::Array(_) | Value::Object(_) => Err("a list or object is not a number".to_owned()),
    };
    parsed.map_err(de::Error::custom)
}

/// An integer, from a number or a numeric string.
pub(crate) fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_i64(&v).map_err(de::Error::custom)
}

/// A string, from any scalar; `None` for null and empty.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        // Some fields are documented as JSON text (`RestoreObjects`): structured JSON is kept as
        // its text, so that `jsondecode()` still works on it.
        other @ (Value::Array(_) | Value::Object(_)) => Ok(Some(other.to_string())),
    }
}
