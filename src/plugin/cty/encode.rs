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

use super::infer::{infer, unify_elements};
use super::number::{Number, WireNumber};
use super::path::{index_step, PathError, PathStep};
use super::types::CtyType;
use super::value::Value;
use super::{clip, MAX_DEPTH};

/// Why a value could not be encoded as its type, and where.
pub type EncodeError = PathError<EncodeErrorKind>;

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
    /// A [`ListEncoder`](super::ListEncoder) got another number of elements
    /// than it announced.
    #[error("announced a list of {expected} elements, got {found}")]
    ListLength {
        /// Elements announced.
        expected: usize,
        /// Elements pushed.
        found: usize,
    },
    /// A tuple value has the wrong number of elements.
    #[error("expected a tuple of {expected} elements, found {found}")]
    TupleLength {
        /// Elements in the type.
        expected: usize,
        /// Elements in the value.
        found: usize,
    },
    /// The output buffer refused bytes (never happens with a `Vec`).
    #[error("cannot write the encoding: {0}")]
    Write(String),
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

/// Encodes `value` as type `ty` (see the module documentation for the rules).
///
/// # Errors
///
/// When the value does not fit the type (a provider bug); the error names
/// the attribute path.
pub fn encode(value: &Value, ty: &CtyType) -> std::result::Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_into(value, ty, &mut out)?;
    Ok(out)
}

/// [`encode`], appending to `out` so a caller can reuse one buffer. On
/// error `out` is restored to its previous length: never a partial value.
///
/// # Errors
///
/// As [`encode`].
pub fn encode_into(
    value: &Value,
    ty: &CtyType,
    out: &mut Vec<u8>,
) -> std::result::Result<(), EncodeError> {
    let start = out.len();
    let result = Encoder { out: &mut *out }.value(value, ty, ty, 0);
    result.map_err(|e| {
        out.truncate(start);
        e.finished()
    })
}

type Result<T> = std::result::Result<T, EncodeError>;

/// Writes the array header for `n` elements, as the encoder does.
pub(super) fn write_array_len(out: &mut Vec<u8>, n: usize) -> Result<()> {
    Encoder { out }.array_len(n)
}

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
            (_, Value::Encoded(e)) if e.ty == *ty || e.ty == *conc => {
                self.out.extend_from_slice(&e.bytes)
            }
            (_, Value::Null) => written(rmp::encode::write_nil(self.out))?,
            (_, Value::Unknown) => self.out.extend_from_slice(&UNKNOWN),
            (CtyType::Bool, Value::Bool(b)) => written(rmp::encode::write_bool(self.out, *b))?,
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
            (CtyType::Dynamic, Value::Null) => return written(rmp::encode::write_nil(self.out)),
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
        self.array_len(2)?;
        let json = ty.to_json_bytes();
        written(rmp::encode::write_bin(self.out, &json).map_err(|e| e.to_string()))?;
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
        // Decided dynamic parts, when there are any (conc is ty otherwise).
        let decided = match conc {
            CtyType::Object(c) if !std::ptr::eq(c, attrs) => Some(c),
            _ => None,
        };
        // Both maps are sorted: walk them in step (this runs for every
        // attribute of every object of a 10,000-object result).
        let mut values = m.iter().peekable();
        for (name, aty) in attrs {
            if let Some((extra, _)) = values.next_if(|(k, _)| k.as_str() < name.as_str()) {
                return Err(EncodeErrorKind::UnsupportedAttribute(extra.clone()).into());
            }
            let value = match values.next_if(|(k, _)| *k == name) {
                Some((_, v)) => v,
                None => &Value::Null,
            };
            let cty = decided.and_then(|c| c.get(name)).unwrap_or(aty);
            self.str(name)
                .and_then(|()| self.value(value, aty, cty, depth + 1))
                .map_err(|err| err.within(PathStep::Attribute(name.clone())))?;
        }
        if let Some((extra, _)) = values.next() {
            return Err(EncodeErrorKind::UnsupportedAttribute(extra.clone()).into());
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
                CtyType::Tuple(c) if !std::ptr::eq(c.as_slice(), ets) => c.get(i).unwrap_or(et),
                _ => et,
            };
            self.value(e, et, cty, depth + 1)
                .map_err(|err| err.within(index_step(i)))?;
        }
        Ok(())
    }

    fn number(&mut self, n: &Number) -> Result<()> {
        match n.wire() {
            WireNumber::Int(i) => written(rmp::encode::write_sint(self.out, i).map(drop)),
            WireNumber::Float(f) if f.is_nan() => Err(EncodeErrorKind::NotANumber.into()),
            WireNumber::Float(f) => written(rmp::encode::write_f64(self.out, f)),
            WireNumber::Decimal(d) => self.str(&d.text()),
        }
    }

    fn str(&mut self, s: &str) -> Result<()> {
        written(rmp::encode::write_str_len(self.out, length(s.len())?).map(drop))?;
        self.out.extend_from_slice(s.as_bytes());
        Ok(())
    }

    fn array_len(&mut self, n: usize) -> Result<()> {
        written(rmp::encode::write_array_len(self.out, length(n)?).map(drop))
    }

    fn map_len(&mut self, n: usize) -> Result<()> {
        written(rmp::encode::write_map_len(self.out, length(n)?).map(drop))
    }
}

