//! A [`Value`] to canonical msgpack, directed by its [`CtyType`].
//!
//! Canonical means byte for byte what cty's own encoder writes for the
//! same value, so Terraform sees exactly what a Go provider would send:
//!
//! - integers in i64 range in the smallest int format (uint formats for
//!   non-negative values, int formats for negative ones);
//! - other values that are exactly a float64 as float64;
//! - every other number as a decimal string (see [`Number`]);
//! - strings in the smallest str format, object attributes and map keys in
//!   sorted order, every attribute of an object type present (an attribute
//!   missing from the value is written as nil);
//! - null as nil, unknown as `d4 00 00` (fixext1, type 0);
//! - dynamic values as `[type JSON as bin, value]` with the type inferred
//!   from the value as `infer.rs` describes; an untyped null or unknown in
//!   a dynamic slot is written bare, as cty does for `DynamicVal`.
//!
//! Set elements keep the order they have in the value.

use std::collections::BTreeMap;
use std::fmt;

use rmp::Marker;

use super::infer::{infer, unify_elements};
use super::number::{Number, WireNumber};
use super::path::{index_step, Path, PathStep};
use super::types::CtyType;
use super::value::Value;
use super::{clip, MAX_DEPTH};

/// Why a value could not be encoded as its type, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    path: Path,
    kind: EncodeErrorKind,
}

/// What went wrong while encoding. All of these are provider bugs: the
/// value does not match the provider's own schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeErrorKind {
    /// The value's kind does not fit the type.
    #[error("expected {expected}, found a {found} value")]
    WrongType {
        /// What the type asks for, e.g. "a string".
        expected: &'static str,
        /// The value's kind, e.g. "number".
        found: &'static str,
    },
    /// An object value has an attribute its type does not.
    #[error("attribute {} is not part of the object type", clip(.0))]
    UnsupportedAttribute(String),
    /// A tuple value has the wrong number of elements.
    #[error("expected a tuple of {expected} elements, found {found}")]
    TupleLength {
        /// Elements in the type.
        expected: usize,
        /// Elements in the value.
        found: usize,
    },
    /// A number is NaN.
    #[error("NaN cannot be sent as a number")]
    NotANumber,
    /// Elements of a collection in a dynamic position differ in type.
    #[error("elements of a collection must all have one type, found {first} and {other}")]
    InconsistentTypes {
        /// The type of the elements before.
        first: String,
        /// The type of this element.
        other: String,
    },
    /// Containers nest deeper than [`MAX_DEPTH`].
    #[error("value is nested more than {MAX_DEPTH} levels deep")]
    TooDeep,
    /// A string or collection is longer than msgpack can say (2³²-1).
    #[error("length {0} exceeds msgpack's 32-bit limit")]
    TooLong(usize),
}

impl EncodeError {
    /// Where in the value it happened.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What happened.
    pub fn kind(&self) -> &EncodeErrorKind {
        &self.kind
    }

    pub(super) fn within(mut self, step: PathStep) -> Self {
        self.path.push_outer(step);
        self
    }

    /// Paths are built innermost first while unwinding; this puts them in order.
    pub(super) fn finished(mut self) -> Self {
        self.path.finish_reversed();
        self
    }
}

impl From<EncodeErrorKind> for EncodeError {
    fn from(kind: EncodeErrorKind) -> Self {
        Self {
            path: Path::root(),
            kind,
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_root() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.path, self.kind)
        }
    }
}

impl std::error::Error for EncodeError {}

/// Encodes `value` as type `ty` (see the module documentation for the rules).
pub fn encode(value: &Value, ty: &CtyType) -> std::result::Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_into(value, ty, &mut out)?;
    Ok(out)
}

/// [`encode`], appending to `out` so a caller can reuse one buffer. On
/// error `out` is restored to its previous length: never a partial value.
pub fn encode_into(value: &Value, ty: &CtyType, out: &mut Vec<u8>) -> std::result::Result<(), EncodeError> {
    let start = out.len();
    let result = Encoder { out: &mut *out }.value(value, ty, ty, 0);
    result.map_err(|e| {
        out.truncate(start);
        e.finished()
    })
}

type Result<T> = std::result::Result<T, EncodeError>;

struct Encoder<'o> {
    out: &'o mut Vec<u8>,
}

const UNKNOWN: [u8; 3] = [0xd4, 0, 0];

