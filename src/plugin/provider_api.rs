//! The interface a provider implements to be served by this SDK.
//!
//! A provider has a schema, validates and configures its block, and lists
//! its data sources and resources; adding one means implementing
//! [`DataSource`] or [`Resource`] and listing it in [`Provider::data_sources`]
//! or [`Provider::resources`]; nothing in the SDK changes. What `configure`
//! returns is kept by the SDK and handed to every later call as
//! [`ProviderData`], so providers hold no shared state of their own.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::cty::Value;
use super::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use super::plan::proposed_plan;
use super::provider_data::{Configured, ProviderData};
use super::schema::Schema;
use super::upgrade::decode_json_state;

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

/// A Terraform provider.
#[async_trait::async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` builds (an API client, a directory...) for the data
    /// sources and resources.
    type Data: Send + Sync + 'static;

    /// The provider block's schema.
    fn schema(&self) -> Schema;

    /// Static checks of the provider block; values may be unknown.
    fn validate_config(&self, config: &Value) -> Diagnostics {
        let _ = config;
        Diagnostics::new()
    }

    /// Prepares what the reads and changes that follow need. An error
    /// leaves the provider unconfigured.
    async fn configure(
        &self,
        request: ConfigureRequest,
    ) -> Result<Configured<Self::Data>, Diagnostics>;

    /// Every data source this provider serves.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Data>>>;

    /// Every managed resource type this provider serves.
    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>> {
        Vec::new()
    }
}

// ---------------------------------------------------------------- data sources

/// What ReadDataSource hands a data source.
#[derive(Debug, Clone)]
pub struct ReadRequest<D> {
    /// The data source block, decoded and wholly known.
    pub config: Value,
    /// The state to return, already holding every attribute and nested
    /// block of the config: a read sets its computed attributes and leaves
    /// the rest, which Terraform requires to come back as configured.
    pub state: Value,
    /// What the provider's `configure` returned.
    pub provider: ProviderData<D>,
    /// Cancelled when Terraform calls StopProvider (e.g. on Ctrl-C); long
    /// reads must watch it and return promptly.
    pub stop: CancellationToken,
}

/// The result of a data source read: the new state, or diagnostics
/// explaining why not (a read without either is a provider bug).
pub type ReadResponse = StateResponse;

/// A data source: read-only lookup of something outside Terraform.
#[async_trait::async_trait]
pub trait DataSource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name, e.g. `example_echo`.
    fn type_name(&self) -> &'static str;

    /// The block's schema.
    fn schema(&self) -> Schema;

    /// Static checks of the block; values may be unknown, and unknown values
    /// must be skipped, never rejected.
    fn validate(&self, config: &Value) -> Diagnostics;

    /// Fetches the data and returns the complete state object.
    async fn read(&self, request: ReadRequest<D>) -> ReadResponse;
}

// ---------------------------------------------------------------- resources

/// What PlanResourceChange hands a resource.
#[derive(Debug, Clone)]
pub struct PlanRequest<D> {
    /// The current state; null when the object is about to be created.
    pub prior: Value,
    /// Terraform's proposal: the config, with prior values where the config
    /// leaves computed attributes unset. Null when it is to be destroyed.
    pub proposed: Value,
    /// The resource block; null when it is to be destroyed. May hold unknowns.
    pub config: Value,
    /// What the provider's `configure` returned.
    pub provider: ProviderData<D>,
}

/// A plan: the state apply promises to produce.
#[derive(Debug, Clone, Default)]
pub struct PlanResponse {
    /// Known values must come out of apply unchanged; unknown ones are
    /// shown as "(known after apply)".
    pub planned: Value,
    /// Attributes whose change means destroy and create instead of update.
    pub requires_replace: Vec<AttributePath>,
    /// Warnings, or the errors that make the plan fail.
    pub diagnostics: Diagnostics,
}

/// What ApplyResourceChange hands create, update and delete.
#[derive(Debug, Clone)]
pub struct ChangeRequest<D> {
    /// The current state; null on create.
    pub prior: Value,
    /// The state planned; null on delete. Unknown values are the ones
    /// this change must fill in.
    pub planned: Value,
    /// The resource block, wholly known; null on delete.
    pub config: Value,
    /// What the provider's `configure` returned.
    pub provider: ProviderData<D>,
    /// Cancelled by StopProvider.
    pub stop: CancellationToken,
}

