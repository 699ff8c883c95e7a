//! A local stand-in for DBS `DescribeRestoreTaskList`, for tests, the demo and offline use, and
//! for the services an Alibaba credential chain talks to: STS (`AssumeRole`,
//! `AssumeRoleWithOIDC`), the ECS instance metadata service (IMDSv2) and a credentials URI, all
//! on one port, told apart by the shape of the request.
//!
//! It behaves like the real gateway and service where a client can tell the difference: it
//! verifies signature v1 with the client's own signer and V3 (`ACS3-HMAC-SHA256`, what the
//! official SDKs send by default), accepts the base key and every temporary credential it
//! issued until it expires, enforces the timestamp window and nonce reuse, answers in the real
//! error shapes, pages like the API (0-based, or 1-based on request), and filters server-side. On request it misbehaves the way networks and busy services do:
//! latency, throttling, 5xx, unparseable bodies, stalls and connections cut mid-body, chosen
//! deterministically from a seed so failing tests replay exactly.
//!
//! Map:
//! - `config`: [`EmulatorConfig`]; `tasks`: [`TaskSource`] (fixture loading); `generate`:
//!   generated tasks; `faults`: [`Faults`] and the fault choice.
//! - `server`: [`Emulator`] (socket, router, shutdown); `service`: one request end to end;
//!   `route`: which service a request is for and how it is signed.
//! - `auth` + `nonce`: the gateway checks; `auth_v3`: the V3 canonicalisation; `identities`:
//!   the base key and the issued temporary credentials.
//! - `sts`, `metadata`, `credentials_uri`: the credential services; `calls`: their record
//!   ([`CredentialCall`]) and the DBS requests per key.
//! - `params`: parameter decoding; `paging` and `filter`:
//!   what a page holds; `reply`: response shapes; `rng`: the deterministic generator;
//!   `rate_limit`: per-access-key flow control (`Faults::rate_limit_qps`); `hostile`: the
//!   answers of a broken or hostile endpoint (`Faults::hostile`).
//!
//! Errors: [`EmulatorError`] only covers starting up; once running, every problem with a request
//! is an HTTP answer, because answering is the emulator's job.

mod auth;
mod auth_v3;
mod calls;
mod config;
mod credentials_uri;
mod error;
mod faults;
mod filter;
mod generate;
mod hostile;
mod identities;
mod metadata;
mod nonce;
mod paging;
mod params;
mod rate_limit;
mod reply;
mod rng;
mod route;
mod server;
mod service;
mod sts;
mod tasks;

pub use calls::{CredentialCall, CredentialService, PRESENT};
pub use config::{
    EmulatorConfig, ImdsMode, Role, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_CREDENTIAL_LIFETIME, DEFAULT_INSTANCE_ROLE, DEFAULT_OIDC_PROVIDER_ARN,
    DEFAULT_OIDC_TOKEN, DEFAULT_ROLE_ARN,
};
pub use error::EmulatorError;
pub use faults::Faults;
pub use hostile::Hostile;
pub use server::Emulator;
pub use tasks::TaskSource;
