//! The interface a provider implements to be served by this SDK.
//!
//! It is deliberately small: a provider schema with validate/configure, and
//! a registry of data sources, each with schema/validate/read. Adding a data
//! source means implementing [`DataSource`] and listing it in
//! [`Provider::data_sources`]; nothing in the SDK changes.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::cty::Value;
use super::diagnostics::Diagnostics;
use super::schema::Schema;

/// The largest response Terraform's gRPC client accepts (`maxRecvSize =
/// 64 << 20` in its plugin client). A state that would not fit must become a
/// diagnostic that says so, not Terraform's own "received message larger than
/// max", so the SDK checks every response against it and data sources that can
/// produce big states check themselves, early, and say what to narrow.
pub const TERRAFORM_MAX_MESSAGE_BYTES: usize = 64 << 20;

/// What ConfigureProvider hands the provider.
#[derive(Debug, Clone)]
pub struct ConfigureRequest {
    /// The Terraform (or OpenTofu) version driving us, for diagnostics and User-Agents.
    pub terraform_version: String,
    /// The provider block, decoded against [`Provider::schema`]. May hold
    /// unknown values when it depends on resources not yet created.
    pub config: Value,
}

/// What ReadDataSource hands a data source.
#[derive(Debug, Clone)]
pub struct ReadRequest {
    /// The data source block, decoded and wholly known.
    pub config: Value,
    /// Cancelled when Terraform calls StopProvider (e.g. on Ctrl-C); long
    /// reads must watch it and return promptly.
    pub stop: CancellationToken,
}

/// The result of a read: the new state, or diagnostics explaining why not.
#[derive(Debug, Clone, Default)]
pub struct ReadResponse {
    /// The full state object; `None` when the read failed.
    pub state: Option<Value>,
    /// Warnings, or the errors that made it fail.
    pub diagnostics: Diagnostics,
}

/// A Terraform provider.
#[async_trait::async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider block's schema.
    fn schema(&self) -> Schema;

    /// Static checks of the provider block; values may be unknown.
    fn validate_config(&self, config: &Value) -> Diagnostics {
        let _ = config;
        Diagnostics::new()
    }

    /// Prepares the provider (credentials, clients) for the reads that follow.
    async fn configure(&self, request: ConfigureRequest) -> Diagnostics;

    /// Every data source this provider serves.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;
}

/// A data source: read-only lookup of something outside Terraform.
#[async_trait::async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// The full type name, e.g. `dbs_restore_tasks`.
    fn type_name(&self) -> &'static str;

    /// The block's schema.
    fn schema(&self) -> Schema;

    /// Static checks of the block; values may be unknown, and unknown values
    /// must be skipped, never rejected.
    fn validate(&self, config: &Value) -> Diagnostics;

    /// Fetches the data and returns the complete state object.
    async fn read(&self, request: ReadRequest) -> ReadResponse;
}
