//! msgpack bytes to a [`Value`], directed by the expected [`CtyType`].
//!
//! Lenient where Terraform versions differ (any integer or float width,
//! numbers as decimal strings, str or bin for strings, any extension as
//! unknown) and strict where leniency would hide a bug (trailing bytes,
//! unknown attributes, duplicate keys, wrong shapes). Because decoding
//! follows the type, nesting is bounded by the type, except for dynamic
//! values, which carry their own type; [`MAX_DEPTH`] bounds those.

use std::collections::BTreeMap;

use rmp::decode::ValueReadError;
use rmp::Marker;

use super::number::{Number, NumberError};
use super::path::{index_step, PathError, PathStep};
use super::types::{CtyType, TypeJsonError};
use super::value::Value;
use super::{clip, MAX_DEPTH};

/// Why some bytes are not a value of the expected type, and where.
pub type DecodeError = PathError<DecodeErrorKind>;

/// What went wrong while decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ends inside a value.
    #[error("the input ends in the middle of a value")]
    Truncated,
    /// Bytes follow the complete value.
    #[error("{0} unexpected byte(s) after the value")]
    TrailingBytes(usize),
    /// The msgpack format does not fit the type.
    #[error("expected {expected}, found msgpack {found}")]
    WrongType {
        /// What the type asked for, e.g. "a string".
        expected: &'static str,
        /// The msgpack format found, e.g. "uint8".
        found: &'static str,
    },
    /// A string (or string key) is not UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// A number sent as a string does not parse.
    #[error("invalid number: {0}")]
    InvalidNumber(NumberError),
    /// A float is NaN, which cty numbers cannot be.
    #[error("NaN is not a valid number")]
    NotANumber,
    /// A map or object key is not a string.
    #[error("keys must be strings, found msgpack {0}")]
    NonStringKey(&'static str),
    /// An object has an attribute its type does not.
    #[error("unsupported attribute {}", clip(.0))]
    UnsupportedAttribute(String),
    /// A map or object has the same key twice.
    #[error("duplicate key {}", clip(.0))]
    DuplicateKey(String),
    /// A tuple has the wrong number of elements.
    #[error("expected a tuple of {expected} elements, found {found}")]
    TupleLength {
        /// Elements in the type.
        expected: usize,
        /// Elements in the input.
        found: usize,
    },
    /// A dynamic value is not a `[type, value]` pair.
    #[error("a dynamic value must be a [type, value] array, found {0} elements")]
    DynamicLength(usize),
    /// A dynamic value's type JSON is invalid.
    #[error("invalid type in dynamic value: {0}")]
    InvalidType(TypeJsonError),
    /// Containers nest deeper than [`MAX_DEPTH`].
    #[error("value is nested more than {MAX_DEPTH} levels deep")]
    TooDeep,
}

/// Decodes one msgpack value of type `ty`, which must fill `bytes` exactly.
///
/// nil is null and any msgpack extension is unknown (ext 0 from older
/// Terraform, ext 12 with refinements from 1.6+); refinements are dropped.
/// Objects come back with every attribute of their type, absent ones null.
/// Dynamic values (`[type JSON, value]`) come back as the inner value.
///
/// # Errors
///
/// When the bytes are not exactly one value of type `ty`; the error says
/// what was wrong and at which attribute path.
pub fn decode(bytes: &[u8], ty: &CtyType) -> std::result::Result<Value, DecodeError> {
    let mut decoder = Decoder {
        input: bytes,
        pos: 0,
    };
    let result = decoder.value(ty, 0).and_then(|value| {
        let rest = bytes.len() - decoder.pos;
        if rest == 0 {
            Ok(value)
        } else {
            Err(DecodeErrorKind::TrailingBytes(rest).into())
        }
    });
    result.map_err(DecodeError::finished)
}

type Result<T> = std::result::Result<T, DecodeError>;

struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    /// The recursive core. Kept lean, with leaf work in helpers, because
    /// its frame is paid once per nesting level (see [`MAX_DEPTH`]).
    fn value(&mut self, ty: &CtyType, depth: usize) -> Result<Value> {
        if let Some(value) = self.null_or_unknown()? {
            return Ok(value);
        }
        match ty {
            CtyType::Bool | CtyType::Number | CtyType::String => self.primitive(ty),
            CtyType::Dynamic => {
                let len = self.array_len(ty)?;
                enter(depth)?;
                let inner = self.dynamic_type(len)?;
                self.value(&inner, depth + 1)
            }
            CtyType::List(et) => self.elements(ty, et, depth).map(Value::List),
            CtyType::Set(et) => self.elements(ty, et, depth).map(Value::Set),
            CtyType::Tuple(ets) => self.tuple(ty, ets, depth).map(Value::Tuple),
            CtyType::Map(et) => self.map(ty, et, depth).map(Value::Map),
            CtyType::Object(attrs) => self.object(ty, attrs, depth).map(Value::Object),
        }
    }

    /// nil is null and every extension is unknown, whatever the type.
    fn null_or_unknown(&mut self) -> Result<Option<Value>> {
        match Marker::from_u8(self.peek()?) {
            marker if is_ext(marker) => {
                self.skip_ext()?;
                Ok(Some(Value::Unknown))
            }
            Marker::Null => {
                self.pos += 1;
                Ok(Some(Value::Null))
            }
            _ => Ok(None),
        }
    }

    fn primitive(&mut self, ty: &CtyType) -> Result<Value> {
        match ty {
            CtyType::Number => self.number().map(Value::Number),
            CtyType::String => {
                let m = self.marker()?;
                let bytes = self.str_body(m).ok_or_else(|| wrong(ty, m))??;
                utf8(bytes).map(|s| Value::String(s.to_owned()))
            }
            _ => match self.marker()? {
                Marker::True => Ok(Value::Bool(true)),
                Marker::False => Ok(Value::Bool(false)),
                m => Err(wrong(ty, m)),
            },
        }
    }

    fn number(&mut self) -> Result<Number> {
        let m = self.marker()?;
        Ok(match m {
            Marker::FixPos(n) => Number::from(i64::from(n)),
            Marker::FixNeg(n) => Number::from(i64::from(n)),
            Marker::U8 => Number::from(u32::from(self.array::<1>()?[0])),
            Marker::U16 => Number::from(u32::from(u16::from_be_bytes(self.array()?))),
            Marker::U32 => Number::from(u32::from_be_bytes(self.array()?)),
            Marker::U64 => Number::from(u64::from_be_bytes(self.array()?)),
            Marker::I8 => Number::from(i64::from(i8::from_be_bytes(self.array()?))),
            Marker::I16 => Number::from(i64::from(i16::from_be_bytes(self.array()?))),
            Marker::I32 => Number::from(i64::from(i32::from_be_bytes(self.array()?))),
            Marker::I64 => Number::from(i64::from_be_bytes(self.array()?)),
            Marker::F32 => float(f64::from(f32::from_be_bytes(self.array()?)))?,
            Marker::F64 => float(f64::from_be_bytes(self.array()?))?,
            m => {
                let bytes = self
                    .str_body(m)
                    .ok_or_else(|| wrong(&CtyType::Number, m))??;
                utf8(bytes)?
                    .parse()
                    .map_err(DecodeErrorKind::InvalidNumber)?
            }
        })
    }

    /// The type half of a dynamic value's `[type, value]` array.
    fn dynamic_type(&mut self, len: usize) -> Result<CtyType> {
        if len != 2 {
            return Err(DecodeErrorKind::DynamicLength(len).into());
        }
        let m = self.marker()?;
        let type_json = self.str_body(m).ok_or(DecodeErrorKind::WrongType {
            expected: "type JSON bytes",
            found: marker_name(m),
        })??;
        CtyType::from_json_bytes(type_json).map_err(|e| DecodeErrorKind::InvalidType(e).into())
    }

    fn elements(&mut self, ty: &CtyType, et: &CtyType, depth: usize) -> Result<Vec<Value>> {
        let len = self.array_len(ty)?;
        enter(depth)?;
        // Every element takes at least one byte: never trust a length for
        // more than the input could hold.
        let mut out = Vec::with_capacity(len.min(self.remaining()));
        for i in 0..len {
            out.push(
                self.value(et, depth + 1)
                    .map_err(|e| e.within(index_step(i)))?,
            );
        }
        Ok(out)
    }

    fn tuple(&mut self, ty: &CtyType, ets: &[CtyType], depth: usize) -> Result<Vec<Value>> {
        let len = self.array_len(ty)?;
        enter(depth)?;
        if len != ets.len() {
            return Err(DecodeErrorKind::TupleLength {
                expected: ets.len(),
                found: len,
            }
            .into());
        }
        let mut out = Vec::with_capacity(len);
        for (i, et) in ets.iter().enumerate() {
            out.push(
                self.value(et, depth + 1)
                    .map_err(|e| e.within(index_step(i)))?,
            );
        }
        Ok(out)
    }

    fn map(&mut self, ty: &CtyType, et: &CtyType, depth: usize) -> Result<BTreeMap<String, Value>> {
        self.entries(ty, depth, |key| Ok((et, PathStep::Key(key.to_owned()))))
    }

    fn object(
        &mut self,
        ty: &CtyType,
        attrs: &BTreeMap<String, CtyType>,
        depth: usize,
    ) -> Result<BTreeMap<String, Value>> {
        let mut out = self.entries(ty, depth, |key| match attrs.get(key) {
            Some(aty) => Ok((aty, PathStep::Attribute(key.to_owned()))),
            None => Err(DecodeErrorKind::UnsupportedAttribute(key.to_owned()).into()),
        })?;
        if out.len() < attrs.len() {
            for name in attrs.keys() {
                out.entry(name.clone()).or_insert(Value::Null);
            }
        }
        Ok(out)
    }

    /// A msgpack map with string keys, maps and objects alike: `value_type`
    /// gives each key's value type and the path step errors below it name
    /// (or refuses the key). Duplicate keys are an error either way.
    fn entries<'t>(
        &mut self,
        ty: &CtyType,
        depth: usize,
        value_type: impl Fn(&str) -> Result<(&'t CtyType, PathStep)>,
    ) -> Result<BTreeMap<String, Value>> {
        let len = self.map_len(ty)?;
        enter(depth)?;
        let mut out = BTreeMap::new();
        for _ in 0..len {
            let key = self.key()?;
            let (vty, step) = value_type(&key)?;
            if out.contains_key(&key) {
                return Err(DecodeError::from(DecodeErrorKind::DuplicateKey(key)).within(step));
            }
            let value = self.value(vty, depth + 1).map_err(|e| e.within(step))?;
            out.insert(key, value);
        }
        Ok(out)
    }

    fn key(&mut self) -> Result<String> {
        let m = self.marker()?;
        let bytes = self
            .str_body(m)
            .ok_or(DecodeErrorKind::NonStringKey(marker_name(m)))??;
        utf8(bytes).map(str::to_owned)
    }

    fn array_len(&mut self, ty: &CtyType) -> Result<usize> {
        self.length(ty, rmp::decode::read_array_len)
    }

    fn map_len(&mut self, ty: &CtyType) -> Result<usize> {
        self.length(ty, rmp::decode::read_map_len)
    }

    /// An array's or a map's length (a marker, then none, two or four bytes), read by `read`.
    fn length(
        &mut self,
        ty: &CtyType,
        read: impl FnOnce(&mut &'a [u8]) -> std::result::Result<u32, ValueReadError>,
    ) -> Result<usize> {
        let mut rest: &'a [u8] = &self.input[self.pos..];
        let before = rest.len();
        match read(&mut rest) {
            Ok(n) => {
                self.pos += before - rest.len();
                len32(n)
            }
            Err(ValueReadError::TypeMismatch(m)) => Err(wrong(ty, m)),
            Err(_) => Err(DecodeErrorKind::Truncated.into()),
        }
    }

    /// The payload of a str or bin value whose marker was just read, or
    /// `None` when the marker is neither (so callers name their own error).
    fn str_body(&mut self, m: Marker) -> Option<Result<&'a [u8]>> {
        let len = match m {
            Marker::FixStr(n) => Ok(usize::from(n)),
            Marker::Str8 | Marker::Bin8 => self.array::<1>().map(|[n]| usize::from(n)),
            Marker::Str16 | Marker::Bin16 => {
                self.array().map(|b| usize::from(u16::from_be_bytes(b)))
            }
            Marker::Str32 | Marker::Bin32 => {
                self.array().and_then(|b| len32(u32::from_be_bytes(b)))
            }
            _ => return None,
        };
        Some(len.and_then(|len| self.take(len)))
    }

    fn skip_ext(&mut self) -> Result<()> {
        let data_len = match self.marker()? {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => usize::from(self.array::<1>()?[0]),
            Marker::Ext16 => usize::from(u16::from_be_bytes(self.array()?)),
            Marker::Ext32 => len32(u32::from_be_bytes(self.array()?))?,
            m => return Err(wrong(&CtyType::Dynamic, m)),
        };
        // The type byte, then the payload.
        let total = data_len.checked_add(1).ok_or(DecodeErrorKind::Truncated)?;
        self.take(total).map(|_| ())
    }

    fn peek(&self) -> Result<u8> {
        self.input
            .get(self.pos)
            .copied()
            .ok_or_else(|| DecodeErrorKind::Truncated.into())
    }

    fn marker(&mut self) -> Result<Marker> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(Marker::from_u8(b))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.remaining() < n {
            return Err(DecodeErrorKind::Truncated.into());
        }
        let bytes = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }
}