/// msgpack lengths are 32-bit.
fn length(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| EncodeErrorKind::TooLong(n).into())
}

/// Writing into a `Vec` cannot fail (it only grows), so rmp's I/O error never happens; it is
/// still turned into an error rather than a panic.
fn written<E: fmt::Display>(result: std::result::Result<(), E>) -> Result<()> {
    result.map_err(|e| EncodeErrorKind::Write(e.to_string()).into())
}

fn enter(depth: usize) -> Result<()> {
    if depth >= MAX_DEPTH {
        Err(EncodeErrorKind::TooDeep.into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture_tests::{hex, to_hex};
    use super::super::{decode, Number};
    use super::*;

    fn num(s: &str) -> Value {
        Value::Number(s.parse::<Number>().unwrap())
    }

    /// Values built in Rust (not decoded), and the exact bytes cty would write.
    #[test]
    fn canonical_bytes_table() {
        let obj_ab = CtyType::object([("a", CtyType::String), ("b", CtyType::Number)]);
        let cases: Vec<(&str, CtyType, Value, &str)> = vec![
            ("int 0", CtyType::Number, Value::from(0i64), "00"),
            ("int 127", CtyType::Number, Value::from(127i64), "7f"),
            ("int 128", CtyType::Number, Value::from(128i64), "cc 80"),
            ("int 255", CtyType::Number, Value::from(255i64), "cc ff"),
            ("int 256", CtyType::Number, Value::from(256i64), "cd 01 00"),
            ("int 65535", CtyType::Number, Value::from(65535i64), "cd ff ff"),
            ("int 65536", CtyType::Number, Value::from(65536i64), "ce 00 01 00 00"),
            ("int u32 max", CtyType::Number, Value::from(4294967295i64), "ce ff ff ff ff"),
            ("int 2^32", CtyType::Number, Value::from(4294967296i64), "cf 00 00 00 01 00 00 00 00"),
            ("int i64 max", CtyType::Number, Value::from(i64::MAX), "cf 7f ff ff ff ff ff ff ff"),
            ("int -1", CtyType::Number, Value::from(-1i64), "ff"),
            ("int -32", CtyType::Number, Value::from(-32i64), "e0"),
            ("int -33", CtyType::Number, Value::from(-33i64), "d0 df"),
            ("int -128", CtyType::Number, Value::from(-128i64), "d0 80"),
            ("int -129", CtyType::Number, Value::from(-129i64), "d1 ff 7f"),
            ("int -32768", CtyType::Number, Value::from(-32768i64), "d1 80 00"),
            ("int -32769", CtyType::Number, Value::from(-32769i64), "d2 ff ff 7f ff"),
            ("int i32 min", CtyType::Number, Value::from(-2147483648i64), "d2 80 00 00 00"),
            ("int below i32", CtyType::Number, Value::from(-2147483649i64), "d3 ff ff ff ff 7f ff ff ff"),
            ("int i64 min", CtyType::Number, Value::from(i64::MIN), "d3 80 00 00 00 00 00 00 00"),
            ("float 1.5", CtyType::Number, Value::from(1.5), "cb 3f f8 00 00 00 00 00 00"),
            ("float integral", CtyType::Number, Value::from(42.0), "2a"),
            ("float 0.1", CtyType::Number, Value::from(0.1), "cb 3f b9 99 99 99 99 99 9a"),
            ("u64 max", CtyType::Number, Value::from(u64::MAX), "b4 31 38 34 34 36 37 34 34 30 37 33 37 30 39 35 35 31 36 31 35"),
            ("u64 2^63", CtyType::Number, Value::from(1u64 << 63), "cb 43 e0 00 00 00 00 00 00"),
            ("decimal 0.1", CtyType::Number, num("0.1"), "a3 30 2e 31"),
            ("decimal exact float", CtyType::Number, num("2.5e-1"), "cb 3f d0 00 00 00 00 00 00"),
            ("decimal int", CtyType::Number, num("12e2"), "cd 04 b0"),
            ("string", CtyType::String, Value::from("hi"), "a2 68 69"),
            ("bools", CtyType::tuple([CtyType::Bool, CtyType::Bool]), Value::tuple([true, false]), "92 c3 c2"),
            ("null anywhere", CtyType::list(CtyType::String), Value::Null, "c0"),
            ("unknown anywhere", obj_ab.clone(), Value::Unknown, "d4 00 00"),
            ("object sorted", obj_ab.clone(), Value::object([("b", Value::from(1i64)), ("a", Value::from("x"))]), "82 a1 61 a1 78 a1 62 01"),
            ("object missing attr", obj_ab.clone(), Value::object([("b", 1i64)]), "82 a1 61 c0 a1 62 01"),
            ("empty object", obj_ab, Value::object(Vec::<(String, Value)>::new()), "82 a1 61 c0 a1 62 c0"),
            ("map sorted", CtyType::map(CtyType::Bool), Value::map([("z", true), ("a", false)]), "82 a1 61 c2 a1 7a c3"),
            ("set keeps order", CtyType::set(CtyType::Number), Value::set([3i64, 1, 2]), "93 03 01 02"),
            ("dynamic string", CtyType::Dynamic, Value::from("a"), "92 c4 08 22 73 74 72 69 6e 67 22 a1 61"),
            ("dynamic null", CtyType::Dynamic, Value::Null, "c0"),
            ("dynamic unknown", CtyType::Dynamic, Value::Unknown, "d4 00 00"),
            (
                "dynamic object with null attr",
                CtyType::Dynamic,
                Value::object([("a", Value::Null)]),
                // ["object",{"a":"dynamic"}], then {"a": nil}
                "92 c4 1a 5b 22 6f 62 6a 65 63 74 22 2c 7b 22 61 22 3a 22 64 79 6e 61 6d 69 63 22 7d 5d 81 a1 61 c0",
            ),
            (
                "dynamic list unifies element types",
                CtyType::Dynamic,
                Value::list([Value::Null, Value::from(true)]),
                // ["list","bool"], then [nil, true]
                "92 c4 0f 5b 22 6c 69 73 74 22 2c 22 62 6f 6f 6c 22 5d 92 c0 c3",
            ),
            (
                "list(dynamic) shares one type, even for nulls",
                CtyType::list(CtyType::Dynamic),
                Value::list([Value::from(true), Value::Null]),
                "92 92 c4 06 22 62 6f 6f 6c 22 c3 92 c4 06 22 62 6f 6f 6c 22 c0",
            ),
            (
                "list(dynamic) of nulls stays untyped",
                CtyType::list(CtyType::Dynamic),
                Value::list([Value::Null, Value::Unknown]),
                "92 c0 d4 00 00",
            ),
            (
                "map(dynamic)",
                CtyType::map(CtyType::Dynamic),
                Value::map([("k", 1i64)]),
                "81 a1 6b 92 c4 08 22 6e 75 6d 62 65 72 22 01",
            ),
        ];
        let mut failures = Vec::new();
        for (name, ty, value, want) in cases {
            match encode(&value, &ty) {
                Ok(got) if got == hex(want) => {}
                Ok(got) => failures.push(format!("{name}: got {}, want {want}", to_hex(&got))),
                Err(e) => failures.push(format!("{name}: {e}")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn big_decimals_use_str16_and_keep_every_digit() {
        let bytes = encode(&num("1e400"), &CtyType::Number).unwrap();
        assert_eq!(&bytes[..3], &[0xda, 0x01, 0x91]); // str16, 401 bytes
        assert_eq!(bytes[3], b'1');
        assert!(bytes[4..].iter().all(|&b| b == b'0'));
        assert_eq!(decode(&bytes, &CtyType::Number).unwrap(), num("1e400"));

        let huge = encode(&num("-1.5e999999"), &CtyType::Number).unwrap();
        assert_eq!(&huge[1..], b"-1.5e999999");
        assert_eq!(decode(&huge, &CtyType::Number).unwrap(), num("-1.5e999999"));
    }

    #[test]
    fn length_headers_switch_at_the_format_boundaries() {
        let string = |n: usize| encode(&Value::from("a".repeat(n)), &CtyType::String).unwrap();
        let list = |n: usize| {
            encode(
                &Value::list(vec![Value::Null; n]),
                &CtyType::list(CtyType::Bool),
            )
            .unwrap()
        };
        let map = |n: usize| {
            let m = (0..n).map(|i| (format!("{i:05}"), Value::Null));
            encode(&Value::map(m), &CtyType::map(CtyType::Bool)).unwrap()
        };
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("str 31", string(31), "bf"),
            ("str 32", string(32), "d9 20"),
            ("str 255", string(255), "d9 ff"),
            ("str 256", string(256), "da 01 00"),
            ("str 65535", string(65535), "da ff ff"),
            ("str 65536", string(65536), "db 00 01 00 00"),
            ("list 15", list(15), "9f"),
            ("list 16", list(16), "dc 00 10"),
            ("list 65535", list(65535), "dc ff ff"),
            ("list 65536", list(65536), "dd 00 01 00 00"),
            ("map 15", map(15), "8f"),
            ("map 16", map(16), "de 00 10"),
            ("map 65536", map(65536), "df 00 01 00 00"),
        ];
        for (name, bytes, header) in cases {
            let header = hex(header);
            assert_eq!(&bytes[..header.len()], &header[..], "{name}");
        }
    }

    #[test]
    fn errors_name_the_attribute() {
        let schema = CtyType::object([(
            "tasks",
            CtyType::list(CtyType::object([
                ("name", CtyType::String),
                ("pair", CtyType::tuple([CtyType::Number, CtyType::Number])),
            ])),
        )]);
        let task = |name: Value, pair: Value| Value::object([("name", name), ("pair", pair)]);
        let ok = || task(Value::from("a"), Value::Null);
        let with_tasks = |t: Value| Value::object([("tasks", Value::list([ok(), ok(), t]))]);
        let cases = [
            (
                with_tasks(task(Value::from(1i64), Value::Null)),
                "tasks[2].name: expected a string, found a number value",
            ),
            (
                with_tasks(task(Value::from("a"), Value::tuple([1i64]))),
                "tasks[2].pair: expected a tuple of 2 elements, found 1",
            ),
            (
                with_tasks(task(
                    Value::from("a"),
                    Value::tuple([Value::from(1i64), Value::from(f64::NAN)]),
                )),
                "tasks[2].pair[1]: NaN cannot be sent as a number",
            ),
            (
                with_tasks(Value::object([
                    ("name", Value::from("a")),
                    ("extra", Value::Null),
                ])),
                "tasks[2]: attribute \"extra\" is not part of the object type",
            ),
            (
                with_tasks(Value::object([
                    ("name", Value::from("a")),
                    ("zzz", Value::Null),
                ])),
                "tasks[2]: attribute \"zzz\" is not part of the object type",
            ),
            (
                with_tasks(Value::object([("nam", Value::from("a"))])),
                "tasks[2]: attribute \"nam\" is not part of the object type",
            ),
            (
                Value::object([("tasks", Value::set([ok()]))]),
                "tasks: expected a list, found a set value",
            ),
            (
                Value::list([ok()]),
                "expected an object, found a list value",
            ),
        ];
        for (value, want) in cases {
            assert_eq!(encode(&value, &schema).unwrap_err().to_string(), want);
        }
    }

    #[test]
    fn dynamic_collections_must_share_one_type() {
        let cases = [
            (
                CtyType::list(CtyType::Dynamic),
                Value::list([Value::from("a"), Value::from(1i64)]),
                "[1]: elements of a collection must all have one type, found string and number",
            ),
            (
                CtyType::Dynamic,
                Value::object([(
                    "xs",
                    Value::set([Value::list([1i64]), Value::list(["a"])]),
                )]),
                "xs[1]: elements of a collection must all have one type, found list(number) and list(string)",
            ),
            (
                CtyType::map(CtyType::object([("d", CtyType::Dynamic)])),
                Value::map([
                    ("a", Value::object([("d", true)])),
                    ("b", Value::object([("d", "x")])),
                ]),
                "[\"b\"]: elements of a collection must all have one type, found object({d=bool}) and object({d=string})",
            ),
        ];
        for (ty, value, want) in cases {
            let err = encode(&value, &ty).unwrap_err();
            assert_eq!(err.to_string(), want);
            assert!(matches!(
                err.kind(),
                EncodeErrorKind::InconsistentTypes { .. }
            ));
        }
    }

    #[test]
    fn encode_into_appends_and_leaves_no_partial_value_on_error() {
        let ty = CtyType::list(CtyType::String);
        let mut buf = vec![0xaa];
        encode_into(&Value::list(["x"]), &ty, &mut buf).unwrap();
        assert_eq!(buf, hex("aa 91 a1 78"));
        let err = encode_into(
            &Value::list([Value::from("y"), Value::from(1i64)]),
            &ty,
            &mut buf,
        );
        assert_eq!(err.unwrap_err().path().steps(), &[PathStep::Index(1)]);
        assert_eq!(buf, hex("aa 91 a1 78"));
    }

    #[test]
    fn depth_is_bounded() {
        let nest = |levels: usize| {
            let ty = (0..levels).fold(CtyType::Bool, |t, _| CtyType::list(t));
            let value = (0..levels).fold(Value::from(true), |v, _| Value::List(vec![v]));
            (ty, value)
        };
        // The deepest allowed values, dynamic ones included, fit in a
        // quarter of tokio's default worker stack even in debug builds.
        let deepest = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || {
                let (ty, value) = nest(MAX_DEPTH);
                let typed = encode(&value, &ty).map(|_| ());
                let (_, value) = nest(MAX_DEPTH - 1);
                let dynamic = encode(&value, &CtyType::Dynamic).map(|_| ());
                let (_, value) = nest(MAX_DEPTH - 2);
                let in_list = encode(&Value::List(vec![value]), &CtyType::list(CtyType::Dynamic));
                (typed, dynamic, in_list.map(|_| ()))
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(deepest, (Ok(()), Ok(()), Ok(())));
        let (ty, value) = nest(MAX_DEPTH + 1);
        assert_eq!(
            encode(&value, &ty).unwrap_err().kind(),
            &EncodeErrorKind::TooDeep
        );
        let value = (0..=MAX_DEPTH).fold(Value::from(true), |v, _| Value::List(vec![v]));
        assert_eq!(
            encode(&value, &CtyType::Dynamic).unwrap_err().kind(),
            &EncodeErrorKind::TooDeep
        );
    }
}
