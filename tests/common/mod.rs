//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod emulator;
pub mod plugin;
pub mod process;
pub mod recorder;
pub mod release;
pub mod terraform;