fn enter(depth: usize) -> Result<()> {
    if depth >= MAX_DEPTH {
        Err(DecodeErrorKind::TooDeep.into())
    } else {
        Ok(())
    }
}

fn len32(n: u32) -> Result<usize> {
    // Lengths beyond the address space are beyond the input, too.
    usize::try_from(n).map_err(|_| DecodeErrorKind::Truncated.into())
}

fn float(f: f64) -> Result<Number> {
    if f.is_nan() {
        Err(DecodeErrorKind::NotANumber.into())
    } else {
        Ok(Number::from(f))
    }
}

fn utf8(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|_| DecodeErrorKind::InvalidUtf8.into())
}

fn wrong(ty: &CtyType, m: Marker) -> DecodeError {
    DecodeErrorKind::WrongType {
        expected: ty.kind_name(),
        found: marker_name(m),
    }
    .into()
}

/// The msgpack format's name, as the specification spells it.
fn marker_name(m: Marker) -> &'static str {
    match m {
        Marker::FixPos(_) => "positive fixint",
        Marker::FixNeg(_) => "negative fixint",
        Marker::Null => "nil",
        Marker::True | Marker::False => "bool",
        Marker::U8 => "uint8",
        Marker::U16 => "uint16",
        Marker::U32 => "uint32",
        Marker::U64 => "uint64",
        Marker::I8 => "int8",
        Marker::I16 => "int16",
        Marker::I32 => "int32",
        Marker::I64 => "int64",
        Marker::F32 => "float32",
        Marker::F64 => "float64",
        Marker::FixStr(_) => "fixstr",
        Marker::Str8 => "str8",
        Marker::Str16 => "str16",
        Marker::Str32 => "str32",
        Marker::Bin8 => "bin8",
        Marker::Bin16 => "bin16",
        Marker::Bin32 => "bin32",
        Marker::FixArray(_) => "fixarray",
        Marker::Array16 => "array16",
        Marker::Array32 => "array32",
        Marker::FixMap(_) => "fixmap",
        Marker::Map16 => "map16",
        Marker::Map32 => "map32",
        Marker::Reserved => "reserved byte 0xc1",
        marker => {
            debug_assert!(is_ext(marker));
            "ext"
        }
    }
}

