//! cty values: the data Terraform and the provider exchange.
//!
//! Terraform describes every attribute with a cty type ([`CtyType`], sent
//! as type JSON in schemas) and sends configs and receives state as cty
//! values encoded in msgpack. This module is that codec and nothing else:
//! it knows neither gRPC nor any provider.
//!
//! - [`decode`] is type-directed and lenient in what it accepts (every
//!   msgpack width, decimal-string numbers, any extension as unknown);
//! - [`encode`] is strict and canonical, byte for byte what cty would write;
//! - [`decode_json`] reads the JSON Terraform stores resource states in;
//! - errors carry the [`Path`] to the failing value, so the protocol layer
//!   can point a diagnostic at the right attribute.
//!
//! Values are untyped trees ([`Value`]); numbers ([`Number`]) are lossless.

mod decode;
mod encode;
mod exact;
mod infer;
mod json;
mod list_encoder;
mod number;
mod path;
mod types;
mod value;

#[cfg(test)]
mod captured_tests;
#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod proptests;

pub use decode::{decode, DecodeError, DecodeErrorKind};
pub use encode::{encode, encode_into, EncodeError, EncodeErrorKind};
pub use json::{decode_json, JsonDecodeError};
pub use list_encoder::ListEncoder;
pub use number::{Number, NumberError, MAX_DECIMAL_EXPONENT};
pub use path::{Path, PathError, PathStep};
pub use types::{CtyType, TypeJsonError};
pub use value::{Encoded, Value};

/// How many containers (lists, sets, maps, objects, tuples, and the
/// `[type, value]` wrapper of a dynamic value) may nest. Schemas never come
/// close; the bound only matters for dynamic values, whose type comes from
/// the input itself and could otherwise recurse until the stack runs out.
pub const MAX_DEPTH: usize = 128;

/// Quotes at most 40 characters of untrusted input for an error message.
pub(crate) fn clip(s: &str) -> String {
    let mut chars = s.chars();
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() {
        format!("{head:?}...")
    } else {
        format!("{head:?}")
    }
}
