//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod emulator;
pub mod plugin;
pub mod terraform;
