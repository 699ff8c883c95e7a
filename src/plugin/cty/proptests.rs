//! Property tests standing in for a fuzz target (cargo-fuzz needs nightly):
//! arbitrary and mutated bytes never panic the decoder, and arbitrary
//! values survive an encode/decode round trip unchanged.

use proptest::prelude::*;

use super::{decode, encode, CtyType, Number, Value};

fn arb_type() -> impl Strategy<Value = CtyType> {
    let leaf = prop_oneof![
        Just(CtyType::Bool),
        Just(CtyType::Number),
        Just(CtyType::String),
        Just(CtyType::Dynamic),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(CtyType::list),
            inner.clone().prop_map(CtyType::set),
            inner.clone().prop_map(CtyType::map),
            prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4)
                .prop_map(CtyType::Object),
            prop::collection::vec(inner, 0..4).prop_map(CtyType::Tuple),
        ]
    })
}

/// `ty` with every `dynamic` replaced by some concrete type, so that all
/// elements of a collection can be generated with one shared type.
fn resolve(ty: CtyType) -> BoxedStrategy<CtyType> {
    match ty {
        CtyType::Dynamic => arb_type()
            .prop_filter("concrete", |t| !t.contains_dynamic())
            .boxed(),
        CtyType::Bool | CtyType::Number | CtyType::String => Just(ty).boxed(),
        CtyType::List(e) => resolve(*e).prop_map(CtyType::list).boxed(),
        CtyType::Set(e) => resolve(*e).prop_map(CtyType::set).boxed(),
        CtyType::Map(e) => resolve(*e).prop_map(CtyType::map).boxed(),
        CtyType::Object(attrs) => {
            let (names, types): (Vec<String>, Vec<CtyType>) = attrs.into_iter().unzip();
            types
                .into_iter()
                .map(resolve)
                .collect::<Vec<_>>()
                .prop_map(move |types| CtyType::object(names.clone().into_iter().zip(types)))
                .boxed()
        }
        CtyType::Tuple(elems) => elems
            .into_iter()
            .map(resolve)
            .collect::<Vec<_>>()
            .prop_map(CtyType::Tuple)
            .boxed(),
    }
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        any::<f64>()
            .prop_filter("not NaN", |f| !f.is_nan())
            .prop_map(Number::from),
        "-?[0-9]{1,40}(\\.[0-9]{1,40})?(e-?[0-9]{1,4})?"
            .prop_map(|s| { s.parse::<Number>().unwrap_or_else(|e| panic!("{s}: {e}")) }),
    ]
}

/// A value that conforms to the concrete type `ty` (no `dynamic` inside).
fn arb_concrete_value(ty: &CtyType) -> BoxedStrategy<Value> {
    let known = match ty {
        CtyType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        CtyType::Number => arb_number().prop_map(Value::Number).boxed(),
        CtyType::String => prop_oneof![
            8 => "\\PC{0,20}",
            1 => "[a-z]{200,300}",
        ]
        .prop_map(Value::String)
        .boxed(),
        CtyType::Dynamic => unreachable!("resolved before generating values"),
        CtyType::List(e) => prop::collection::vec(arb_concrete_value(e), 0..4)
            .prop_map(Value::List)
            .boxed(),
        CtyType::Set(e) => prop::collection::vec(arb_concrete_value(e), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        CtyType::Map(e) => prop::collection::btree_map("\\PC{0,6}", arb_concrete_value(e), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        CtyType::Object(attrs) => {
            let names: Vec<String> = attrs.keys().cloned().collect();
            attrs
                .values()
                .map(arb_concrete_value)
                .collect::<Vec<_>>()
                .prop_map(move |values| {
                    Value::Object(names.clone().into_iter().zip(values).collect())
                })
                .boxed()
        }
        CtyType::Tuple(elems) => elems
            .iter()
            .map(arb_concrete_value)
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
    };
    prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 8 => known].boxed()
}

/// A schema type (possibly with `dynamic`) and a value that conforms to it.
fn arb_typed_value() -> impl Strategy<Value = (CtyType, Value)> {
    arb_type().prop_flat_map(|ty| {
        let schema = ty.clone();
        resolve(ty)
            .prop_flat_map(move |concrete| (Just(schema.clone()), arb_concrete_value(&concrete)))
    })
}

/// Types that exercise every decoder path, for the byte-level properties.
fn fixed_types() -> Vec<CtyType> {
    vec![
        CtyType::Bool,
        CtyType::Number,
        CtyType::String,
        CtyType::Dynamic,
        CtyType::list(CtyType::Dynamic),
        CtyType::set(CtyType::Number),
        CtyType::map(CtyType::String),
        CtyType::tuple([CtyType::String, CtyType::Number, CtyType::Dynamic]),
        CtyType::object([
            ("name", CtyType::String),
            (
                "tasks",
                CtyType::list(CtyType::object([("id", CtyType::Number)])),
            ),
            ("any", CtyType::Dynamic),
        ]),
    ]
}

/// One byte-level edit: flip, overwrite, insert, delete or truncate.
fn mutate(mut bytes: Vec<u8>, op: u8, at: usize, byte: u8) -> Vec<u8> {
    let at = if bytes.is_empty() {
        0
    } else {
        at % bytes.len()
    };
    match op % 5 {
        0 if !bytes.is_empty() => bytes[at] ^= byte | 1,
        1 if !bytes.is_empty() => bytes[at] = byte,
        2 => bytes.insert(at, byte),
        3 if !bytes.is_empty() => {
            bytes.remove(at);
        }
        _ => bytes.truncate(at),
    }
    bytes
}

/// Whatever decodes must re-encode (unless a dynamic collection mixes
/// types, which lenient decoding allows) and then decode to the same value.
fn check_decoded(bytes: &[u8], ty: &CtyType) -> Result<(), TestCaseError> {
    if let Ok(value) = decode(bytes, ty) {
        match encode(&value, ty) {
            Ok(canonical) => {
                let again = decode(&canonical, ty)
                    .map_err(|e| TestCaseError::fail(format!("canonical bytes fail: {e}")))?;
                prop_assert_eq!(again, value);
            }
            Err(e) => prop_assert!(ty.contains_dynamic(), "re-encoding failed: {}", e),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        for ty in fixed_types() {
            check_decoded(&bytes, &ty)?;
        }
    }

    #[test]
    fn arbitrary_bytes_against_arbitrary_types_never_panic(
        ty in arb_type(),
        bytes in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        check_decoded(&bytes, &ty)?;
    }

    #[test]
    fn mutated_valid_encodings_never_panic(
        (ty, value) in arb_typed_value(),
        edits in prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = encode(&value, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (op, at, byte) in edits {
            bytes = mutate(bytes, op, at, byte);
        }
        check_decoded(&bytes, &ty)?;
    }

    #[test]
    fn values_round_trip((ty, value) in arb_typed_value()) {
        let bytes = encode(&value, &ty).map_err(|e| TestCaseError::fail(format!("{e} for {value} as {ty}")))?;
        let back = decode(&bytes, &ty).map_err(|e| TestCaseError::fail(format!("{e} for {value} as {ty}")))?;
        prop_assert_eq!(&back, &value);
        // Canonical: encoding is a fixed point.
        prop_assert_eq!(encode(&back, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?, bytes);
    }

    #[test]
    fn numbers_round_trip(n in arb_number()) {
        let back = decode(&encode(&Value::Number(n.clone()), &CtyType::Number).unwrap(), &CtyType::Number).unwrap();
        prop_assert_eq!(back.as_number(), Some(&n));
    }
}
