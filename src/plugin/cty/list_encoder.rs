//! Building a large list straight into msgpack, one element at a time.
//!
//! A data source returning 10,000 objects would otherwise hold all of them
//! as a [`Value`] tree (about 3 KB each) and then encode the tree; encoding
//! each element as soon as it is built keeps only its bytes (under 1 KB).

use super::encode::{encode_into, write_array_len, EncodeError, EncodeErrorKind};
use super::path::PathStep;
use super::types::CtyType;
use super::value::{Encoded, Value};

/// Encodes a list of a known length element by element; [`finish`] yields
/// a [`Value::Encoded`] to place in a state like any other value.
///
/// [`finish`]: ListEncoder::finish
#[derive(Debug)]
pub struct ListEncoder {
    element: CtyType,
    expected: usize,
    pushed: usize,
    bytes: Vec<u8>,
    wholly_known: bool,
}

impl ListEncoder {
    /// A list of exactly `len` elements of type `element`. Element types
    /// with `dynamic` parts are refused: every element of a list must share
    /// one concrete type, which only the whole-tree encoder can unify.
    pub fn new(element: CtyType, len: usize) -> Result<Self, EncodeError> {
        if element.contains_dynamic() {
            return Err(EncodeErrorKind::WrongType {
                expected: "a list element type without dynamic parts",
                found: "dynamic",
            }
            .into());
        }
        let mut bytes = Vec::new();
        write_array_len(&mut bytes, len)?;
        Ok(Self {
            element,
            expected: len,
            pushed: 0,
            bytes,
            wholly_known: true,
        })
    }

    /// Encodes the next element; the error's path names its index.
    pub fn push(&mut self, element: &Value) -> Result<(), EncodeError> {
        let index = self.pushed;
        if index >= self.expected {
            return Err(EncodeErrorKind::ListLength {
                expected: self.expected,
                found: index + 1,
            }
            .into());
        }
        encode_into(element, &self.element, &mut self.bytes)
            .map_err(|e| e.under(PathStep::Index(index as i64)))?;
        self.wholly_known &= element.is_wholly_known();
        self.pushed += 1;
        Ok(())
    }

    /// Bytes encoded so far, so a caller can stop before a list outgrows
    /// what it may send.
    pub fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    /// The finished list, or an error if fewer elements than announced came.
    pub fn finish(self) -> Result<Value, EncodeError> {
        if self.pushed != self.expected {
            return Err(EncodeErrorKind::ListLength {
                expected: self.expected,
                found: self.pushed,
            }
            .into());
        }
        Ok(Value::Encoded(Box::new(Encoded {
            ty: CtyType::list(self.element),
            bytes: self.bytes,
            wholly_known: self.wholly_known,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::cty::{decode, encode};

    fn element_type() -> CtyType {
        CtyType::object([("id", CtyType::String), ("n", CtyType::Number)])
    }

    fn element(i: i64) -> Value {
        Value::object([("id", Value::from(format!("r{i}"))), ("n", Value::from(i))])
    }

    #[test]
    fn encodes_exactly_like_the_tree_it_replaces() {
        for len in [0usize, 1, 15, 16, 70_000] {
            let mut list = ListEncoder::new(element_type(), len).unwrap();
            for i in 0..len {
                list.push(&element(i as i64)).unwrap();
            }
            let streamed = list.finish().unwrap();
            let ty = CtyType::list(element_type());
            let tree = Value::list((0..len).map(|i| element(i as i64)));
            assert_eq!(
                encode(&streamed, &ty).unwrap(),
                encode(&tree, &ty).unwrap(),
                "{len}"
            );
            // Inside an object, too, and it decodes back to the tree.
            let outer = CtyType::object([("tasks", ty.clone())]);
            let bytes = encode(&Value::object([("tasks", streamed)]), &outer).unwrap();
            assert_eq!(
                decode(&bytes, &outer).unwrap(),
                Value::object([("tasks", tree)])
            );
        }
    }

    #[test]
    fn wrong_count_or_type_is_an_error_with_the_index() {
        let mut list = ListEncoder::new(element_type(), 1).unwrap();
        assert!(list
            .push(&Value::from(3i64))
            .unwrap_err()
            .to_string()
            .contains("[0]"));
        list.push(&element(0)).unwrap();
        assert!(list.push(&element(1)).is_err());
        let short = ListEncoder::new(element_type(), 2).unwrap();
        assert!(short.finish().is_err());
    }

    #[test]
    fn a_nested_error_names_the_index_then_the_path_inside() {
        let inner = CtyType::object([("b", CtyType::String)]);
        let ty = CtyType::object([("a", inner)]);
        let mut list = ListEncoder::new(ty, 4).unwrap();
        let good = || Value::object([("a", Value::object([("b", Value::from("x"))]))]);
        for _ in 0..3 {
            list.push(&good()).unwrap();
        }
        let bad = Value::object([("a", Value::object([("b", Value::from(true))]))]);
        let err = list.push(&bad).unwrap_err();
        assert_eq!(err.path().to_string(), "[3].a.b", "{err}");
    }

    #[test]
    fn dynamic_element_types_are_refused() {
        assert!(ListEncoder::new(CtyType::Dynamic, 2).is_err());
        assert!(ListEncoder::new(CtyType::object([("x", CtyType::Dynamic)]), 1).is_err());
    }

    #[test]
    fn only_fits_a_slot_of_its_own_type() {
        let list = ListEncoder::new(CtyType::String, 0)
            .unwrap()
            .finish()
            .unwrap();
        assert!(encode(&list, &CtyType::list(CtyType::Number)).is_err());
        assert_eq!(
            encode(&list, &CtyType::list(CtyType::String)).unwrap(),
            vec![0x90]
        );
        // A dynamic slot learns the type from the encoded value.
        assert!(encode(&list, &CtyType::Dynamic).is_ok());
    }
}
