//! cty values as the provider sees them.
//!
//! Values are untyped trees: the schema's [`CtyType`](super::CtyType)
//! travels beside them and drives the codec. That keeps building a result
//! (10,000 objects per read) free of type bookkeeping, at the price that a
//! null or unknown does not remember its type; nothing a provider does
//! needs that.

use std::collections::BTreeMap;
use std::fmt;

use super::number::Number;
use super::types::CtyType;

/// A cty value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Absent: an unset optional attribute, or a deliberate null.
    #[default]
    Null,
    /// Not known until apply: in validate and configure calls, in plans,
    /// and in the planned values a resource's apply fills in.
    Unknown,
    /// A bool.
    Bool(bool),
    /// A number of any size or precision.
    Number(Number),
    /// A string.
    String(String),
    /// A list, in order.
    List(Vec<Value>),
    /// A set, in the order it was received or built (Terraform does not
    /// care about set order, and duplicates are the builder's business).
    Set(Vec<Value>),
    /// A map, sorted by key.
    Map(BTreeMap<String, Value>),
    /// An object; a missing attribute means null (the decoder fills every
    /// attribute of the type in; the encoder writes missing ones as null).
    Object(BTreeMap<String, Value>),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A value already encoded as msgpack for a known type, built with
    /// [`ListEncoder`](super::ListEncoder). Large results (10,000 jobs) are
    /// encoded element by element this way instead of being held as a tree,
    /// which cuts a read's peak memory by more than half. It can only be
    /// encoded again, into a slot of exactly its type.
    Encoded(Box<Encoded>),
}

/// Bytes that are the canonical msgpack encoding of a value of `ty`.
#[derive(Clone, PartialEq)]
pub struct Encoded {
    pub(super) ty: CtyType,
    pub(super) bytes: Vec<u8>,
    pub(super) wholly_known: bool,
}

impl Encoded {
    /// The type the bytes were encoded for.
    pub fn ty(&self) -> &CtyType {
        &self.ty
    }

    /// The msgpack bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Debug for Encoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Encoded({}, {} bytes)", self.ty, self.bytes.len())
    }
}

static NULL: Value = Value::Null;
static UNKNOWN: Value = Value::Unknown;

