//! See the crate root for what this layer is for.