/// Extensions: what Terraform sends for unknown values, whatever the type.
fn is_ext(marker: Marker) -> bool {
    matches!(
        marker,
        Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested_lists(levels: usize) -> CtyType {
        (0..levels).fold(CtyType::Number, |ty, _| CtyType::list(ty))
    }

    /// `levels` nested one-element lists around an empty list.
    fn nested_list_bytes(levels: usize) -> Vec<u8> {
        let mut bytes = vec![0x91; levels - 1];
        bytes.push(0x90);
        bytes
    }

    /// `levels` nested `["dynamic", ...]` wrappers around nil.
    fn nested_dynamic_bytes(levels: usize) -> Vec<u8> {
        let mut wrapper = vec![0x92, 0xc4, 0x09];
        wrapper.extend_from_slice(b"\"dynamic\"");
        let mut bytes = wrapper.repeat(levels);
        bytes.push(0xc0);
        bytes
    }

    /// Runs `f` on a thread with a deliberately small stack (a quarter of
    /// tokio's default worker stack), so unbounded recursion would crash.
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn nesting_up_to_the_limit_decodes() {
        on_small_stack(|| {
            let ty = nested_lists(MAX_DEPTH);
            assert!(decode(&nested_list_bytes(MAX_DEPTH), &ty).is_ok());
            let value = decode(&nested_dynamic_bytes(MAX_DEPTH), &CtyType::Dynamic).unwrap();
            assert_eq!(value, Value::Null);
        });
    }

    #[test]
    fn nesting_beyond_the_limit_is_an_error() {
        let ty = nested_lists(MAX_DEPTH + 1);
        let err = decode(&nested_list_bytes(MAX_DEPTH + 1), &ty).unwrap_err();
        assert_eq!(err.kind(), &DecodeErrorKind::TooDeep);
        assert_eq!(err.path().steps().len(), MAX_DEPTH);
        assert!(err.path().steps().iter().all(|s| *s == PathStep::Index(0)));

        let err = decode(&nested_dynamic_bytes(MAX_DEPTH + 1), &CtyType::Dynamic).unwrap_err();
        assert_eq!(err.kind(), &DecodeErrorKind::TooDeep);
    }

    #[test]
    fn dynamic_bombs_stop_at_the_limit_without_exhausting_the_stack() {
        let err = on_small_stack(|| {
            decode(&nested_dynamic_bytes(100_000), &CtyType::Dynamic).unwrap_err()
        });
        assert_eq!(err.kind(), &DecodeErrorKind::TooDeep);

        // Lists of dynamic values nest two containers per level.
        let mut level = vec![0x92, 0xc4, 0x12];
        level.extend_from_slice(br#"["list","dynamic"]"#);
        level.push(0x91);
        let mut bytes = level.repeat(100_000);
        bytes.push(0xc0);
        let err = on_small_stack(move || decode(&bytes, &CtyType::Dynamic).unwrap_err());
        assert_eq!(err.kind(), &DecodeErrorKind::TooDeep);
        assert!(err.path().steps().len() < MAX_DEPTH);
    }

    #[test]
    fn errors_expose_path_and_kind() {
        let ty = CtyType::object([("tags", CtyType::map(CtyType::Bool))]);
        // {"tags": {"k": 1}}
        let bytes = [0x81, 0xa4, b't', b'a', b'g', b's', 0x81, 0xa1, b'k', 0x01];
        let err = decode(&bytes, &ty).unwrap_err();
        assert_eq!(
            err.path().steps(),
            &[
                PathStep::Attribute("tags".into()),
                PathStep::Key("k".into())
            ]
        );
        assert_eq!(
            err.kind(),
            &DecodeErrorKind::WrongType {
                expected: "a bool",
                found: "positive fixint"
            }
        );
        assert_eq!(
            err.to_string(),
            "tags[\"k\"]: expected a bool, found msgpack positive fixint"
        );
        let boxed: Box<dyn std::error::Error> = Box::new(err);
        assert!(boxed.to_string().starts_with("tags"));
    }

    #[test]
    fn hostile_keys_are_clipped_in_messages() {
        let ty = CtyType::object([("a", CtyType::String)]);
        let key = "k".repeat(1000);
        let mut bytes = vec![0x81, 0xda, 0x03, 0xe8];
        bytes.extend_from_slice(key.as_bytes());
        bytes.push(0xc0);
        let err = decode(&bytes, &ty).unwrap_err();
        assert_eq!(err.kind(), &DecodeErrorKind::UnsupportedAttribute(key));
        assert!(err.to_string().len() < 80, "{err}");
    }
}
