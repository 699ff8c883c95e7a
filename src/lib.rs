//! placeholder
pub mod plugin;
