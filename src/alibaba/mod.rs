//! See the crate root for what this layer is for.
pub mod signing;
