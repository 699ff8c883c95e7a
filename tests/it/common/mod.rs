//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod api_support;
pub mod emulator;
pub mod emulator_requests;
pub mod example_provider;
pub mod fixture;
pub mod plugin;
pub mod process;
pub mod recorder;
pub mod release;
pub mod secrets;
pub mod signing_fixtures;
pub mod terraform;
