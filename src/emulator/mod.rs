//! A local stand-in for DBS `DescribeRestoreTaskList`, for tests, the demo and offline use.
//!
//! It behaves like the real gateway and service where a client can tell the difference: it
//! verifies signature v1 with the client's own signer, enforces the timestamp window and nonce
//! reuse, answers in the real error shapes, pages like the API (0-based, or 1-based on request),
//! and filters server-side. On request it misbehaves the way networks and busy services do:
//! latency, throttling, 5xx, unparseable bodies, stalls and connections cut mid-body, chosen
//! deterministically from a seed so failing tests replay exactly.
//!
//! Map:
//! - `config`: [`EmulatorConfig`]; `tasks`: [`TaskSource`] (fixture loading); `generate`:
//!   generated tasks; `faults`: [`Faults`] and the fault choice.
//! - `server`: [`Emulator`] (socket, router, shutdown); `service`: one request end to end.
//! - `auth` + `nonce`: the gateway checks; `params`: parameter decoding; `paging` and `filter`:
//!   what a page holds; `reply`: response shapes; `rng`: the deterministic generator;
//!   `rate_limit`: per-access-key flow control (`Faults::rate_limit_qps`); `hostile`: the
//!   answers of a broken or hostile endpoint (`Faults::hostile`).
//!
//! Errors: [`EmulatorError`] only covers starting up; once running, every problem with a request
//! is an HTTP answer, because answering is the emulator's job.

mod auth;
mod config;
mod error;
mod faults;
mod filter;
mod generate;
mod hostile;
mod nonce;
mod paging;
mod params;
mod rate_limit;
mod reply;
mod rng;
mod server;
mod service;
mod tasks;

pub use config::{EmulatorConfig, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET};
pub use error::EmulatorError;
pub use faults::Faults;
pub use hostile::Hostile;
pub use server::Emulator;
pub use tasks::TaskSource;
