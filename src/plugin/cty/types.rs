//! cty types and their JSON form.
//!
//! Terraform learns an attribute's type from the JSON we put in the schema
//! (`"string"`, `["list","string"]`, `["object",{"a":"number"}]`), and a
//! dynamic value carries the same JSON in front of its msgpack bytes. Both
//! directions live here so the two uses cannot drift apart.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use super::{clip, MAX_DEPTH};

/// The type of a cty value, as Terraform and the provider agree on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CtyType {
    /// `true` or `false`.
    Bool,
    /// An arbitrary-precision number.
    Number,
    /// A Unicode string.
    String,
    /// Any type, decided per value (cty's `DynamicPseudoType`); such values
    /// travel with their concrete type in front of them.
    Dynamic,
    /// An ordered sequence of elements of one type.
    List(Box<CtyType>),
    /// An unordered collection of distinct elements of one type.
    Set(Box<CtyType>),
    /// String-keyed elements of one type.
    Map(Box<CtyType>),
    /// A fixed set of named attributes, each with its own type.
    Object(BTreeMap<String, CtyType>),
    /// A fixed-length sequence, each position with its own type.
    Tuple(Vec<CtyType>),
}

/// Why some type JSON could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypeJsonError {
    /// The bytes are not JSON at all.
    #[error("type is not valid JSON: {0}")]
    Syntax(String),
    /// The JSON does not describe a cty type.
    #[error("invalid type JSON: {0}")]
    Invalid(String),
    /// The type nests deeper than any schema could.
    #[error("type is nested more than {MAX_DEPTH} levels deep")]
    TooDeep,
}

impl CtyType {
    /// `list(element)`.
    pub fn list(element: CtyType) -> Self {
        Self::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: CtyType) -> Self {
        Self::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: CtyType) -> Self {
        Self::Map(Box::new(element))
    }

    /// `object({name = type, ...})`, from any list of pairs.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, CtyType)>) -> Self {
        Self::Object(
            attributes
                .into_iter()
                .map(|(name, ty)| (name.into(), ty))
                .collect(),
        )
    }

    /// `tuple([type, ...])`.
    pub fn tuple(elements: impl IntoIterator<Item = CtyType>) -> Self {
        Self::Tuple(elements.into_iter().collect())
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&CtyType> {
        match self {
            Self::List(e) | Self::Set(e) | Self::Map(e) => Some(e),
            _ => None,
        }
    }

    /// Whether `dynamic` appears anywhere inside; the encoder needs extra
    /// care for collections of such types (see [`super::encode`]).
    pub fn contains_dynamic(&self) -> bool {
        match self {
            Self::Dynamic => true,
            Self::Bool | Self::Number | Self::String => false,
            Self::List(e) | Self::Set(e) | Self::Map(e) => e.contains_dynamic(),
            Self::Object(attrs) => attrs.values().any(Self::contains_dynamic),
            Self::Tuple(elems) => elems.iter().any(Self::contains_dynamic),
        }
    }

    /// The JSON Terraform expects in a schema attribute's `type` field.
    /// Object attributes come out in sorted order, as cty writes them.
    pub fn to_json(&self) -> Json {
        match self {
            Self::Bool => Json::from("bool"),
            Self::Number => Json::from("number"),
            Self::String => Json::from("string"),
            Self::Dynamic => Json::from("dynamic"),
            Self::List(e) => Json::Array(vec![Json::from("list"), e.to_json()]),
            Self::Set(e) => Json::Array(vec![Json::from("set"), e.to_json()]),
            Self::Map(e) => Json::Array(vec![Json::from("map"), e.to_json()]),
            Self::Object(attrs) => {
                let map = attrs
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.to_json()))
                    .collect::<serde_json::Map<_, _>>();
                Json::Array(vec![Json::from("object"), Json::Object(map)])
            }
            Self::Tuple(elems) => Json::Array(vec![
                Json::from("tuple"),
                Json::Array(elems.iter().map(Self::to_json).collect()),
            ]),
        }
    }

    /// [`to_json`](Self::to_json) as compact bytes, the form the wire uses.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Reads type JSON as Terraform writes it. Object types may carry a
    /// third element listing optional attributes (type constraints in
    /// Terraform 1.3+); it is checked and then ignored, since a value's
    /// type never has optional attributes.
    pub fn from_json(json: &Json) -> Result<Self, TypeJsonError> {
        parse(json, 0)
    }

    /// [`from_json`](Self::from_json) from bytes.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, TypeJsonError> {
        let json: Json =
            serde_json::from_slice(bytes).map_err(|e| TypeJsonError::Syntax(e.to_string()))?;
        Self::from_json(&json)
    }

    /// A short name for error messages about this kind of type.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Self::Bool => "a bool",
            Self::Number => "a number",
            Self::String => "a string",
            Self::Dynamic => "a [type, value] array",
            Self::List(_) => "a list",
            Self::Set(_) => "a set",
            Self::Map(_) => "a map",
            Self::Object(_) => "an object",
            Self::Tuple(_) => "a tuple",
        }
    }
}

