//! The plugin SDK: everything needed to serve a Terraform provider over
//! protocol 6, and nothing about any particular cloud.
//!
//! - [`provider_api`]: the traits a provider implements ([`Provider`],
//!   [`DataSource`], [`Resource`]), with [`provider_data`] (what
//!   `configure` produced, handed to every call), [`plan`] and [`upgrade`]
//!   (what resources get by default) and [`seed`] (the state a data source
//!   read starts from).
//! - [`schema`], [`diagnostics`], [`cty`]: the vocabulary of those traits.
//! - [`identity`]: the provider's own names for its logs, socket and certificate.
//! - [`serve()`]: runs a provider as a go-plugin server ([`handshake`],
//!   [`listener`], [`tls`], [`provider_service`], [`go_plugin_services`]).
//! - [`logging`]: hclog JSON lines on stderr, with secrets masked.
//! - [`proto_data`]: the raw values Terraform sends, written to files for
//!   debugging (`TF_LOG_SDK_PROTO_DATA_DIR`).
//! - [`docs`]: registry-format markdown rendered from schemas.
//! - [`convert`]: pure conversions between SDK types and wire types.
//! - [`wire`]: generated protobuf code; public only so integration tests
//!   can act as Terraform. Providers should not need it.
pub mod convert;
pub mod cty;
pub mod diagnostics;
pub mod docs;
pub mod go_plugin_services;
pub mod handshake;
pub mod identity;
pub mod listener;
pub mod logging;
pub mod plan;
pub mod proto_data;
pub mod provider_api;
pub mod provider_data;
pub mod provider_service;
pub mod schema;
pub mod seed;
pub mod serve;
#[cfg(test)]
mod test_env;
pub mod tls;
pub mod upgrade;
#[doc(hidden)]
pub mod wire;

pub use diagnostics::{AttributePath, Diagnostic, Diagnostics, Severity};
pub use identity::ProviderIdentity;
pub use provider_api::{
    ChangeRequest, ConfigureRequest, DataSource, ImportRequest, PlanRequest, PlanResponse,
    Provider, ReadRequest, ReadResponse, RefreshRequest, Resource, StateResponse, UpgradeRequest,
    TERRAFORM_MAX_MESSAGE_BYTES,
};
pub use provider_data::{Configured, ProviderData};
pub use schema::{Attribute, Block, Mode, NestedBlock, Nesting, Schema};
pub use serve::{serve, ServeError, ServeOptions};