impl Value {
    /// An object from `(name, value)` pairs.
    pub fn object<K, V>(attributes: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<Value>,
    {
        Self::Object(
            attributes
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// A map from `(key, value)` pairs.
    pub fn map<K, V>(elements: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<Value>,
    {
        Self::Map(
            elements
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// A list.
    pub fn list<V: Into<Value>>(elements: impl IntoIterator<Item = V>) -> Self {
        Self::List(elements.into_iter().map(Into::into).collect())
    }

    /// A set.
    pub fn set<V: Into<Value>>(elements: impl IntoIterator<Item = V>) -> Self {
        Self::Set(elements.into_iter().map(Into::into).collect())
    }

    /// A tuple.
    pub fn tuple<V: Into<Value>>(elements: impl IntoIterator<Item = V>) -> Self {
        Self::Tuple(elements.into_iter().map(Into::into).collect())
    }

    /// An object's attribute. Null when the attribute is absent or this is
    /// not an object (including null); unknown when the whole object is
    /// unknown, so an unknown block is never mistaken for an unset one.
    pub fn attr(&self, name: &str) -> &Value {
        match self {
            Self::Object(attrs) => attrs.get(name).unwrap_or(&NULL),
            Self::Unknown => &UNKNOWN,
            _ => &NULL,
        }
    }

    /// Sets an object's attribute; a null becomes an object first, so a
    /// state can be built up from nothing. Other values are left alone: a
    /// state is always an object, and anything else is a caller's bug that
    /// the encoder reports against the schema.
    pub fn set_attr(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        if self.is_null() {
            *self = Self::Object(BTreeMap::new());
        }
        if let Self::Object(attrs) = self {
            attrs.insert(name.into(), value.into());
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// Whether this value itself is unknown (its parts may be known).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown)
    }

    /// Whether nothing anywhere inside is unknown. ReadDataSource configs
    /// always are; validate and configure configs may not be.
    pub fn is_wholly_known(&self) -> bool {
        // An explicit stack: values may be as deep as a hostile config.
        let mut stack = vec![self];
        while let Some(v) = stack.pop() {
            match v {
                Self::Unknown => return false,
                Self::Encoded(e) if !e.wholly_known => return false,
                Self::Encoded(_) => {}
                Self::List(es) | Self::Set(es) | Self::Tuple(es) => stack.extend(es),
                Self::Map(m) | Self::Object(m) => stack.extend(m.values()),
                Self::Null | Self::Bool(_) | Self::Number(_) | Self::String(_) => {}
            }
        }
        true
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Self::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an i64, if it is a known integer in i64 range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// The elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Self::List(es) | Self::Set(es) | Self::Tuple(es) => Some(es),
            _ => None,
        }
    }

    /// The entries of a map or the attributes of an object (both are
    /// string-keyed; a decoded object holds every attribute of its type).
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Self::Map(m) | Self::Object(m) => Some(m),
            _ => None,
        }
    }

    /// What kind of value this is, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Unknown => "unknown",
            Self::Bool(_) => "bool",
            Self::Number(_) => "number",
            Self::String(_) => "string",
            Self::List(_) => "list",
            Self::Set(_) => "set",
            Self::Map(_) => "map",
            Self::Object(_) => "object",
            Self::Tuple(_) => "tuple",
            Self::Encoded(_) => "encoded value",
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Self::Number(n)
    }
}

/// The integer and float types providers hold become cty numbers.
macro_rules! numbers_are_values {
    ($($t:ty),*) => {
        $(
            impl From<$t> for Value {
                fn from(n: $t) -> Self {
                    Self::Number(n.into())
                }
            }
        )*
    };
}

numbers_are_values!(i64, i32, u32, u64, f64);

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    /// `None` is null, which is how optional API fields become attributes.
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// A compact, unambiguous rendering for logs and test fixtures:
/// `object{"a": list[1, "x"], "b": null}`, `map{...}`, `set[...]`,
/// `tuple[...]`, strings quoted as Rust does.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn seq(f: &mut fmt::Formatter<'_>, name: &str, es: &[Value]) -> fmt::Result {
            write!(f, "{name}[")?;
            for (i, e) in es.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{e}")?;
            }
            f.write_str("]")
        }
        fn entries(
            f: &mut fmt::Formatter<'_>,
            name: &str,
            m: &BTreeMap<String, Value>,
        ) -> fmt::Result {
            write!(f, "{name}{{")?;
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{k:?}: {v}")?;
            }
            f.write_str("}")
        }
        match self {
            Self::Null => f.write_str("null"),
            Self::Unknown => f.write_str("unknown"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write!(f, "{s:?}"),
            Self::List(es) => seq(f, "list", es),
            Self::Set(es) => seq(f, "set", es),
            Self::Tuple(es) => seq(f, "tuple", es),
            Self::Map(m) => entries(f, "map", m),
            Self::Object(m) => entries(f, "object", m),
            Self::Encoded(e) => write!(f, "encoded {} ({} bytes)", e.ty, e.bytes.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_small() {
        // A 10,000-job state holds ~280,000 values; every byte here counts
        // ~0.3 MB of peak memory per read.
        assert!(
            std::mem::size_of::<Value>() <= 32,
            "{}",
            std::mem::size_of::<Value>()
        );
    }

    fn sample() -> Value {
        Value::object([
            ("name", Value::from("job-1")),
            ("size", Value::from(42i64)),
            ("ok", Value::from(true)),
            ("missing", Value::from(None::<i64>)),
            ("tags", Value::map([("env", "prod")])),
            ("ids", Value::list([1i64, 2])),
            ("pair", Value::tuple([Value::from("a"), Value::from(1.5)])),
            ("uniq", Value::set(["x"])),
        ])
    }

    #[test]
    fn accessors() {
        let v = sample();
        assert_eq!(v.attr("name").as_str(), Some("job-1"));
        assert_eq!(v.attr("size").as_i64(), Some(42));
        assert_eq!(v.attr("size").as_number(), Some(&Number::from(42i64)));
        assert_eq!(v.attr("ok").as_bool(), Some(true));
        assert!(v.attr("missing").is_null());
        assert!(v.attr("no_such").is_null());
        assert!(v.attr("name").attr("x").is_null());
        assert!(Value::Null.attr("x").is_null());
        assert!(Value::Unknown.attr("x").is_unknown());
        assert_eq!(v.attr("ids").as_elements().map(<[Value]>::len), Some(2));
        assert_eq!(v.attr("pair").as_elements().map(<[Value]>::len), Some(2));
        assert_eq!(v.attr("uniq").as_elements().map(<[Value]>::len), Some(1));
        assert_eq!(v.attr("tags").as_map().map(BTreeMap::len), Some(1));
        assert_eq!(v.as_map().map(BTreeMap::len), Some(8));
        assert_eq!(v.attr("name").as_i64(), None);
        assert_eq!(v.attr("name").as_bool(), None);
        assert_eq!(v.attr("size").as_str(), None);
        assert_eq!(v.attr("size").as_elements(), None);
        assert_eq!(v.attr("size").as_map(), None);
        assert_eq!(Value::default(), Value::Null);
    }

    #[test]
    fn wholly_known() {
        assert!(sample().is_wholly_known());
        assert!(Value::Null.is_wholly_known());
        assert!(!Value::Unknown.is_wholly_known());
        let deep = Value::object([(
            "a",
            Value::list([Value::map([("k", Value::tuple([Value::Unknown]))])]),
        )]);
        assert!(!deep.is_wholly_known());
        assert!(!deep.is_unknown());
    }

    #[test]
    fn display() {
        assert_eq!(
            sample().to_string(),
            r#"object{"ids": list[1, 2], "missing": null, "name": "job-1", "ok": true, "pair": tuple["a", 1.5], "size": 42, "tags": map{"env": "prod"}, "uniq": set["x"]}"#
        );
        assert_eq!(Value::Unknown.to_string(), "unknown");
        assert_eq!(Value::from("a\"\n").to_string(), r#""a\"\n""#);
    }

    #[test]
    fn kind_names() {
        let cases = [
            (Value::Null, "null"),
            (Value::Unknown, "unknown"),
            (Value::from(true), "bool"),
            (Value::from(1i64), "number"),
            (Value::from("s"), "string"),
            (Value::list([1i64]), "list"),
            (Value::set([1i64]), "set"),
            (Value::map([("k", 1i64)]), "map"),
            (Value::object([("k", 1i64)]), "object"),
            (Value::tuple([1i64]), "tuple"),
        ];
        for (v, want) in cases {
            assert_eq!(v.kind_name(), want);
        }
    }
}