fn parse(json: &Json, depth: usize) -> Result<CtyType, TypeJsonError> {
    if depth > MAX_DEPTH {
        return Err(TypeJsonError::TooDeep);
    }
    let items = match json {
        Json::String(name) => {
            return match name.as_str() {
                "bool" => Ok(CtyType::Bool),
                "number" => Ok(CtyType::Number),
                "string" => Ok(CtyType::String),
                "dynamic" => Ok(CtyType::Dynamic),
                other => Err(invalid(format!("unknown primitive type {}", clip(other)))),
            };
        }
        Json::Array(items) => items,
        _ => return Err(invalid("a type must be a string or an array")),
    };
    let Some(kind) = items.first().and_then(Json::as_str) else {
        return Err(invalid(
            "a compound type must be an array that starts with its kind",
        ));
    };
    let arity = |allowed: &[usize]| {
        if allowed.contains(&items.len()) {
            Ok(())
        } else {
            Err(invalid(format!(
                "{kind} type must have {} elements, found {}",
                allowed
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(" or "),
                items.len()
            )))
        }
    };
    match kind {
        "list" | "set" | "map" => {
            arity(&[2])?;
            let element = Box::new(parse(&items[1], depth + 1)?);
            Ok(match kind {
                "list" => CtyType::List(element),
                "set" => CtyType::Set(element),
                _ => CtyType::Map(element),
            })
        }
        "object" => {
            arity(&[2, 3])?;
            let Json::Object(attrs) = &items[1] else {
                return Err(invalid("object attributes must be a JSON object"));
            };
            let attrs = attrs
                .iter()
                .map(|(name, ty)| Ok((name.clone(), parse(ty, depth + 1)?)))
                .collect::<Result<BTreeMap<_, _>, TypeJsonError>>()?;
            if let Some(optional) = items.get(2) {
                check_optional(optional, &attrs)?;
            }
            Ok(CtyType::Object(attrs))
        }
        "tuple" => {
            arity(&[2])?;
            let Json::Array(elems) = &items[1] else {
                return Err(invalid("tuple elements must be a JSON array"));
            };
            elems
                .iter()
                .map(|ty| parse(ty, depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(CtyType::Tuple)
        }
        other => Err(invalid(format!("unknown type kind {}", clip(other)))),
    }
}

fn check_optional(optional: &Json, attrs: &BTreeMap<String, CtyType>) -> Result<(), TypeJsonError> {
    let Json::Array(names) = optional else {
        return Err(invalid("optional attributes must be a JSON array of names"));
    };
    for name in names {
        match name.as_str() {
            Some(name) if attrs.contains_key(name) => {}
            Some(name) => {
                return Err(invalid(format!(
                    "optional attribute {} is not an attribute of the object",
                    clip(name)
                )))
            }
            None => return Err(invalid("optional attribute names must be strings")),
        }
    }
    Ok(())
}

fn invalid(reason: impl Into<String>) -> TypeJsonError {
    TypeJsonError::Invalid(reason.into())
}

/// Terraform's own notation (`list(string)`, `object({a=number})`), used in
/// error messages.
impl fmt::Display for CtyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool => f.write_str("bool"),
            Self::Number => f.write_str("number"),
            Self::String => f.write_str("string"),
            Self::Dynamic => f.write_str("dynamic"),
            Self::List(e) => write!(f, "list({e})"),
            Self::Set(e) => write!(f, "set({e})"),
            Self::Map(e) => write!(f, "map({e})"),
            Self::Object(attrs) => {
                f.write_str("object({")?;
                for (i, (name, ty)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}={ty}")?;
                }
                f.write_str("})")
            }
            Self::Tuple(elems) => {
                f.write_str("tuple([")?;
                for (i, ty) in elems.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{ty}")?;
                }
                f.write_str("])")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested() -> CtyType {
        CtyType::object([
            ("id", CtyType::Number),
            (
                "tasks",
                CtyType::list(CtyType::object([
                    ("name", CtyType::String),
                    ("tags", CtyType::map(CtyType::String)),
                ])),
            ),
            ("pair", CtyType::tuple([CtyType::Bool, CtyType::Dynamic])),
            ("ids", CtyType::set(CtyType::Number)),
        ])
    }

    #[test]
    fn json_round_trip_table() {
        let cases = [
            (CtyType::String, r#""string""#),
            (CtyType::Number, r#""number""#),
            (CtyType::Bool, r#""bool""#),
            (CtyType::Dynamic, r#""dynamic""#),
            (CtyType::list(CtyType::String), r#"["list","string"]"#),
            (CtyType::set(CtyType::Number), r#"["set","number"]"#),
            (CtyType::map(CtyType::Bool), r#"["map","bool"]"#),
            (
                CtyType::object([("a", CtyType::String)]),
                r#"["object",{"a":"string"}]"#,
            ),
            (CtyType::object::<String>([]), r#"["object",{}]"#),
            (CtyType::tuple([]), r#"["tuple",[]]"#),
            (
                CtyType::tuple([CtyType::String, CtyType::list(CtyType::Dynamic)]),
                r#"["tuple",["string",["list","dynamic"]]]"#,
            ),
            (
                nested(),
                r#"["object",{"id":"number","ids":["set","number"],"pair":["tuple",["bool","dynamic"]],"tasks":["list",["object",{"name":"string","tags":["map","string"]}]]}]"#,
            ),
        ];
        for (ty, json) in cases {
            assert_eq!(String::from_utf8(ty.to_json_bytes()).unwrap(), json, "{ty}");
            assert_eq!(
                CtyType::from_json_bytes(json.as_bytes()).unwrap(),
                ty,
                "{json}"
            );
        }
    }

    #[test]
    fn object_keys_are_sorted_whatever_the_input_order() {
        let ty = CtyType::from_json_bytes(br#"["object",{"b":"string","a":"number"}]"#).unwrap();
        assert_eq!(
            ty.to_json().to_string(),
            r#"["object",{"a":"number","b":"string"}]"#
        );
    }

    #[test]
    fn optional_attribute_markers_are_accepted_and_dropped() {
        let ty =
            CtyType::from_json_bytes(br#"["object",{"a":"string","b":"number"},["b"]]"#).unwrap();
        assert_eq!(
            ty,
            CtyType::object([("a", CtyType::String), ("b", CtyType::Number)])
        );
    }

    #[test]
    fn invalid_type_json_table() {
        let cases: &[(&str, &str)] = &[
            ("", "type is not valid JSON"),
            ("[", "type is not valid JSON"),
            ("\"strin\"", "unknown primitive type \"strin\""),
            ("42", "a type must be a string or an array"),
            ("[]", "must be an array that starts with its kind"),
            ("[42]", "must be an array that starts with its kind"),
            ("[\"list\"]", "list type must have 2 elements, found 1"),
            (
                "[\"list\",\"string\",\"x\"]",
                "list type must have 2 elements, found 3",
            ),
            ("[\"object\",[]]", "object attributes must be a JSON object"),
            (
                "[\"object\",{},[\"a\"]]",
                "optional attribute \"a\" is not an attribute",
            ),
            (
                "[\"object\",{\"a\":\"string\"},[1]]",
                "names must be strings",
            ),
            (
                "[\"object\",{\"a\":\"string\"},\"a\"]",
                "must be a JSON array of names",
            ),
            ("[\"tuple\",{}]", "tuple elements must be a JSON array"),
            ("[\"capsule\",\"x\"]", "unknown type kind \"capsule\""),
            ("[\"list\",\"nope\"]", "unknown primitive type \"nope\""),
        ];
        for (json, want) in cases {
            let err = CtyType::from_json_bytes(json.as_bytes()).unwrap_err();
            assert!(err.to_string().contains(want), "{json}: got {err}");
        }
    }

    #[test]
    fn long_names_are_clipped_in_errors() {
        let json = format!("\"{}\"", "x".repeat(10_000));
        let err = CtyType::from_json_bytes(json.as_bytes()).unwrap_err();
        assert!(err.to_string().len() < 120, "{err}");
    }

    #[test]
    fn depth_is_bounded() {
        let mut json = String::from("\"string\"");
        for _ in 0..=MAX_DEPTH {
            json = format!("[\"list\",{json}]");
        }
        let mut value: Json = serde_json::from_str("\"string\"").unwrap();
        for _ in 0..=MAX_DEPTH {
            value = Json::Array(vec![Json::from("list"), value]);
        }
        assert_eq!(CtyType::from_json(&value), Err(TypeJsonError::TooDeep));
        // Through bytes, serde_json's own recursion limit may answer first.
        assert!(CtyType::from_json_bytes(json.as_bytes()).is_err());
    }

    #[test]
    fn display_and_helpers() {
        assert_eq!(
            nested().to_string(),
            "object({id=number, ids=set(number), pair=tuple([bool, dynamic]), \
             tasks=list(object({name=string, tags=map(string)}))})"
        );
        assert!(nested().contains_dynamic());
        assert!(!CtyType::list(CtyType::String).contains_dynamic());
        assert_eq!(
            CtyType::map(CtyType::Bool).element_type(),
            Some(&CtyType::Bool)
        );
        assert_eq!(CtyType::String.element_type(), None);
    }
}