/// What ReadResource hands a resource: the state to refresh.
#[derive(Debug, Clone)]
pub struct RefreshRequest<D> {
    /// The state Terraform holds.
    pub state: Value,
    /// What the provider's `configure` returned.
    pub provider: ProviderData<D>,
    /// Cancelled by StopProvider.
    pub stop: CancellationToken,
}

/// What ImportResourceState hands a resource.
#[derive(Debug, Clone)]
pub struct ImportRequest<D> {
    /// The id the user passed (`terraform import ADDRESS ID`, or an
    /// `import` block's `id`).
    pub id: String,
    /// What the provider's `configure` returned.
    pub provider: ProviderData<D>,
    /// Cancelled by StopProvider.
    pub stop: CancellationToken,
}

/// What UpgradeResourceState hands a resource: a stored state, as written
/// by some version of its schema. Terraform sends every stored state
/// through here before using it, also when the version is current.
#[derive(Debug, Clone)]
pub struct UpgradeRequest {
    /// The schema version the state was written with.
    pub version: i64,
    /// The state as JSON; empty for flatmap states.
    pub json: Vec<u8>,
    /// The flatmap state of Terraform 0.11 and earlier, if that is what is stored.
    pub flatmap: std::collections::BTreeMap<String, String>,
}

/// A state after a data source read, or a resource's after create, update,
/// read, import or upgrade.
#[derive(Debug, Clone, Default)]
pub struct StateResponse {
    /// The full state object. `None` with errors means nothing changed;
    /// without errors from a resource read, that the object is gone
    /// (Terraform plans to create it again).
    pub state: Option<Value>,
    /// Warnings, or the errors that made it fail.
    pub diagnostics: Diagnostics,
}

impl From<Diagnostic> for StateResponse {
    fn from(diagnostic: Diagnostic) -> Self {
        Self {
            state: None,
            diagnostics: diagnostic.into(),
        }
    }
}

/// A managed resource: something Terraform creates, updates and destroys.
///
/// The SDK turns ApplyResourceChange into [`create`](Resource::create),
/// [`update`](Resource::update) or [`delete`](Resource::delete) by which of
/// the prior and planned states are null.
#[async_trait::async_trait]
pub trait Resource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name, e.g. `example_file`.
    fn type_name(&self) -> &'static str;

    /// The block's schema; bump its version when stored states need
    /// [`upgrade`](Resource::upgrade).
    fn schema(&self) -> Schema;

    /// Static checks of the block; unknown values must be skipped.
    fn validate(&self, config: &Value) -> Diagnostics {
        let _ = config;
        Diagnostics::new()
    }

    /// The default plans Terraform's proposal, leaving computed attributes
    /// the config does not set unknown whenever anything is to change (see
    /// [`proposed_plan`]). Override it to compute values early, or to
    /// require replacement.
    async fn plan(&self, request: PlanRequest<D>) -> PlanResponse {
        proposed_plan(&self.schema(), &request)
    }

    /// Creates the object; the state must be wholly known.
    async fn create(&self, request: ChangeRequest<D>) -> StateResponse;

    /// Refreshes the state from the real object; `state: None` (without
    /// errors) when it no longer exists.
    async fn read(&self, request: RefreshRequest<D>) -> StateResponse;

    /// Changes the object in place; the state must be wholly known.
    async fn update(&self, request: ChangeRequest<D>) -> StateResponse;

    /// Destroys the object.
    async fn delete(&self, request: ChangeRequest<D>) -> Diagnostics;

    /// A state for an existing object, from its id; Terraform then calls
    /// [`read`](Resource::read) to fill it in. The default refuses.
    async fn import(&self, request: ImportRequest<D>) -> StateResponse {
        let _ = request;
        Diagnostic::error(
            "Resource import not supported",
            format!(
                "The resource type {} cannot be imported; create it with Terraform instead.",
                self.type_name()
            ),
        )
        .into()
    }

    /// A stored state in the current schema. The default reads the JSON
    /// against the current schema, dropping attributes it no longer has,
    /// which is right as long as the schema only ever gained attributes.
    fn upgrade(&self, request: UpgradeRequest) -> StateResponse {
        decode_json_state(&self.schema(), &request)
    }
}