impl Encoder<'_> {
    /// `conc` is `ty` with its `dynamic` parts possibly already decided
    /// (for elements of a collection that must share one type); where `ty`
    /// has no `dynamic`, `conc` is `ty` itself.
    fn value(&mut self, value: &Value, ty: &CtyType, conc: &CtyType, depth: usize) -> Result<()> {
        if let CtyType::Dynamic = ty {
            return self.dynamic(value, conc, depth);
        }
        match (ty, value) {
            (_, Value::Null) => self.marker(Marker::Null),
            (_, Value::Unknown) => self.out.extend_from_slice(&UNKNOWN),
            (CtyType::Bool, Value::Bool(true)) => self.marker(Marker::True),
            (CtyType::Bool, Value::Bool(false)) => self.marker(Marker::False),
            (CtyType::Number, Value::Number(n)) => self.number(n)?,
            (CtyType::String, Value::String(s)) => self.str(s)?,
            (CtyType::List(et), Value::List(es)) | (CtyType::Set(et), Value::Set(es)) => {
                self.sequence(es, et, conc.element_type().unwrap_or(et), depth)?
            }
            (CtyType::Map(et), Value::Map(m)) => {
                self.map(m, et, conc.element_type().unwrap_or(et), depth)?
            }
            (CtyType::Object(attrs), Value::Object(m)) => self.object(m, attrs, conc, depth)?,
            (CtyType::Tuple(ets), Value::Tuple(es)) => self.tuple(es, ets, conc, depth)?,
            _ => {
                return Err(EncodeErrorKind::WrongType {
                    expected: ty.kind_name(),
                    found: value.kind_name(),
                }
                .into())
            }
        }
        Ok(())
    }

    fn dynamic(&mut self, value: &Value, conc: &CtyType, depth: usize) -> Result<()> {
        let inferred;
        let ty = match (conc, value) {
            (CtyType::Dynamic, Value::Null) => {
                self.marker(Marker::Null);
                return Ok(());
            }
            (CtyType::Dynamic, Value::Unknown) => {
                self.out.extend_from_slice(&UNKNOWN);
                return Ok(());
            }
            (CtyType::Dynamic, _) => {
                inferred = infer(value, depth)?;
                &inferred
            }
            (decided, _) => decided,
        };
        enter(depth)?;
        self.marker(Marker::FixArray(2));
        let json = ty.to_json_bytes();
        self.len(json.len(), Marker::Bin8, Marker::Bin16, Marker::Bin32)?;
        self.out.extend_from_slice(&json);
        self.value(value, ty, ty, depth + 1)
    }

    fn sequence(&mut self, es: &[Value], et: &CtyType, cet: &CtyType, depth: usize) -> Result<()> {
        enter(depth)?;
        self.array_len(es.len())?;
        if et.contains_dynamic() {
            let indexed = es.iter().enumerate().map(|(i, e)| (index_step(i), e));
            let shared = unify_elements(et, cet, indexed, depth + 1)?;
            for (i, e) in es.iter().enumerate() {
                self.value(e, et, &shared, depth + 1)
                    .map_err(|err| err.within(index_step(i)))?;
            }
        } else {
            for (i, e) in es.iter().enumerate() {
                self.value(e, et, et, depth + 1)
                    .map_err(|err| err.within(index_step(i)))?;
            }
        }
        Ok(())
    }

    fn map(
        &mut self,
        m: &BTreeMap<String, Value>,
        et: &CtyType,
        cet: &CtyType,
        depth: usize,
    ) -> Result<()> {
        enter(depth)?;
        self.map_len(m.len())?;
        let shared;
        let cet = if et.contains_dynamic() {
            let keyed = m.iter().map(|(k, v)| (PathStep::Key(k.clone()), v));
            shared = unify_elements(et, cet, keyed, depth + 1)?;
            &shared
        } else {
            et
        };
        for (k, v) in m {
            self.str(k)
                .and_then(|()| self.value(v, et, cet, depth + 1))
                .map_err(|err| err.within(PathStep::Key(k.clone())))?;
        }
        Ok(())
    }

    fn object(
        &mut self,
        m: &BTreeMap<String, Value>,
        attrs: &BTreeMap<String, CtyType>,
        conc: &CtyType,
        depth: usize,
    ) -> Result<()> {
        enter(depth)?;
        self.map_len(attrs.len())?;
        let mut present = 0;
        for (name, aty) in attrs {
            let value = match m.get(name) {
                Some(v) => {
                    present += 1;
                    v
                }
                None => &Value::Null,
            };
            let cty = match conc {
                CtyType::Object(c) => c.get(name).unwrap_or(aty),
                _ => aty,
            };
            self.str(name)
                .and_then(|()| self.value(value, aty, cty, depth + 1))
                .map_err(|err| err.within(PathStep::Attribute(name.clone())))?;
        }
        if present != m.len() {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(EncodeErrorKind::UnsupportedAttribute(extra.clone()).into());
            }
        }
        Ok(())
    }

    fn tuple(&mut self, es: &[Value], ets: &[CtyType], conc: &CtyType, depth: usize) -> Result<()> {
        enter(depth)?;
        if es.len() != ets.len() {
            return Err(EncodeErrorKind::TupleLength {
                expected: ets.len(),
                found: es.len(),
            }
            .into());
        }
        self.array_len(es.len())?;
        for (i, (e, et)) in es.iter().zip(ets).enumerate() {
            let cty = match conc {
                CtyType::Tuple(c) => c.get(i).unwrap_or(et),
                _ => et,
            };
            self.value(e, et, cty, depth + 1)
                .map_err(|err| err.within(index_step(i)))?;
        }
        Ok(())
    }

    fn number(&mut self, n: &Number) -> Result<()> {
        match n.wire() {
            WireNumber::Int(i) => self.int(i),
            WireNumber::Float(f) if f.is_nan() => return Err(EncodeErrorKind::NotANumber.into()),
            WireNumber::Float(f) => {
                self.marker(Marker::F64);
                self.out.extend_from_slice(&f.to_be_bytes());
            }
            WireNumber::Decimal(d) => self.str(&d.text())?,
        }
        Ok(())
    }

    fn int(&mut self, i: i64) {
        match i {
            0..=0x7f => self.out.push(i as u8),
            0x80..=0xff => self.out.extend_from_slice(&[Marker::U8.to_u8(), i as u8]),
            0x100..=0xffff => self.marked(Marker::U16, &(i as u16).to_be_bytes()),
            0x1_0000..=0xffff_ffff => self.marked(Marker::U32, &(i as u32).to_be_bytes()),
            0x1_0000_0000.. => self.marked(Marker::U64, &(i as u64).to_be_bytes()),
            -32..=-1 => self.out.push(i as u8),
            -0x80..=-33 => self.marked(Marker::I8, &(i as i8).to_be_bytes()),
            -0x8000..=-0x81 => self.marked(Marker::I16, &(i as i16).to_be_bytes()),
            -0x8000_0000..=-0x8001 => self.marked(Marker::I32, &(i as i32).to_be_bytes()),
            _ => self.marked(Marker::I64, &i.to_be_bytes()),
        }
    }

    fn str(&mut self, s: &str) -> Result<()> {
        if s.len() < 32 {
            self.marker(Marker::FixStr(s.len() as u8));
        } else {
            self.len(s.len(), Marker::Str8, Marker::Str16, Marker::Str32)?;
        }
        self.out.extend_from_slice(s.as_bytes());
        Ok(())
    }

    fn array_len(&mut self, n: usize) -> Result<()> {
        if n < 16 {
            self.marker(Marker::FixArray(n as u8));
            Ok(())
        } else {
            self.len16(n, Marker::Array16, Marker::Array32)
        }
    }

    fn map_len(&mut self, n: usize) -> Result<()> {
        if n < 16 {
            self.marker(Marker::FixMap(n as u8));
            Ok(())
        } else {
            self.len16(n, Marker::Map16, Marker::Map32)
        }
    }

    /// A length in the 8/16/32-bit form that fits (str and bin).
    fn len(&mut self, n: usize, m8: Marker, m16: Marker, m32: Marker) -> Result<()> {
        match u8::try_from(n) {
            Ok(n8) => {
                self.marked(m8, &[n8]);
                Ok(())
            }
            Err(_) => self.len16(n, m16, m32),
        }
    }

    /// A length in the 16/32-bit form that fits.
    fn len16(&mut self, n: usize, m16: Marker, m32: Marker) -> Result<()> {
        if let Ok(n16) = u16::try_from(n) {
            self.marked(m16, &n16.to_be_bytes());
        } else if let Ok(n32) = u32::try_from(n) {
            self.marked(m32, &n32.to_be_bytes());
        } else {
            return Err(EncodeErrorKind::TooLong(n).into());
        }
        Ok(())
    }

    fn marker(&mut self, m: Marker) {
        self.out.push(m.to_u8());
    }

    fn marked(&mut self, m: Marker, payload: &[u8]) {
        self.out.push(m.to_u8());
        self.out.extend_from_slice(payload);
    }
}

fn enter(depth: usize) -> Result<()> {
    if depth >= MAX_DEPTH {
        Err(EncodeErrorKind::TooDeep.into())
    } else {
        Ok(())
    }
}
