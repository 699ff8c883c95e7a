//! terraform-provider-dbs: a Terraform provider for Alibaba Cloud DBS restore jobs.
//!
//! Layout (dependencies point one way: `plugin` <- `provider` -> `alibaba`):
//! - [`plugin`]: the provider-agnostic plugin SDK (go-plugin handshake, mTLS, gRPC, cty values).
//! - [`provider`]: the `dbs` provider and its data sources; the only layer that knows both sides.
//! - [`alibaba`]: the DBS API client (signing, credentials, retries, paging); knows nothing of Terraform.
//! - [`emulator`]: a local DBS API emulator for tests, the demo and offline use.
pub mod alibaba;
pub mod emulator;
pub mod plugin;
pub mod provider;
